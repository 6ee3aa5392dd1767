"""The EMVCo tag-length-value layer: splitting text into data objects, writing them back.

Lengths count characters, as every QRIS implementation we test against does. Nothing here knows
QRIS rules; it only knows where each data object starts and ends, and names tags for errors.
"""

from __future__ import annotations

from typing import Final

from smartcity_kit.errors import FieldError

__all__ = ["LENGTH", "TWO_DIGITS", "encode", "label", "split", "sub_label"]

# "00".."99" -> 0..99: one dict lookup both checks two ASCII digits and converts them.
TWO_DIGITS: Final = {f"{i:02d}": i for i in range(100)}
# "TTLL" (tag and length, both two digits) -> (tag, length): one lookup reads a header.
_HEADS: Final = {t + n: (t, TWO_DIGITS[n]) for t in TWO_DIGITS for n in TWO_DIGITS}
# 0..99 -> "00".."99", to write a length without formatting.
LENGTH: Final = tuple(f"{i:02d}" for i in range(100))

_TOP: Final = {
    "00": "payload format indicator",
    "01": "point of initiation method",
    "51": "national repository account",
    "52": "merchant category code",
    "53": "transaction currency",
    "54": "transaction amount",
    "55": "tip or convenience indicator",
    "56": "convenience fee, fixed",
    "57": "convenience fee, percentage",
    "58": "country code",
    "59": "merchant name",
    "60": "merchant city",
    "61": "postal code",
    "62": "additional data",
    "63": "CRC",
    "64": "merchant information, language template",
}


def _top_name(tag: str) -> str:
    if tag in _TOP:
        return _TOP[tag]
    if tag < "26":
        return "merchant account information"
    if tag < "51":
        return "merchant account"
    return "reserved for future use" if tag < "80" else "unreserved template"


_LABELS: Final = {tag: f"{tag} ({_top_name(tag)})" for tag in TWO_DIGITS}

ACCOUNT_SUB: Final = {
    "00": "globally unique identifier",
    "01": "merchant PAN",
    "02": "merchant ID / NMID",
    "03": "merchant criteria",
}
ADDITIONAL_SUB: Final = {
    "01": "bill number",
    "02": "mobile number",
    "03": "store label",
    "04": "loyalty number",
    "05": "reference label",
    "06": "customer label",
    "07": "terminal label",
    "08": "purpose of transaction",
    "09": "additional consumer data request",
}


def label(tag: str) -> str:
    """The field name of a top-level tag in errors: ``"59 (merchant name)"``."""
    return _LABELS.get(tag, tag)


def sub_label(tag: str, sub: str) -> str:
    """The field name of a sub-tag in errors: ``"51.02 (merchant ID / NMID)"``."""
    names = ADDITIONAL_SUB if tag == "62" else ACCOUNT_SUB if "26" <= tag <= "51" else {}
    return f"{tag}.{sub} ({names.get(sub) or _top_name(tag)})"


def split(
    text: str, start: int, end: int, where: str, errors: list[FieldError]
) -> list[tuple[str, str, int]] | None:
    """The data objects in ``text[start:end]`` as (tag, value, offset of the value).

    Offsets are positions in the whole ``text``, so an error inside a template points at the
    right character of the code.

    Returns:
        The data objects, or None after appending one error (under ``where``) that says where
        the structure breaks.
    """
    found: list[tuple[str, str, int]] = []
    append = found.append
    heads = _HEADS
    pos = start
    while pos < end:
        head = heads.get(text[pos : pos + 4]) if pos + 4 <= end else None
        if head is None:
            errors.append(FieldError(where, _structure_problem(text, pos, end)))
            return None
        tag, length = head
        value_start = pos + 4
        pos = value_start + length
        if pos > end:
            errors.append(
                FieldError(
                    where,
                    f"at offset {value_start - 4}: tag {tag} declares {length} character(s) but "
                    f"only {end - value_start} remain",
                )
            )
            return None
        append((tag, text[value_start:pos], value_start))
    return found


def _structure_problem(text: str, pos: int, end: int) -> str:
    if pos + 4 > end:
        return (
            f"at offset {pos}: {end - pos} character(s) left, but a data object needs a "
            "two-digit tag and a two-digit length"
        )
    if text[pos : pos + 2] not in TWO_DIGITS:
        return f"at offset {pos}: the tag is not two digits"
    return f"at offset {pos + 2}: the length of tag {text[pos : pos + 2]} is not two digits"


def encode(pairs: list[tuple[str, str]]) -> str:
    """Write (tag, value) pairs as TLV text; every value must be 0 to 99 characters."""
    return "".join([tag + LENGTH[len(value)] + value for tag, value in pairs])
