from __future__ import annotations

import pytest
from hypothesis import given

from smartcity_kit.core import Address, RegionCode
from smartcity_kit.errors import NotFoundError, ValidationError
from smartcity_kit.testing import strategies as city_st

MARICAYA = RegionCode("73.71.03.1001")


def test_full_address_formats_like_a_letter() -> None:
    a = Address(
        village=MARICAYA, street="Jl. Veteran Selatan No. 12", lorong="Lorong 3", rt=3, rw=5
    )
    assert a.postal_code == "90142"
    assert a.rt_rw() == "RT 003/RW 005"
    assert a.format() == (
        "Jl. Veteran Selatan No. 12, Lorong 3, RT 003/RW 005, Kel. Maricaya, Kec. Makassar, "
        "Kota Makassar, Sulawesi Selatan 90142"
    )
    assert a.district == RegionCode("73.71.03")
    assert a.city == RegionCode("73.71")


def test_desa_and_distrik_prefixes() -> None:
    desa = Address(village=RegionCode("73.06.01.2004"))
    assert desa.format().startswith("Desa Bontolangkasa Utara, Kec. Bontonompo, ")
    papua = Address(village=RegionCode("91.03.01.3007"))
    assert papua.format().startswith("Desa Adat Yoboi, Distrik Sentani, ")


def test_given_postal_code_is_kept() -> None:
    assert Address(village=MARICAYA, postal_code="90141").postal_code == "90141"


def test_only_what_is_known_is_written() -> None:
    a = Address(village=MARICAYA, rw=5)
    assert a.rt_rw() == "RW 005"
    assert a.format().startswith("RW 005, Kel. Maricaya")
    assert Address(village=MARICAYA).rt_rw() is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"village": RegionCode("73.71.03")}, "village"),
        ({"rt": 0}, "rt"),
        ({"rw": 1000}, "rw"),
        ({"rt": "3"}, "rt"),
        ({"street": "   "}, "street"),
        ({"lorong": "x" * 101}, "lorong"),
        ({"postal_code": "9014"}, "postal_code"),
        ({"postal_code": "09142"}, "postal_code"),
    ],
)
def test_fields_are_checked(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Address(**{"village": MARICAYA, **changes})  # type: ignore[arg-type]
    assert info.value.fields == (field,)


def test_village_missing_from_current_data() -> None:
    old = Address(village=RegionCode("73.71.03.1999"))
    assert old.postal_code is None
    with pytest.raises(NotFoundError):
        old.format()


@given(city_st.addresses(within=RegionCode("74.72")))
def test_strategy_addresses_are_real(address: Address) -> None:
    assert RegionCode("74.72").contains(address.village)
    assert address.postal_code is not None
    assert address.format().endswith(address.postal_code)
