"""``smartcity-kit region``: look up Kemendagri regions."""

from __future__ import annotations

from typing import Any

import click

from smartcity_kit.cli._output import echo_json, fail, table
from smartcity_kit.core import Region, RegionCode, RegionLevel
from smartcity_kit.errors import NotFoundError, ValidationError

_LEVELS = {
    "province": RegionLevel.PROVINCE,
    "regency": RegionLevel.REGENCY,
    "district": RegionLevel.DISTRICT,
    "village": RegionLevel.VILLAGE,
}


@click.group()
def region() -> None:
    """Look up regions (kode wilayah) in the Kemendagri data (Kepmendagri 300.2.2-2138/2025)."""


def _as_json(r: Region) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": r.code.value,
        "name": r.name,
        "level": r.level.name.lower(),
        "kind": r.kind.value,
        "path": r.path,
    }
    if r.postal_code is not None:
        data["postal_code"] = r.postal_code
    return data


def _children_heading(children: list[Region]) -> str:
    kinds = list(dict.fromkeys(c.kind.value.replace("_", " ") for c in children))
    return f"{len(children)} {'/'.join(kinds)}:"


@region.command()
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def show(code: str, as_json: bool) -> None:
    """Show a region by CODE (73.71 or 7371), its parents and its children."""
    try:
        found = Region.get(RegionCode.parse(code, must_exist=False))
    except (ValidationError, NotFoundError) as e:
        fail(str(e))
    parents = found.ancestors()
    children = found.children()
    if as_json:
        data = _as_json(found)
        data["parents"] = [_as_json(p) for p in parents]
        data["children"] = [_as_json(c) for c in children]
        echo_json(data)
        return
    postal = f", kode pos {found.postal_code}" if found.postal_code else ""
    click.echo(f"{found.code}  {found.name} ({found.kind.value.replace('_', ' ')}{postal})")
    for parent in parents:
        click.echo(f"  in {parent.code}  {parent.name} ({parent.kind.value})")
    if children:
        click.echo(_children_heading(children))
        rows = [
            (f"  {c.code}", c.name + (f" ({c.postal_code})" if c.postal_code else ""))
            for c in children
        ]
        table(rows)


@region.command()
@click.argument("text")
@click.option("--level", type=click.Choice(list(_LEVELS)), help="Only regions at this level.")
@click.option("--within", metavar="CODE", help="Only regions inside this region.")
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def search(text: str, level: str | None, within: str | None, limit: int, as_json: bool) -> None:
    """Find regions whose name matches TEXT, best match first.

    Villages are searched only with --level village or --within a kecamatan.
    """
    try:
        inside = RegionCode.parse(within) if within is not None else None
    except ValidationError as e:
        fail(str(e))
    found = Region.search(text, level=_LEVELS[level] if level else None, within=inside, limit=limit)
    if as_json:
        echo_json([_as_json(r) for r in found])
        return
    if not found:
        fail(f"no region matches {text!r}")
    table([(r.code.value, r.path, f"({r.kind.value.replace('_', ' ')})") for r in found])
