from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity_kit.core import Rupiah
from smartcity_kit.errors import ValidationError
from smartcity_kit.testing import strategies as city_st


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("Rp1.500.000", 1_500_000),
        ("Rp 1.500.000", 1_500_000),
        ("rp1.500.000,00", 1_500_000),
        ("Rp. 25.000", 25_000),
        ("IDR 1.500.000", 1_500_000),
        ("1500000", 1_500_000),
        ("-Rp250", -250),
        ("Rp-250", -250),
        ("0", 0),
        ("Rp999", 999),
    ],
)
def test_parses_how_amounts_are_written(text: str, amount: int) -> None:
    assert Rupiah.parse(text) == Rupiah(amount)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Rp1.500,50", "has sen"),
        ("Rp1,500,000", "not an amount"),
        ("Rp1.50.000", "not an amount"),
        ("1.5", "not an amount"),
        ("--Rp5", "not an amount"),
        ("-Rp-5", "two minus signs"),
        ("lima ribu", "not an amount"),
        ("", "not an amount"),
        ("9" * 25, "more than 24 digits"),
        ("9" * 5000, "more than 24 digits"),
        ("Rp1" + ".000" * 1500, "more than 24 digits"),
    ],
)
def test_refuses_what_is_not_whole_rupiah(text: str, rule: str) -> None:
    with pytest.raises(ValidationError, match=rule) as info:
        Rupiah.parse(text)
    assert info.value.fields == ("amount",)


def test_formats_the_indonesian_way() -> None:
    assert str(Rupiah(1_500_000)) == "Rp1.500.000"
    assert str(Rupiah(-1_500_000)) == "-Rp1.500.000"
    assert Rupiah(1_500_000).format(symbol=False) == "1.500.000"
    assert repr(Rupiah(5)) == "Rupiah(5)"


def test_words() -> None:
    assert Rupiah(1_500_000).words() == "satu juta lima ratus ribu rupiah"
    assert Rupiah(-2_000).words() == "minus dua ribu rupiah"


@pytest.mark.parametrize("bad", [1.5, 1.0, True, "15", None])
def test_refuses_anything_but_int(bad: object) -> None:
    with pytest.raises(ValidationError, match="whole number"):
        Rupiah(bad)  # type: ignore[arg-type]


def test_arithmetic_refuses_floats() -> None:
    with pytest.raises(TypeError):
        Rupiah(100) * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        Rupiah(100) + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        Rupiah(100) / 3  # type: ignore[operator]
    with pytest.raises(TypeError):
        float(Rupiah(100))  # type: ignore[arg-type]


def test_floor_division() -> None:
    assert Rupiah(100) // 3 == Rupiah(33)
    assert Rupiah(100) // Rupiah(30) == 3


def test_sum_and_zero() -> None:
    assert Rupiah.sum([Rupiah(1), Rupiah(2)]) == Rupiah(3)
    assert Rupiah.sum([]) == Rupiah.zero()
    assert not Rupiah.zero()
    with pytest.raises(ValidationError):
        Rupiah.sum([1, 2])  # type: ignore[list-item]


def test_allocate_hands_out_leftovers_to_largest_remainders() -> None:
    assert Rupiah(10).allocate([1, 1, 1]) == [Rupiah(4), Rupiah(3), Rupiah(3)]
    assert Rupiah(100).allocate([1, 2]) == [Rupiah(33), Rupiah(67)]
    assert Rupiah(-10).allocate([1, 1, 1]) == [Rupiah(-4), Rupiah(-3), Rupiah(-3)]
    assert Rupiah(5).allocate([0, 1]) == [Rupiah(0), Rupiah(5)]


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1], [1.5]])
def test_allocate_refuses_bad_weights(weights: list[int]) -> None:
    with pytest.raises(ValidationError):
        Rupiah(10).allocate(weights)


@pytest.mark.parametrize("parts", [0, -1, 1.0])
def test_split_refuses_bad_parts(parts: int) -> None:
    with pytest.raises(ValidationError):
        Rupiah(10).split(parts)


def test_reads_24_digits_and_leading_zeros() -> None:
    assert Rupiah.parse("9" * 24) == Rupiah(10**24 - 1)
    assert Rupiah.parse("0" * 5000 + "15000,00") == Rupiah(15000)
    assert Rupiah.parse("Rp1,0") == Rupiah(1)


@given(city_st.rupiahs())
def test_round_trips_through_parse(amount: Rupiah) -> None:
    assert Rupiah.parse(str(amount)) == amount
    assert Rupiah.parse(str(amount.amount)) == amount


@given(city_st.rupiahs(), city_st.rupiahs(), st.integers(-1000, 1000))
def test_arithmetic_stays_in_whole_rupiah(a: Rupiah, b: Rupiah, k: int) -> None:
    for result in (a + b, a - b, a * k, k * a, -a, abs(a), a // (k or 1)):
        assert isinstance(result, Rupiah)
        assert type(result.amount) is int
    assert (a + b) - b == a


@given(
    city_st.rupiahs(),
    st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=20).filter(any),
)
def test_allocate_adds_up_exactly(total: Rupiah, weights: list[int]) -> None:
    parts = total.allocate(weights)
    assert Rupiah.sum(parts) == total
    assert len(parts) == len(weights)
    for part, w in zip(parts, weights, strict=True):
        assert type(part.amount) is int
        exact_num = abs(total.amount) * w
        # each part is within one rupiah of its exact share
        assert abs(abs(part.amount) * sum(weights) - exact_num) < sum(weights)


@given(city_st.rupiahs(), st.integers(min_value=1, max_value=50))
def test_split_parts_differ_by_at_most_one(total: Rupiah, n: int) -> None:
    parts = total.split(n)
    assert Rupiah.sum(parts) == total
    amounts = [p.amount for p in parts]
    assert max(amounts) - min(amounts) <= 1
