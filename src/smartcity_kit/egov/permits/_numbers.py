"""Permit numbers: Roman-numeral months and the city's configurable number pattern."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from typing import Final

import attrs

from smartcity_kit.core import find_personal_data
from smartcity_kit.errors import ValidationError

__all__ = [
    "DEFAULT_PATTERN",
    "NumberParts",
    "PermitNumberFormat",
    "from_roman",
    "to_roman",
]

#: The usual shape of a permit number: archive classification, sequence, issuing office, month
#: in Roman numerals, year (``503/0042/DPMPTSP/XI/2026``).
DEFAULT_PATTERN: Final = "{classification}/{seq:04d}/{agency}/{month_roman}/{year}"

_ROMAN: Final = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)
_ROMAN_SHAPE: Final = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")
_MAX_ROMAN: Final = 3999


def to_roman(number: int) -> str:
    """``number`` (1 to 3999) in Roman numerals, as months are written on Indonesian letters.

    >>> to_roman(11), to_roman(2026)
    ('XI', 'MMXXVI')

    Raises:
        ValidationError: ``number`` is not a whole number from 1 to 3999.
    """
    if type(number) is not int or not 1 <= number <= _MAX_ROMAN:
        raise ValidationError.single("number", "must be a whole number from 1 to 3999")
    out = []
    for value, letters in _ROMAN:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


def from_roman(text: str) -> int:
    """The number written in canonical Roman numerals (``XI`` is 11; ``IIII`` is refused).

    >>> from_roman("XII")
    12

    Raises:
        ValidationError: ``text`` is not a canonical Roman numeral from I to MMMCMXCIX.
    """
    if not isinstance(text, str) or not text or not _ROMAN_SHAPE.fullmatch(text):
        raise ValidationError.single("roman", "must be a Roman numeral such as XI")
    total, rest = 0, text
    for value, letters in _ROMAN:
        while rest.startswith(letters):
            total += value
            rest = rest[len(letters) :]
    return total


@attrs.frozen
class NumberParts:
    """What a permit number is made of.

    Attributes:
        classification: The archive classification code (``503`` for permits, perizinan).
        seq: The sequence number within the city, issuing office and year (from 1).
        agency: The issuing office's code as written in numbers (``DPMPTSP``).
        month: The month of issue (1 to 12).
        year: The year of issue.
    """

    classification: str
    seq: int
    agency: str
    month: int
    year: int


# Each field: its alphabet (a regex) and, for whole numbers, which format specs it takes.
_FIELDS: Final[Mapping[str, str]] = {
    "classification": r"[0-9A-Za-z.]{1,20}",
    "agency": r"[0-9A-Z.\-]{1,20}",
    "month_roman": r"(?:XII|XI|X|IX|VIII|VII|VI|V|IV|III|II|I)",
    "seq": r"[0-9]{1,9}",
    "month": r"[0-9]{1,2}",
    "year": r"[0-9]{4}",
}
_INTEGER_SPEC: Final = re.compile(r"(?:0([1-9]))?d|")
_SEPARATOR_CHARS: Final = frozenset("/_:|#")
_CLASSIFICATION: Final = re.compile(_FIELDS["classification"])
_AGENCY: Final = re.compile(_FIELDS["agency"])


def _invalid(message: str) -> ValidationError:
    return ValidationError.single("pattern", message)


def _check_pattern(_instance: object, _attribute: object, value: str) -> None:
    _compile(value)


def _field_width(name: str, spec: str, conversion: str | None) -> int:
    """The minimum width of a field (0 for none), once its name and format are checked."""
    if name not in _FIELDS or conversion:
        raise _invalid(f"{{{name}}} is not a field; use {', '.join(sorted(_FIELDS))}")
    if name not in ("seq", "month", "year"):
        if spec:
            raise _invalid(f"{{{name}}} takes no format")
        return 0
    match = _INTEGER_SPEC.fullmatch(spec)
    if match is None:
        raise _invalid(f"{{{name}}} takes only a width such as {{{name}:04d}}")
    return int(match.group(1) or 0)


def _compile(pattern: str) -> tuple[re.Pattern[str], tuple[tuple[str, int], ...]]:
    """The parser of a pattern and its fields (name, minimum width), once it is checked."""
    if not isinstance(pattern, str) or not pattern.strip() or len(pattern) > 200:
        raise _invalid("must be text of 1 to 200 characters")
    try:
        pieces = list(string.Formatter().parse(pattern))
    except ValueError:
        raise _invalid("has an unbalanced '{' or '}'") from None
    regex, fields, previous_was_field = [], [], False
    for literal, name, spec, conversion in pieces:
        if literal:
            if not set(literal) <= _SEPARATOR_CHARS:
                raise _invalid("may hold only the fields and the separators / _ : | #")
            regex.append(re.escape(literal))
            previous_was_field = False
        if name is None:
            continue
        width = _field_width(name, spec or "", conversion)
        if previous_was_field:
            raise _invalid("fields must be separated, e.g. by '/'")
        regex.append(f"(?P<{name}>{_FIELDS[name]})")
        fields.append((name, width))
        previous_was_field = True
    _check_fields([f[0] for f in fields])
    return re.compile("".join(regex)), tuple(fields)


def _check_fields(names: list[str]) -> None:
    if len(set(names)) != len(names):
        raise _invalid("names a field twice")
    for needed in ("seq", "year", "agency"):
        if needed not in names:
            raise _invalid(
                f"must hold {{{needed}}}: numbers are counted per city, issuing office and year"
            )
    if "month" not in names and "month_roman" not in names:
        raise _invalid("must hold {month_roman} or {month}")


@attrs.frozen
class PermitNumberFormat:
    """How a city writes its permit numbers.

    The pattern is text with fields in braces: ``{classification}``, ``{seq}`` (with a width,
    ``{seq:04d}``), ``{agency}``, ``{month_roman}`` or ``{month}`` (``{month:02d}``) and
    ``{year}``, separated by ``/``, ``_``, ``:``, ``|`` or ``#`` (not spaces, dots or dashes,
    which would run the digits of two fields together, and make a number that reads like a
    phone number). It must hold the sequence, the year and the office, since numbers are
    counted per city, office and year.

    >>> fmt = PermitNumberFormat()
    >>> fmt.format(NumberParts("503", 42, "DPMPTSP", 11, 2026))
    '503/0042/DPMPTSP/XI/2026'
    >>> fmt.parse("503/0042/DPMPTSP/XI/2026").seq
    42

    Attributes:
        pattern: The pattern (:data:`DEFAULT_PATTERN` unless the city has its own).
    """

    pattern: str = attrs.field(default=DEFAULT_PATTERN, validator=_check_pattern)

    def format(self, parts: NumberParts) -> str:
        """The number made of ``parts``.

        Raises:
            ValidationError: A part does not fit the pattern's fields (its path names it).
        """
        if not isinstance(parts.classification, str) or not _CLASSIFICATION.fullmatch(
            parts.classification
        ):
            raise ValidationError.single(
                "classification", "must be 1-20 letters, digits or dots, like 503"
            )
        if not isinstance(parts.agency, str) or not _AGENCY.fullmatch(parts.agency):
            raise ValidationError.single(
                "agency", "must be 1-20 capital letters, digits, dots or dashes, like DPMPTSP"
            )
        if type(parts.seq) is not int or not 1 <= parts.seq <= 999_999_999:
            raise ValidationError.single("seq", "must be a whole number from 1 to 999999999")
        if type(parts.month) is not int or not 1 <= parts.month <= 12:
            raise ValidationError.single("month", "must be a whole number from 1 to 12")
        if type(parts.year) is not int or not 1000 <= parts.year <= 9999:
            raise ValidationError.single("year", "must be a year of four digits")
        values = {
            "classification": parts.classification,
            "agency": parts.agency,
            "seq": parts.seq,
            "month": parts.month,
            "month_roman": to_roman(parts.month),
            "year": parts.year,
        }
        return self.pattern.format(**values)

    def parse(self, number: str) -> NumberParts:
        """The parts of a number written in this format.

        Fields the pattern lacks come back empty (``classification=""``); a pattern with only
        ``{month}`` gives the month from it.

        Raises:
            ValidationError: ``number`` is not written in this format.
        """
        regex, fields = _compile(self.pattern)
        match = regex.fullmatch(number.strip()) if isinstance(number, str) else None
        if match is None:
            raise ValidationError.single("number", f"is not a number like {self.example()}")
        found = match.groupdict()
        for name, width in fields:
            if width and len(found[name]) < width:
                raise ValidationError.single("number", f"is not a number like {self.example()}")
        month = (
            from_roman(found["month_roman"])
            if found.get("month_roman")
            else int(found.get("month") or 0)
        )
        if not 1 <= month <= 12 or int(found["seq"]) < 1:
            raise ValidationError.single("number", f"is not a number like {self.example()}")
        if found.get("month") and found.get("month_roman") and int(found["month"]) != month:
            raise ValidationError.single("number", "its month is written two different ways")
        return NumberParts(
            classification=found.get("classification") or "",
            seq=int(found["seq"]),
            agency=found["agency"],
            month=month,
            year=int(found["year"]),
        )

    def example(self) -> str:
        """A number in this format (sequence 42 of November 2026 at DPMPTSP)."""
        return self.format(NumberParts("503", 42, "DPMPTSP", 11, 2026))


def check_publishable(
    fmt: PermitNumberFormat, classification: str = "503", agencies: Iterable[str] = ()
) -> None:
    """Refuse a format whose numbers could read as personal data (numbers go to the audit log).

    Raises:
        ValidationError: A sample number reads like a phone, NIK or NPWP (``number_format``).
    """
    for agency in ("DPMPTSP", *agencies):
        for seq in (1, 42, 8123, 999_999):
            sample = fmt.format(NumberParts(classification, seq, agency, 12, 2026))
            if kind := find_personal_data(sample):
                raise ValidationError.single(
                    "number_format", f"makes numbers that read like personal data ({kind})"
                )
