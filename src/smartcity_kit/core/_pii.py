"""Finding personal data in free text, before it is stored or published."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

import lokal

from smartcity_kit.core._ids import Nkk, Npwp, PhoneNumber
from smartcity_kit.errors import ValidationError

__all__ = ["find_personal_data"]

# Cheap pre-check before the (slower) detector: long digit runs or an e-mail.
_MAYBE_PERSONAL = re.compile(r"\d[\d .\-]{6,}\d|@")
_DIGIT_RUN = re.compile(r"(?<![\w.])\d[\d .\-]{6,}\d(?![\w.])")
_EMAIL = re.compile(r"[^@\s\"'<>(),;:]+@[^@\s\"'<>(),;:]+\.[A-Za-z]{2,}")
_PERSONAL_TYPES: Final = ("NIK", "KK", "PHONE", "NPWP", "EMAIL")
# ISO 8601 instants: their seconds and fraction ("09.045414") would otherwise read as a phone
# number. They are blanked before the digit runs are checked.
# Plain ISO dates (2026-01-03) are blanked too: no personal number is written that way, and
# ledger postings carry one in every audit entry.
_INSTANT = re.compile(
    r"(?<![\d-])\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?![\d-])"
)
# SHA-256 digests in hex: the digits inside them are not a number anyone wrote.
_DIGEST = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{64}(?![0-9A-Za-z])")
# Amounts written as Rupiah writes them ("Rp1.080.000.000.411", "-Rp5.000"): the groups of a
# large amount ("080.000.000.411") would otherwise read as a phone number.
_AMOUNT = re.compile(r"Rp\d{1,3}(?:\.\d{3})*(?![\d.])")


def find_personal_data(text: str) -> str | None:
    """The kind of personal number or address in ``text``, or None.

    The kinds: ``NIK``, ``KK``, ``NPWP``, ``PHONE``, ``EMAIL``.

    lokal-id's detector finds numbers by their shape and the words around them; every bare run
    of digits is also checked against the identity rules themselves. It does not find names.

    >>> find_personal_data("Sudah ditelepon ke 0812-3456-7890")
    'PHONE'
    >>> find_personal_data("Lubang 2 meter di depan rumah nomor 12") is None
    True
    >>> find_personal_data("ditutup 2026-11-23T01:00:09.045414+00:00") is None
    True
    >>> find_personal_data("total Rp1.080.000.000.411") is None
    True
    """
    if not _MAYBE_PERSONAL.search(text):
        return None
    if len(text) > _REMEMBERED_LENGTH:
        return _find(text)
    # Short texts come again and again (the actor of every audit entry, such as a key id that
    # happens to hold a run of digits): those found clean are remembered. Only clean ones: no
    # personal data is kept in memory for this.
    if text in _clean:
        return None
    kind = _find(text)
    if kind is None:
        if len(_clean) >= _REMEMBERED_TEXTS:
            _clean.clear()
        _clean.add(text)
    return kind


_REMEMBERED_LENGTH: Final = 80
_REMEMBERED_TEXTS: Final = 4096
_clean: set[str] = set()


def _find(text: str) -> str | None:  # noqa: PLR0911 - one return per kind
    text = _AMOUNT.sub("Rp#", _DIGEST.sub("#", _INSTANT.sub("T", text)))
    if not _MAYBE_PERSONAL.search(text):
        return None
    found = lokal.detect_pii(text, types=_PERSONAL_TYPES, min_confidence="medium")
    if found:
        return found[0].type
    if _EMAIL.search(text):
        return "EMAIL"
    for run in _DIGIT_RUN.findall(text):
        digits = re.sub(r"[ .\-]", "", run)
        if len(digits) in (15, 16) and _passes(Npwp.parse, digits):
            return "NPWP"
        if len(digits) == 16 and _passes(Nkk.parse, digits):
            return "KK"
        if 8 <= len(digits) <= 14 and digits[0] in "08" and _passes(PhoneNumber.parse, digits):
            return "PHONE"
    return None


def _passes(parse: Callable[[str], object], digits: str) -> bool:
    try:
        parse(digits)
    except ValidationError:
        return False
    return True
