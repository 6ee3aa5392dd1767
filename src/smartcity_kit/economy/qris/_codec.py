"""Reading, checking and writing QRIS codes, and turning static codes into dynamic ones.

The rules (Bank Indonesia's QRIS on EMVCo Merchant-Presented Mode) are checked in one pass over
the data objects, and every problem is reported under its tag, like ``59 (merchant name)`` or
``51.02 (merchant ID / NMID)``; problems with the text as a whole are under ``payload``. A broken
TLV structure stops the reading (nothing after it can be located); every other problem is
collected, so one :class:`~smartcity_kit.errors.ValidationError` lists them all.

Choices the standard leaves open, and why:

- **A static code with an amount is refused** (``54 (transaction amount)``). qriskit only warns
  about it and lokal-id accepts it silently. A static code is shown to every payer, and payers'
  apps differ on whether they pay the printed amount or ask for one, so the merchant cannot rely
  on the amount; a code for one amount is a dynamic code (01 = 12), which is what
  :func:`to_dynamic` makes.
- **A dynamic code without an amount is refused**: both peers warn. Our dynamic codes are for
  one sale, and a sale has an amount.
- **Amounts are whole rupiah**: ``15000`` and ``15000.00`` are read, ``15000.50`` is refused,
  since rupiah has no minor unit in practice (:class:`~smartcity_kit.core.Rupiah`).
- **A tip or fee (tags 55-57) is allowed on a static code** (the payer types the amount and
  the app adds the fee), as both peers allow.
- **The NMID** (51.02) is ``ID`` and 10 to 15 digits; ASPI issues ``ID`` and 13 digits today.
- **The CRC is compared without regard to case** (``1e30`` matches ``1E30``), as lokal-id does;
  we always write upper case.
- **Lengths count characters**, as both peers do; text is not trimmed (strip a scanner's line
  end first: a control character is a problem).
- **Templates** (26-51, 62, 64, 80-99) must hold well-formed TLV; their unknown sub-tags are
  kept verbatim.
- **The merchant name and city (59, 60) are printable ASCII**, as EMVCo's format "ans" says,
  and not only spaces. A name in another script belongs in the language template (64). Other
  text may hold any printable character: the QR images encode the code as UTF-8
  (:mod:`~smartcity_kit.economy.qris._image`), the bytes the CRC is computed over, so a
  payer's app reads what was checked.
- **Arguments of any value are refused, never crashed on**: amounts of 13 digits or more,
  percentages that are not finite, out of range or finer than two decimals are
  :class:`~smartcity_kit.errors.ValidationError`, checked before any conversion.
"""

from __future__ import annotations

import decimal
import re
from operator import itemgetter
from typing import Final

from smartcity_kit.core import Rupiah
from smartcity_kit.economy.qris._crc import crc16
from smartcity_kit.economy.qris._model import (
    QRIS_GUID,
    AdditionalData,
    InitiationMethod,
    MerchantAccount,
    MerchantCriteria,
    QrisPayload,
    TipIndicator,
    TlvField,
)
from smartcity_kit.economy.qris._tlv import (
    ADDITIONAL_SUB,
    TWO_DIGITS,
    encode,
    label,
    split,
    sub_label,
)
from smartcity_kit.errors import FieldError, ValidationError

__all__ = ["build_qris", "check_qris", "parse_qris", "to_dynamic", "to_static"]

MAX_LENGTH: Final = 512
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_INITIATION: Final = {m.value: m for m in InitiationMethod}
_CRITERIA: Final = {m.value: m for m in MerchantCriteria}
_TIP: Final = {m.value: m for m in TipIndicator}
_NMID_DIGITS: Final = range(10, 16)
_MANDATORY: Final = ("01", "52", "53", "58", "59", "60")
_ADDITIONAL_KEYS: Final = tuple(ADDITIONAL_SUB)
# Tags the model names: everything else at the top level is kept in `other`.
_MODELLED: Final = frozenset(
    ["00", "01", *(f"{i}" for i in range(26, 64))]
)  # 26-51 accounts, 52-63 named fields
_HUNDRED: Final = decimal.Decimal(100)
_TEMPLATE_OTHER: Final = frozenset(["64", *(f"{i}" for i in range(80, 100))])
_TRANSACTION: Final = frozenset(["54", "55", "56", "57"])
_AMOUNT_ONLY: Final = frozenset(["54"])
#: Amounts are at most 13 characters (tags 54 and 56).
_AMOUNT_LIMIT: Final = 10**13
_CENT: Final = decimal.Decimal("0.01")
#: A fixed context for fee percentages, whatever the caller's context is.
_PERCENT_CONTEXT: Final = decimal.Context(prec=28, traps=[decimal.InvalidOperation])
_NON_LATIN: Final = (
    "must be printable ASCII (EMVCo format ans): use ASCII; names in other scripts go in "
    "the language template 64"
)


def _digits(value: str) -> bool:
    return value.isdigit() and value.isascii()


# --- reading -------------------------------------------------------------------------------


def _scan(text: object) -> tuple[list[FieldError], list[tuple[str, str, int]] | None]:
    """Check the text as a whole and split it into top-level data objects."""
    if not isinstance(text, str):
        return [FieldError("payload", f"must be text (str), not {type(text).__name__}")], None
    size = len(text)
    if size > MAX_LENGTH:
        return [FieldError("payload", f"is {size} characters; a QRIS code has at most 512")], None
    if not size:
        return [FieldError("payload", "is empty")], None
    errors: list[FieldError] = []
    bad = _CONTROL.search(text)
    if bad is not None:
        errors.append(
            FieldError(
                "payload",
                f"has a control or invalid character at offset {bad.start()}; "
                "a QRIS code is printable text",
            )
        )
    return errors, split(text, 0, size, "payload", errors)


def _amount(value: str, field: str, errors: list[FieldError]) -> Rupiah | None:
    """A whole-rupiah amount (tags 54 and 56): digits, optional zero decimals, more than 0."""
    if len(value) > 13:
        errors.append(FieldError(field, f"is {len(value)} characters; at most 13"))
        return None
    whole, dot, fraction = value.partition(".")
    if not _digits(whole) or (dot and not (len(fraction) in {1, 2} and _digits(fraction))):
        errors.append(
            FieldError(field, "must be digits with at most two decimals, like 15000 or 15000.00")
        )
        return None
    if dot and fraction.strip("0"):
        errors.append(FieldError(field, "has sen (a fraction): rupiah amounts are whole rupiah"))
        return None
    amount = int(whole)
    if not amount:
        errors.append(FieldError(field, "must be more than 0"))
        return None
    return Rupiah(amount)


def _percent(value: str, field: str, errors: list[FieldError]) -> decimal.Decimal | None:
    """A convenience fee in percent (tag 57): more than 0, at most 100, at most two decimals."""
    whole, dot, fraction = value.partition(".")
    if (
        len(value) > 5
        or not _digits(whole)
        or (dot and not (len(fraction) in {1, 2} and _digits(fraction)))
    ):
        errors.append(
            FieldError(field, "must be a percentage of at most 5 characters, like 2.5 or 10")
        )
        return None
    percent = decimal.Decimal(value)
    if not 0 < percent <= _HUNDRED:
        errors.append(FieldError(field, "must be more than 0 and at most 100"))
        return None
    return percent


def _name_text(value: str, field: str, most: int, errors: list[FieldError]) -> None:
    """The merchant name (59) or city (60): 1 to ``most`` printable ASCII, not only spaces."""
    if len(value) > most:
        errors.append(FieldError(field, f"is {len(value)} characters; at most {most}"))
    elif not value.isascii():  # control characters are the whole payload's problem
        errors.append(FieldError(field, _NON_LATIN))
    elif not value.strip():
        errors.append(FieldError(field, "is only spaces"))


def _account(  # noqa: C901, PLR0912, PLR0913, PLR0917 - one branch per sub-tag rule
    text: str,
    tag: str,
    start: int,
    end: int,
    errors: list[FieldError],
    model: bool,
) -> MerchantAccount | None:
    """Check one merchant account template (26-51) and, when asked, read it."""
    subs = split(text, start, end, label(tag), errors)
    if subs is None:
        return None
    found: dict[str, str] = {}
    for sub, value, _ in subs:
        if sub in found:
            errors.append(FieldError(sub_label(tag, sub), "appears more than once"))
        elif not value:
            errors.append(FieldError(sub_label(tag, sub), "is empty"))
        found[sub] = value
    national = tag == "51"
    guid = found.get("00")
    if guid is None:
        errors.append(FieldError(sub_label(tag, "00"), "is missing"))
    elif len(guid) > 32:
        errors.append(FieldError(sub_label(tag, "00"), "is longer than 32 characters"))
    elif national and guid != QRIS_GUID:
        errors.append(
            FieldError(sub_label(tag, "00"), f"must be {QRIS_GUID} in the national account")
        )
    pan = found.get("01")
    if pan and not (len(pan) <= 19 and _digits(pan)):
        errors.append(FieldError(sub_label(tag, "01"), "must be 1 to 19 digits"))
    merchant_id = found.get("02")
    if national:
        if merchant_id is None:
            errors.append(FieldError(sub_label(tag, "02"), "is missing"))
        elif not (
            merchant_id[:2] == "ID"
            and len(merchant_id) - 2 in _NMID_DIGITS
            and _digits(merchant_id[2:])
        ):
            errors.append(FieldError(sub_label(tag, "02"), "must be ID and 10 to 15 digits"))
    criteria_text = found.get("03")
    criteria = None
    if criteria_text is not None:
        criteria = _CRITERIA.get(criteria_text)
        if criteria is None and criteria_text:
            errors.append(FieldError(sub_label(tag, "03"), "must be UMI, UKE, UME or UBE"))
    elif national:
        errors.append(FieldError(sub_label(tag, "03"), "is missing"))
    if not model or guid is None:
        return None
    return MerchantAccount(
        tag,
        guid,
        pan,
        merchant_id,
        criteria,
        tuple([TlvField(s, v) for s, v, _ in subs if s > "03"]),
    )


def _additional(
    text: str, start: int, end: int, errors: list[FieldError], model: bool
) -> AdditionalData | None:
    """Check the additional data template (62) and, when asked, read it."""
    subs = split(text, start, end, "62 (additional data)", errors)
    if subs is None:
        return None
    seen: set[str] = set()
    named: dict[str, str] = {}
    other: list[TlvField] = []
    for sub, value, _ in subs:
        if sub in seen:
            errors.append(FieldError(sub_label("62", sub), "appears more than once"))
            continue
        seen.add(sub)
        if not value:
            errors.append(FieldError(sub_label("62", sub), "is empty"))
        if sub in ADDITIONAL_SUB:
            if len(value) > 25:
                errors.append(
                    FieldError(sub_label("62", sub), f"is {len(value)} characters; at most 25")
                )
            named[sub] = value
        elif model:
            other.append(TlvField(sub, value))
    if not model:
        return None
    get = named.get
    return AdditionalData(
        get("01"),
        get("02"),
        get("03"),
        get("04"),
        get("05"),
        get("06"),
        get("07"),
        get("08"),
        get("09"),
        tuple(other),
    )


def _check(  # noqa: C901, PLR0912, PLR0915 - one pass over the tags, in the standard's order
    text: object, *, model: bool
) -> tuple[list[FieldError], list[tuple[str, str, int]] | None, QrisPayload | None]:
    """Every problem with ``text``, its top-level data objects, and (when asked and valid) it."""
    errors, fields = _scan(text)
    if fields is None:
        return errors, None, None
    assert isinstance(text, str)  # noqa: S101 - _scan returned fields, so text is a str

    values: dict[str, str] = {}
    for tag, value, _ in fields:
        if tag in values:
            errors.append(FieldError(label(tag), "appears more than once"))
        elif not value:
            errors.append(FieldError(label(tag), "is empty"))
        values[tag] = value
    get = values.get

    # 00 first; 63 last, with the right checksum.
    first_tag, first_value, _ = fields[0]
    if first_tag != "00":
        errors.append(
            FieldError(
                label("00"),
                "must be the first data object" if "00" in values else "is missing",
            )
        )
    elif first_value != "01":
        errors.append(FieldError(label("00"), "must be 01"))
    last_tag, last_value, last_offset = fields[-1]
    crc = None
    if last_tag != "63":
        errors.append(
            FieldError(
                label("63"), "must be the last data object" if "63" in values else "is missing"
            )
        )
    elif len(last_value) != 4:
        errors.append(FieldError(label("63"), f"must have length 04, not {len(last_value):02d}"))
    else:
        crc = last_value
        expected = crc16(text[:last_offset])
        if last_value.upper() != expected:
            errors.append(
                FieldError(
                    label("63"),
                    f"does not match: the code says {last_value!r}, its content gives "
                    f"{expected!r}; the code is damaged, cut short or was changed",
                )
            )
    for tag in _MANDATORY:
        if tag not in values:
            errors.append(FieldError(label(tag), "is missing"))

    initiation = None
    text01 = get("01")
    if text01:
        initiation = _INITIATION.get(text01)
        if initiation is None:
            errors.append(FieldError(label("01"), "must be 11 (static) or 12 (dynamic)"))

    # Merchant accounts 26-51; tag 51 is the national repository account.
    accounts: list[MerchantAccount] = []
    other: list[TlvField] = []
    additional = None
    for tag, value, offset in fields:
        if "26" <= tag <= "51":
            if value:
                account = _account(text, tag, offset, offset + len(value), errors, model)
                if account is not None:
                    accounts.append(account)
        elif tag == "62":
            if value:
                additional = _additional(text, offset, offset + len(value), errors, model)
        elif tag not in _MODELLED:
            if tag in _TEMPLATE_OTHER and value:
                split(text, offset, offset + len(value), label(tag), errors)
            if model:
                other.append(TlvField(tag, value))
    if "51" not in values:
        errors.append(
            FieldError(
                label("51"),
                f"is missing: a QRIS code needs the national account ({QRIS_GUID}) with the NMID",
            )
        )

    mcc = get("52")
    if mcc and not (len(mcc) == 4 and _digits(mcc)):
        errors.append(FieldError(label("52"), "must be 4 digits"))
    currency = get("53")
    if currency and currency != "360":
        errors.append(FieldError(label("53"), "must be 360 (rupiah)"))

    amount = None
    text54 = get("54")
    if text54:
        amount = _amount(text54, label("54"), errors)
        if initiation is InitiationMethod.STATIC:
            errors.append(
                FieldError(
                    label("54"),
                    "is not allowed in a static code (01 = 11): a code for one amount is "
                    "dynamic (01 = 12)",
                )
            )
    elif text54 is None and initiation is InitiationMethod.DYNAMIC:
        errors.append(FieldError(label("54"), "is missing: a dynamic code (01 = 12) needs it"))

    tip = None
    text55 = get("55")
    if text55:
        tip = _TIP.get(text55)
        if tip is None:
            errors.append(
                FieldError(label("55"), "must be 01 (prompt), 02 (fixed) or 03 (percent)")
            )
    fee_fixed = None
    text56 = get("56")
    if text56 is None:
        if tip is TipIndicator.FIXED:
            errors.append(FieldError(label("56"), "is missing: tip indicator 02 needs it"))
    elif tip is not TipIndicator.FIXED:
        errors.append(FieldError(label("56"), "is only allowed with tip indicator 02 (fixed)"))
    elif text56:
        fee_fixed = _amount(text56, label("56"), errors)
    fee_percent = None
    text57 = get("57")
    if text57 is None:
        if tip is TipIndicator.PERCENT:
            errors.append(FieldError(label("57"), "is missing: tip indicator 03 needs it"))
    elif tip is not TipIndicator.PERCENT:
        errors.append(FieldError(label("57"), "is only allowed with tip indicator 03 (percent)"))
    elif text57:
        fee_percent = _percent(text57, label("57"), errors)

    country = get("58")
    if country and country != "ID":
        errors.append(FieldError(label("58"), "must be ID"))
    name = get("59")
    if name:
        _name_text(name, label("59"), 25, errors)
    city = get("60")
    if city:
        _name_text(city, label("60"), 15, errors)
    postal_code = get("61")
    if postal_code and not (len(postal_code) == 5 and _digits(postal_code)):
        errors.append(FieldError(label("61"), "must be 5 digits (kode pos)"))

    if errors or not model:
        return errors, fields, None
    assert initiation is not None  # noqa: S101 - no errors: 01 was read
    assert mcc is not None  # noqa: S101
    assert name is not None  # noqa: S101
    assert city is not None  # noqa: S101
    assert currency is not None  # noqa: S101
    assert country is not None  # noqa: S101
    return (
        errors,
        fields,
        QrisPayload(
            initiation,
            tuple(accounts),
            mcc,
            name,
            city,
            currency,
            country,
            amount,
            tip,
            fee_fixed,
            fee_percent,
            postal_code,
            additional,
            tuple(other),
            first_value,
            crc,
        ),
    )


def parse_qris(text: object) -> QrisPayload:
    """Read a QRIS code and check every rule.

    >>> code = (
    ...     "00020101021151440014ID.CO.QRIS.WWW0215ID10200000000010303UMI5204549953033605802ID"
    ...     "5913WARUNG LORONG6008MAKASSAR61059011163041E30"
    ... )
    >>> payload = parse_qris(code)
    >>> payload.merchant_name, payload.nmid, payload.is_dynamic
    ('WARUNG LORONG', 'ID1020000000001', False)
    >>> parse_qris(code.replace("MAKASSAR", "MAKASAR "))
    Traceback (most recent call last):
    ...
    smartcity_kit.errors.ValidationError: 63 (CRC): does not match: ...

    Where the standard leaves a choice, the careful one is taken (see the module notes): a
    static code carrying an amount is refused, a dynamic one needs an amount, amounts are whole
    rupiah, and the NMID is ``ID`` and 10 to 15 digits.

    Args:
        text: The code's text. Anything else is reported as a problem, never raised otherwise.

    Returns:
        The payload; ``crc`` holds tag 63 as read.

    Raises:
        ValidationError: The code breaks a rule. Every problem found is listed, named by its
            tag (``"59 (merchant name)"``, ``"51.02 (merchant ID / NMID)"``) or ``"payload"``.
    """
    errors, _, payload = _check(text, model=True)
    if payload is None:
        raise ValidationError(errors)
    return payload


def check_qris(text: object) -> list[FieldError]:
    """Every problem with a QRIS code, named by its tag; empty when the code is valid.

    Never raises.

    >>> check_qris(b"000201")
    [FieldError(path='payload', message='must be text (str), not bytes')]
    >>> [e.path for e in check_qris("0002010102115204ABCD")]
    ['63 (CRC)', '53 (transaction currency)', '58 (country code)', '59 (merchant name)', ...]
    """
    return _check(text, model=False)[0]


def _fields_of_valid(text: object) -> list[tuple[str, str, int]]:
    errors, fields, _ = _check(text, model=False)
    if errors or fields is None:
        raise ValidationError(errors)
    return fields


# --- writing -------------------------------------------------------------------------------


def _seal(body: str) -> str:
    body += "6304"
    return body + crc16(body)


def _put(
    pairs: list[tuple[str, str]], tag: str, value: object, field: str, errors: list[FieldError]
) -> None:
    if not isinstance(value, str):
        errors.append(FieldError(field, f"must be text (str), not {type(value).__name__}"))
    elif len(value) > 99:
        errors.append(FieldError(field, f"is {len(value)} characters; a data object holds 99"))
    else:
        pairs.append((tag, value))


def _put_other(
    pairs: list[tuple[str, str]],
    fields: object,
    where: str,
    reserved: frozenset[str],
    errors: list[FieldError],
) -> None:
    if not isinstance(fields, tuple):
        errors.append(FieldError(where, "must be a tuple of TlvField"))
        return
    for index, item in enumerate(fields):
        field = f"{where}[{index}]"
        if not isinstance(item, TlvField):
            errors.append(FieldError(field, "must be a TlvField"))
        elif not isinstance(item.tag, str) or item.tag not in TWO_DIGITS:
            errors.append(FieldError(field, "the tag must be two digits"))
        elif item.tag in reserved:
            errors.append(FieldError(field, f"tag {item.tag} has its own attribute; use that"))
        else:
            _put(pairs, item.tag, item.value, field, errors)


def _amount_text(value: object, field: str, errors: list[FieldError]) -> str | None:
    """A Rupiah amount's digits; its sign and size are checked by the rules (54, 56) after."""
    if not isinstance(value, Rupiah) or type(value.amount) is not int:
        errors.append(FieldError(field, "must be a Rupiah amount"))
        return None
    if not -_AMOUNT_LIMIT < value.amount < _AMOUNT_LIMIT:
        errors.append(FieldError(field, "must be at most 13 digits"))
        return None
    return str(value.amount)


def _percent_text(value: object, field: str, errors: list[FieldError]) -> str | None:
    """A fee percentage as the code writes it (``2.5``), checked before any conversion."""
    rule = "must be more than 0 and at most 100, with at most two decimals, like Decimal('2.5')"
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 < value <= _HUNDRED:
            errors.append(FieldError(field, rule))
            return None
        return str(value)
    if not isinstance(value, decimal.Decimal) or not value.is_finite():
        errors.append(FieldError(field, "must be a Decimal percentage, like Decimal('2.5')"))
        return None
    # Compared first: a huge or tiny exponent never reaches quantize, normalize or format.
    if not 0 < value <= _HUNDRED:
        errors.append(FieldError(field, rule))
        return None
    if value.quantize(_CENT, context=_PERCENT_CONTEXT) != value:
        errors.append(FieldError(field, rule))
        return None
    return format(value.normalize(_PERCENT_CONTEXT), "f")


_ACCOUNT_RESERVED: Final = frozenset(["00", "01", "02", "03"])
_ADDITIONAL_RESERVED: Final = frozenset(ADDITIONAL_SUB)


def _account_value(account: object, where: str, errors: list[FieldError]) -> tuple[str, str]:
    if not isinstance(account, MerchantAccount):
        errors.append(FieldError(where, "must be a MerchantAccount"))
        return "", ""
    tag = account.tag
    if not isinstance(tag, str) or not "26" <= tag <= "51" or tag not in TWO_DIGITS:
        errors.append(FieldError(f"{where}.tag", "must be 26 to 51"))
        return "", ""
    subs: list[tuple[str, str]] = []
    _put(subs, "00", account.guid, sub_label(tag, "00"), errors)
    if account.pan is not None:
        _put(subs, "01", account.pan, sub_label(tag, "01"), errors)
    if account.merchant_id is not None:
        _put(subs, "02", account.merchant_id, sub_label(tag, "02"), errors)
    if account.criteria is not None:
        _put(subs, "03", account.criteria, sub_label(tag, "03"), errors)
    if account.other:
        _put_other(subs, account.other, f"{where}.other", _ACCOUNT_RESERVED, errors)
        subs.sort(key=itemgetter(0))
    return tag, encode(subs)


def _additional_value(data: object, errors: list[FieldError]) -> str:
    if not isinstance(data, AdditionalData):
        errors.append(FieldError(label("62"), "must be an AdditionalData"))
        return ""
    subs: list[tuple[str, str]] = []
    values = (
        data.bill_number,
        data.mobile_number,
        data.store_label,
        data.loyalty_number,
        data.reference_label,
        data.customer_label,
        data.terminal_label,
        data.purpose,
        data.consumer_data_request,
    )
    for sub, value in zip(_ADDITIONAL_KEYS, values, strict=True):
        if value is not None:
            _put(subs, sub, value, sub_label("62", sub), errors)
    if data.other:
        _put_other(subs, data.other, "additional.other", _ADDITIONAL_RESERVED, errors)
        subs.sort(key=itemgetter(0))
    return encode(subs)


def _encode(p: QrisPayload) -> str:  # noqa: C901 - one line per optional tag
    """The payload's TLV text up to tag 63, in ascending tag order (00 first)."""
    errors: list[FieldError] = []
    pairs: list[tuple[str, str]] = []
    _put(pairs, "00", p.payload_format, label("00"), errors)
    _put(pairs, "01", p.initiation, label("01"), errors)
    accounts: object = p.accounts
    if not isinstance(accounts, tuple):
        errors.append(FieldError("accounts", "must be a tuple of MerchantAccount"))
        accounts = ()
    elif len(accounts) > 1:
        accounts = tuple(sorted(accounts, key=lambda a: str(getattr(a, "tag", ""))))
    for index, account in enumerate(accounts):
        tag, value = _account_value(account, f"accounts[{index}]", errors)
        if tag:
            _put(pairs, tag, value, label(tag), errors)
    _put(pairs, "52", p.mcc, label("52"), errors)
    _put(pairs, "53", p.currency, label("53"), errors)
    if p.amount is not None and (text := _amount_text(p.amount, label("54"), errors)):
        _put(pairs, "54", text, label("54"), errors)
    if p.tip is not None:
        _put(pairs, "55", p.tip, label("55"), errors)
    if p.fee_fixed is not None and (text := _amount_text(p.fee_fixed, label("56"), errors)):
        _put(pairs, "56", text, label("56"), errors)
    if p.fee_percent is not None and (text := _percent_text(p.fee_percent, label("57"), errors)):
        _put(pairs, "57", text, label("57"), errors)
    _put(pairs, "58", p.country, label("58"), errors)
    _put(pairs, "59", p.merchant_name, label("59"), errors)
    _put(pairs, "60", p.merchant_city, label("60"), errors)
    if p.postal_code is not None:
        _put(pairs, "61", p.postal_code, label("61"), errors)
    if p.additional is not None:
        _put(pairs, "62", _additional_value(p.additional, errors), label("62"), errors)
    if p.other:
        _put_other(pairs, p.other, "other", _MODELLED, errors)
        pairs.sort(key=itemgetter(0))
    if errors:
        raise ValidationError(errors)
    return encode(pairs)


def build_qris(payload: QrisPayload) -> str:
    """Write a QRIS code, checking it with the same rules as :func:`parse_qris`.

    Data objects are written in ascending tag order: 00, 01, the accounts (26-51), 52 to 62
    and any other tags in between by their number, and the CRC (63) last.

    >>> from smartcity_kit.economy.qris import MerchantAccount, QRIS_GUID, MerchantCriteria
    >>> payload = QrisPayload(
    ...     initiation=InitiationMethod.STATIC,
    ...     accounts=(
    ...         MerchantAccount(
    ...             "51", QRIS_GUID, merchant_id="ID1020000000001", criteria=MerchantCriteria.MICRO
    ...         ),
    ...     ),
    ...     mcc="5499",
    ...     merchant_name="WARUNG LORONG",
    ...     merchant_city="MAKASSAR",
    ...     postal_code="90111",
    ... )
    >>> build_qris(payload)[-8:]
    '63041E30'

    Args:
        payload: What the code says.

    Returns:
        The code's text, with its CRC.

    Raises:
        ValidationError: The payload breaks a rule; every problem is named by its tag (or by
            the attribute, for a value of the wrong type).
    """
    if not isinstance(payload, QrisPayload):
        raise ValidationError.single("payload", "must be a QrisPayload")
    text = _seal(_encode(payload))
    errors = _check(text, model=False)[0]
    if errors:
        raise ValidationError(errors)
    return text


# --- static <-> dynamic --------------------------------------------------------------------


def _fee_fixed(indicator: TipIndicator, fee_fixed: object, errors: list[FieldError]) -> str | None:
    if indicator is not TipIndicator.FIXED:
        if fee_fixed is not None:
            errors.append(FieldError("fee_fixed", "is only allowed with tip=TipIndicator.FIXED"))
        return None
    return _positive_amount(fee_fixed, "fee_fixed", errors)


def _positive_amount(value: object, field: str, errors: list[FieldError]) -> str | None:
    """A Rupiah amount above Rp0 of at most 13 digits, as digits; sized before ``str``."""
    if not isinstance(value, Rupiah) or type(value.amount) is not int or value.amount <= 0:
        errors.append(FieldError(field, "must be a Rupiah amount more than Rp0"))
        return None
    if value.amount >= _AMOUNT_LIMIT:
        errors.append(FieldError(field, "must be at most 13 digits"))
        return None
    return str(value.amount)


def _fee_percent(
    indicator: TipIndicator, fee_percent: object, errors: list[FieldError]
) -> str | None:
    if indicator is not TipIndicator.PERCENT:
        if fee_percent is not None:
            errors.append(
                FieldError("fee_percent", "is only allowed with tip=TipIndicator.PERCENT")
            )
        return None
    text = _percent_text(fee_percent, "fee_percent", errors)
    if text is None or _percent(text, "fee_percent", errors) is None:
        return None
    return text


def _tip_pairs(
    tip: object, fee_fixed: object, fee_percent: object, errors: list[FieldError]
) -> list[tuple[str, str]]:
    """Tags 55-57 for the tip options of :func:`to_dynamic`, checked."""
    if tip is None:
        if fee_fixed is not None:
            errors.append(FieldError("fee_fixed", "needs tip=TipIndicator.FIXED"))
        if fee_percent is not None:
            errors.append(FieldError("fee_percent", "needs tip=TipIndicator.PERCENT"))
        return []
    indicator = _TIP.get(tip) if isinstance(tip, str) else None
    if indicator is None:
        errors.append(FieldError("tip", "must be a TipIndicator"))
        return []
    pairs = [("55", indicator.value)]
    if (fixed := _fee_fixed(indicator, fee_fixed, errors)) is not None:
        pairs.append(("56", fixed))
    if (percent := _fee_percent(indicator, fee_percent, errors)) is not None:
        pairs.append(("57", percent))
    return pairs


def _transaction_pairs(  # noqa: PLR0913, PLR0917 - the options of to_dynamic, checked together
    amount: object,
    bill_number: object,
    reference_label: object,
    tip: object,
    fee_fixed: object,
    fee_percent: object,
) -> tuple[list[tuple[str, str]], dict[str, str | None]]:
    """Tags 54-57 and the 62 sub-tags that :func:`to_dynamic` sets, or every wrong option."""
    errors: list[FieldError] = []
    pairs: list[tuple[str, str]] = []
    if (text := _positive_amount(amount, "amount", errors)) is not None:
        pairs.append(("54", text))
    updates: dict[str, str | None] = {}
    for sub, value, field in (
        ("01", bill_number, "bill_number"),
        ("05", reference_label, "reference_label"),
    ):
        if value is None:
            continue
        if not isinstance(value, str) or not 1 <= len(value) <= 25 or _CONTROL.search(value):
            errors.append(FieldError(field, "must be 1 to 25 printable characters"))
        else:
            updates[sub] = value
    pairs += _tip_pairs(tip, fee_fixed, fee_percent, errors)
    if errors:
        raise ValidationError(errors)
    return pairs, updates


def _set_subs(template: str, updates: dict[str, str | None]) -> str:
    """Template text with sub-tags set (a str) or removed (None); others stay as they were."""
    subs = [(tag, value) for tag, value, _ in split(template, 0, len(template), "", []) or ()]
    for sub, value in updates.items():
        # The sub-tag where it is (a template need not be in order), else in tag order.
        at = next((i for i, (tag, _) in enumerate(subs) if tag == sub), None)
        if value is None:
            if at is not None:
                del subs[at]
        elif at is not None:
            subs[at] = (sub, value)
        else:
            at = next((i for i, (tag, _) in enumerate(subs) if tag > sub), len(subs))
            subs.insert(at, (sub, value))
    return encode(subs)


def _insert_in_order(pairs: list[tuple[str, str]], new: list[tuple[str, str]]) -> None:
    """Insert ``new`` (ascending tags) before the first tag above the first new one."""
    at = next((i for i, (tag, _) in enumerate(pairs) if tag > new[0][0]), len(pairs))
    pairs[at:at] = new


def _finish(pairs: list[tuple[str, str]]) -> str:
    """Seal the rewritten data objects of a valid code.

    The code was valid and every new value was checked, so only sizes can break a rule now:
    a template over 99 characters, or a code over 512.
    """
    for tag, value in pairs:
        if len(value) > 99:
            raise ValidationError.single(
                label(tag), f"would be {len(value)} characters; at most 99"
            )
    text = _seal(encode(pairs))
    if len(text) > MAX_LENGTH:
        raise ValidationError.single("payload", f"would be {len(text)} characters; at most 512")
    return text


def to_dynamic(  # noqa: PLR0913 - the options of a dynamic code
    text: str,
    amount: Rupiah,
    *,
    bill_number: str | None = None,
    reference_label: str | None = None,
    tip: TipIndicator | None = None,
    fee_fixed: Rupiah | None = None,
    fee_percent: decimal.Decimal | None = None,
) -> str:
    """A dynamic code for one sale, made from a valid static (or dynamic) code.

    The code is rewritten as data objects, never as text: tag 01 becomes ``12``, tag 54 (the
    amount) is set in tag order, tags 55-57 are replaced when ``tip`` is given (kept otherwise),
    the bill number (62.01) and reference label (62.05) are set inside tag 62 (its other
    sub-tags kept), and the CRC is recomputed. Every other data object stays byte for byte.

    >>> static = (
    ...     "00020101021151440014ID.CO.QRIS.WWW0215ID10200000000010303UMI5204549953033605802ID"
    ...     "5913WARUNG LORONG6008MAKASSAR61059011163041E30"
    ... )
    >>> to_dynamic(static, Rupiah(15000))
    '...01021251...5303360540515000580...'

    Args:
        text: A valid QRIS code.
        amount: The amount to pay, more than Rp0.
        bill_number: The sale's number (62.01), 1 to 25 characters.
        reference_label: The reference the payment notification echoes (62.05), 1 to 25.
        tip: A tip prompt or a convenience fee; replaces the code's own when given.
        fee_fixed: The fixed fee, with ``tip=TipIndicator.FIXED``.
        fee_percent: The fee in percent (more than 0, at most 100, two decimals), with
            ``tip=TipIndicator.PERCENT``.

    Returns:
        The dynamic code.

    Raises:
        ValidationError: The code is not valid, or an option is wrong (named by the argument).
    """
    fields = _fields_of_valid(text)
    new, updates = _transaction_pairs(
        amount, bill_number, reference_label, tip, fee_fixed, fee_percent
    )
    # Without a tip option the code's own tip (55-57) stays; with one, it is replaced.
    drop = _TRANSACTION if len(new) > 1 else _AMOUNT_ONLY
    pairs: list[tuple[str, str]] = []
    has_62 = False
    for tag, value, _ in fields[:-1]:
        if tag == "01":
            pairs.append(("01", "12"))
        elif tag == "62":
            has_62 = True
            pairs.append(("62", _set_subs(value, updates) if updates else value))
        elif tag not in drop:
            pairs.append((tag, value))
    _insert_in_order(pairs, new)
    if updates and not has_62:
        _insert_in_order(pairs, [("62", _set_subs("", updates))])
    return _finish(pairs)


def to_static(text: str) -> str:
    """The static code behind a dynamic one: the reverse of :func:`to_dynamic`.

    Tag 01 becomes ``11``; tags 54-57 (amount, tip, fees) and the bill number and reference
    label (62.01, 62.05) are removed (tag 62 too, when nothing is left in it); the CRC is
    recomputed. Every other data object stays byte for byte.

    Args:
        text: A valid QRIS code.

    Returns:
        The static code.

    Raises:
        ValidationError: The code is not valid; every problem is named by its tag.
    """
    pairs: list[tuple[str, str]] = []
    for tag, value, _ in _fields_of_valid(text)[:-1]:
        if tag == "01":
            pairs.append(("01", "11"))
        elif tag == "62":
            kept = _set_subs(value, {"01": None, "05": None})
            if kept:
                pairs.append(("62", kept))
        elif tag not in _TRANSACTION:
            pairs.append((tag, value))
    return _finish(pairs)
