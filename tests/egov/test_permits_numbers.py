"""Permit numbers: Roman numerals and the city's number pattern, round trips and refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity_kit.egov.permits import (
    DEFAULT_PATTERN,
    NumberParts,
    PermitNumberFormat,
    from_roman,
    to_roman,
)
from smartcity_kit.errors import ValidationError


@given(st.integers(1, 3999))
def test_roman_numerals_round_trip(n: int) -> None:
    assert from_roman(to_roman(n)) == n


def test_the_months_in_roman_numerals() -> None:
    assert [to_roman(m) for m in range(1, 13)] == [
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["", "IIII", "VX", "IC", "xi", "MMMM", "XI ", "ABC"])
def test_non_canonical_roman_numerals_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        from_roman(text)


@pytest.mark.parametrize("n", [0, -1, 4000, True, 1.0])
def test_roman_numerals_take_1_to_3999(n: object) -> None:
    with pytest.raises(ValidationError):
        to_roman(n)  # type: ignore[arg-type]


PATTERNS = st.sampled_from(
    [
        DEFAULT_PATTERN,
        "{classification}/{seq:04d}/{agency}/{month_roman}/{year}",
        "{agency}_{year}_{month:02d}_{seq:05d}",
        "{seq}/{agency}/{month}/{year}",
        "{classification}:{agency}:{year}:{month_roman}:{seq:03d}",
        "{year}#{agency}#{month_roman}#{seq}",
    ]
)
PARTS = st.builds(
    NumberParts,
    classification=st.from_regex(r"[0-9A-Za-z.]{1,20}", fullmatch=True),
    seq=st.integers(1, 999_999_999),
    agency=st.from_regex(r"[0-9A-Z.\-]{1,20}", fullmatch=True),
    month=st.integers(1, 12),
    year=st.integers(1000, 9999),
)


@given(PATTERNS, PARTS)
def test_numbers_round_trip(pattern: str, parts: NumberParts) -> None:
    fmt = PermitNumberFormat(pattern)
    parsed = fmt.parse(fmt.format(parts))
    expected_classification = parts.classification if "{classification" in pattern else ""
    assert parsed == NumberParts(
        expected_classification, parts.seq, parts.agency, parts.month, parts.year
    )


def test_the_default_format() -> None:
    fmt = PermitNumberFormat()
    assert fmt.format(NumberParts("503", 42, "DPMPTSP", 11, 2026)) == "503/0042/DPMPTSP/XI/2026"
    assert fmt.parse(" 503/0042/DPMPTSP/XI/2026 ") == NumberParts("503", 42, "DPMPTSP", 11, 2026)
    assert fmt.format(NumberParts("503", 12345, "DPMPTSP", 1, 2027)) == "503/12345/DPMPTSP/I/2027"


@pytest.mark.parametrize(
    "number",
    [
        "503/042/DPMPTSP/XI/2026",  # narrower than {seq:04d}
        "503/0000/DPMPTSP/XI/2026",  # no permit 0
        "503/0042/DPMPTSP/XIII/2026",
        "503/0042/dpmptsp/XI/2026",
        "503/0042/DPMPTSP/XI/26",
        "503-0042-DPMPTSP-XI-2026",
        "",
    ],
)
def test_numbers_not_in_the_format_are_refused(number: str) -> None:
    with pytest.raises(ValidationError) as e:
        PermitNumberFormat().parse(number)
    assert e.value.fields == ("number",)


@pytest.mark.parametrize(
    "pattern",
    [
        "",
        "{seq}/{agency}/{month}",  # no year
        "{agency}/{month}/{year}",  # no sequence
        "{seq}/{month}/{year}",  # no office
        "{seq}/{agency}/{year}",  # no month
        "{seq}{agency}/{month}/{year}",  # fields run together
        "{seq} {agency} {month} {year}",  # spaces join digit runs
        "{seq}.{agency}.{month}.{year}",
        "{seq}/{agency}/{month}/{year}/{city}",
        "{seq:x}/{agency}/{month}/{year}",
        "{seq}/{agency:>5}/{month}/{year}",
        "{seq}/{agency}/{month}/{year}/{seq}",
        "{seq!r}/{agency}/{month}/{year}",
        "{seq/{agency}/{month}/{year}",
    ],
)
def test_bad_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(ValidationError) as e:
        PermitNumberFormat(pattern)
    assert e.value.fields == ("pattern",)


@pytest.mark.parametrize(
    ("parts", "field"),
    [
        (NumberParts("5/3", 1, "DPMPTSP", 1, 2026), "classification"),
        (NumberParts("503", 0, "DPMPTSP", 1, 2026), "seq"),
        (NumberParts("503", 1, "dpm", 1, 2026), "agency"),
        (NumberParts("503", 1, "DPMPTSP", 13, 2026), "month"),
        (NumberParts("503", 1, "DPMPTSP", 1, 26), "year"),
    ],
)
def test_bad_parts_are_refused(parts: NumberParts, field: str) -> None:
    with pytest.raises(ValidationError) as e:
        PermitNumberFormat().format(parts)
    assert e.value.fields == (field,)
