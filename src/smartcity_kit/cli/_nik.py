"""``smartcity-kit nik``: inspect identity numbers."""

from __future__ import annotations

import warnings

import click

from smartcity_kit.cli._output import echo_json, fail, long_date, table, warn
from smartcity_kit.core import Nik, Region, RegionCode, Sex
from smartcity_kit.errors import NotFoundError, UnknownRegionWarning, ValidationError

_SEX_ID = {Sex.FEMALE: "perempuan", Sex.MALE: "laki-laki"}


@click.group()
def nik() -> None:
    """Work with NIKs (Nomor Induk Kependudukan)."""


def _region_name(code: RegionCode) -> str | None:
    try:
        return Region.get(code).name
    except NotFoundError:
        return None


def _labelled(code: RegionCode, name: str | None) -> str:
    if name is None:
        return "(not in the current Kemendagri data)"
    if code.level == 3:
        return f"{code.kind.value.capitalize()} {name}"
    return name


@nik.command()
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def inspect(number: str, as_json: bool) -> None:
    """Show what a NIK encodes: issuing region, birth date, sex; the number stays masked.

    An invalid NIK prints the rule it breaks and exits with status 2.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnknownRegionWarning)
        try:
            parsed = Nik.parse(number)
        except ValidationError as e:
            fail(str(e))
    for w in caught:
        warn(str(w.message))

    district = parsed.issuing_region
    levels = [*district.ancestors(), district]
    names = [_region_name(code) for code in levels]
    if as_json:
        echo_json(
            {
                "nik": parsed.masked(),
                "region": {
                    key: {"code": code.value, "name": name}
                    for key, code, name in zip(
                        ("province", "regency", "district"), levels, names, strict=True
                    )
                },
                "region_known": parsed.issuing_region_known,
                "birth_date": parsed.birth_date.isoformat(),
                "sex": parsed.sex.value,
                "serial": parsed.serial,
            }
        )
        return
    labels = ("Province", "Regency/city", "District")
    rows = [("NIK", parsed.masked())]
    rows += [
        (label, f"{code.value}  {_labelled(code, name)}")
        for label, code, name in zip(labels, levels, names, strict=True)
    ]
    rows += [
        ("Birth date", long_date(parsed.birth_date)),
        ("Sex", f"{parsed.sex.value} ({_SEX_ID[parsed.sex]})"),
        ("Serial", parsed.serial),
    ]
    table(rows)
