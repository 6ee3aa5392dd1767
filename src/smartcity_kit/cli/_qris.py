"""``smartcity-kit qris``: make a QRIS code for a stall, or read one; no database needed.

``qris make`` prints the payload (the text inside the QR code) and, with ``--png`` or ``--svg``,
writes the image. With ``--amount`` the code is dynamic: the payer's app shows that amount. Bad
options print one line per problem and exit 2.

``qris read`` prints the fields of a payload as an aligned list (tag, name, value), or each
problem on its own line (``tag 59 (merchant name): ...``) and exits 2. Mobile numbers in the
additional data are masked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, NoReturn

import click

from smartcity_kit.cli._output import echo_json, fail, table
from smartcity_kit.core import Rupiah
from smartcity_kit.economy.qris import (
    QRIS_GUID,
    AdditionalData,
    InitiationMethod,
    MerchantAccount,
    MerchantCriteria,
    QrisPayload,
    TlvField,
    build_qris,
    mask_mobile_number,
    parse_qris,
    qr_png,
    qr_svg,
)
from smartcity_kit.economy.qris._tlv import label, sub_label
from smartcity_kit.errors import ConfigurationError, FieldError, ValidationError

_INITIATION: Final = {"11": "static", "12": "dynamic"}
_CRITERIA: Final = {"UMI": "micro", "UKE": "small", "UME": "medium", "UBE": "large"}
_TIPS: Final = {"01": "payer enters a tip", "02": "fixed fee", "03": "percentage fee"}
#: A codec error's field: ``59 (merchant name)`` or ``51.02 (merchant ID / NMID)``.
_TAG_PATH: Final = re.compile(r"(\d{2}(?:\.\d{2})?)(?: \(.*\))?")


def tag_name(tag: str, sub: str | None = None) -> str:
    """The codec's name of a tag (``"59"``: merchant name) or sub-tag (``"62"``, ``"05"``)."""
    text = sub_label(tag, sub) if sub is not None else label(tag)
    return text.partition(" (")[2].removesuffix(")") or "field"


def problem_line(error: FieldError) -> str:
    """One problem as ``tag 59 (merchant name): ...`` (or ``field: ...`` off the tag tree)."""
    if _TAG_PATH.fullmatch(error.path):
        return f"tag {error.path}: {error.message}"
    return f"{error.path}: {error.message}" if error.path else error.message


def _others(parent: str, others: Sequence[TlvField]) -> list[tuple[str, str, str]]:
    return [(f"{parent}.{f.tag}", tag_name(parent, f.tag), f.value) for f in others]


def _rows(p: QrisPayload) -> list[tuple[str, str, str]]:
    """The payload's fields as (tag, name, value) rows, in tag order, CRC last."""
    rows: list[tuple[str, str, str]] = [
        ("00", tag_name("00"), p.payload_format),
        ("01", tag_name("01"), f"{p.initiation.value} ({_INITIATION[p.initiation.value]})"),
    ]
    for a in p.accounts:
        rows.extend(_account_rows(a))
    rows.append(("52", tag_name("52"), p.mcc))
    currency = f"{p.currency} (IDR)" if p.currency == "360" else p.currency
    rows.append(("53", tag_name("53"), currency))
    rows.extend(_amount_rows(p))
    rows.append(("58", tag_name("58"), p.country))
    rows.append(("59", tag_name("59"), p.merchant_name))
    rows.append(("60", tag_name("60"), p.merchant_city))
    if p.postal_code is not None:
        rows.append(("61", tag_name("61"), p.postal_code))
    if p.additional is not None:
        rows.append(("62", tag_name("62"), ""))
        rows.extend(_additional_rows(p.additional))
    rows.extend((f.tag, tag_name(f.tag), f.value) for f in p.other)
    if p.crc is not None:
        rows.append(("63", tag_name("63"), p.crc))
    return sorted(rows, key=lambda r: (r[0].startswith("63"), r[0].split(".")[0]))


def _account_rows(a: MerchantAccount) -> list[tuple[str, str, str]]:
    rows = [(a.tag, tag_name(a.tag), ""), (f"{a.tag}.00", tag_name(a.tag, "00"), a.guid)]
    if a.pan is not None:
        rows.append((f"{a.tag}.01", tag_name(a.tag, "01"), a.pan))
    if a.merchant_id is not None:
        rows.append((f"{a.tag}.02", tag_name(a.tag, "02"), a.merchant_id))
    if a.criteria is not None:
        value = a.criteria.value
        rows.append((f"{a.tag}.03", tag_name(a.tag, "03"), f"{value} ({_CRITERIA[value]})"))
    return rows + _others(a.tag, a.other)


def _amount_rows(p: QrisPayload) -> list[tuple[str, str, str]]:
    rows = []
    if p.amount is not None:
        rows.append(("54", tag_name("54"), f"{p.amount.amount} ({p.amount})"))
    if p.tip is not None:
        rows.append(("55", tag_name("55"), f"{p.tip.value} ({_TIPS[p.tip.value]})"))
    if p.fee_fixed is not None:
        rows.append(("56", tag_name("56"), f"{p.fee_fixed.amount} ({p.fee_fixed})"))
    if p.fee_percent is not None:
        rows.append(("57", tag_name("57"), f"{p.fee_percent}%"))
    return rows


def _additional_rows(a: AdditionalData) -> list[tuple[str, str, str]]:
    rows = []
    for sub, value in (
        ("01", a.bill_number),
        ("02", None if a.mobile_number is None else mask_mobile_number(a.mobile_number)),
        ("03", a.store_label),
        ("04", a.loyalty_number),
        ("05", a.reference_label),
        ("06", a.customer_label),
        ("07", a.terminal_label),
        ("08", a.purpose),
        ("09", a.consumer_data_request),
    ):
        if value is not None:
            rows.append((f"62.{sub}", tag_name("62", sub), value))
    return rows + _others("62", a.other)


def _refuse(problems: Sequence[str]) -> NoReturn:
    for line in problems:
        click.echo(f"Error: {line}", err=True)
    raise SystemExit(2)


@click.group()
def qris() -> None:
    """QRIS codes: make one for a stall (static, or dynamic with an amount), or read one."""


#: Where a model field's problem points, as the option that set it.
_OPTIONS: Final = {
    "52": "--mcc",
    "54": "--amount",
    "59": "--name",
    "60": "--city",
    "61": "--postal-code",
    "62.01": "--bill",
    "62.05": "--reference",
    "51.02": "--nmid",
    "51.03": "--criteria",
    "mcc": "--mcc",
    "amount": "--amount",
    "merchant_name": "--name",
    "merchant_city": "--city",
    "postal_code": "--postal-code",
    "bill_number": "--bill",
    "reference_label": "--reference",
    "merchant_id": "--nmid",
    "nmid": "--nmid",
    "criteria": "--criteria",
}


def _option_line(error: FieldError) -> str:
    found = _TAG_PATH.fullmatch(error.path)
    path = found.group(1) if found else error.path
    option = _OPTIONS.get(path) or _OPTIONS.get(path.rsplit(".", 1)[-1])
    line = problem_line(error)
    return f"{option}: {line}" if option else line


@qris.command("make")
@click.option("--name", required=True, help="Merchant name as printed (at most 25 characters).")
@click.option("--city", required=True, help="Merchant city (at most 15 characters).")
@click.option("--nmid", required=True, help="National Merchant ID from the payment provider.")
@click.option("--mcc", required=True, help="Merchant category code, 4 digits (5499: food).")
@click.option("--amount", help="Makes a dynamic code for this amount (15000 or Rp15.000).")
@click.option("--bill", help="Bill number for a dynamic code (tag 62/01).")
@click.option("--reference", help="Reference label for a dynamic code (tag 62/05).")
@click.option("--postal-code", help="The merchant's postal code (5 digits).")
@click.option(
    "--criteria",
    type=click.Choice([c.value for c in MerchantCriteria]),
    default=MerchantCriteria.MICRO.value,
    show_default=True,
    help="Business size: UMI micro, UKE small, UME medium, UBE large.",
)
@click.option("--png", "png", type=click.Path(dir_okay=False, path_type=Path), help="Write a PNG.")
@click.option("--svg", "svg", type=click.Path(dir_okay=False, path_type=Path), help="Write an SVG.")
def make(  # noqa: PLR0913, PLR0917 - one parameter per option
    name: str,
    city: str,
    nmid: str,
    mcc: str,
    amount: str | None,
    bill: str | None,
    reference: str | None,
    postal_code: str | None,
    criteria: str,
    png: Path | None,
    svg: Path | None,
) -> None:
    """Print a QRIS payload for a merchant (and write it as an image with --png or --svg)."""
    problems: list[str] = []
    if png is not None and svg is not None:
        problems.append("--png and --svg: give one of them")
    money = None if amount is None else _amount(amount, problems)
    if amount is None and (bill is not None or reference is not None):
        problems.append("--bill and --reference are for a dynamic code: give --amount too")
    if problems:
        _refuse(problems)
    additional = None
    if bill is not None or reference is not None:
        additional = AdditionalData(bill_number=bill, reference_label=reference)
    try:
        payload = build_qris(
            QrisPayload(
                initiation=InitiationMethod.DYNAMIC if money else InitiationMethod.STATIC,
                accounts=(
                    MerchantAccount(
                        tag="51",
                        guid=QRIS_GUID,
                        merchant_id=nmid,
                        criteria=MerchantCriteria(criteria),
                    ),
                ),
                mcc=mcc,
                merchant_name=name,
                merchant_city=city,
                amount=money,
                postal_code=postal_code,
                additional=additional,
            )
        )
    except ValidationError as e:
        _refuse([_option_line(p) for p in e.errors])
    _write_image(payload, png, svg)
    click.echo(payload)


def _amount(text: str, problems: list[str]) -> Rupiah | None:
    try:
        money = Rupiah.parse(text)
    except ValidationError:
        money = None
    if money is None or money.amount <= 0:
        problems.append("--amount: must be whole rupiah above 0, e.g. 15000 or Rp15.000")
        return None
    return money


def _write_image(payload: str, png: Path | None, svg: Path | None) -> None:
    try:
        if png is not None:
            png.write_bytes(qr_png(payload))
        if svg is not None:
            svg.write_bytes(qr_svg(payload))
    except ConfigurationError as e:
        fail(str(e))
    except OSError as e:
        fail(f"cannot write the image: {e.strerror or e}")


@qris.command("read")
@click.argument("payload")
@click.option("--json", "as_json", is_flag=True, help="Print the fields as JSON.")
def read(payload: str, *, as_json: bool) -> None:
    """Print the fields of a QRIS PAYLOAD, or what is wrong with it (exit 2)."""
    try:
        parsed = parse_qris(payload.strip())
    except ValidationError as e:
        if as_json:
            echo_json(
                {
                    "valid": False,
                    "problems": [{"field": p.path, "message": p.message} for p in e.errors],
                }
            )
            raise SystemExit(2) from None
        _refuse([problem_line(p) for p in e.errors])
    rows = _rows(parsed)
    if as_json:
        fields: list[dict[str, Any]] = [{"tag": t, "name": n, "value": v} for t, n, v in rows]
        echo_json({"valid": True, "dynamic": parsed.is_dynamic, "fields": fields})
        return
    table([(tag, name, value) for tag, name, value in rows])
