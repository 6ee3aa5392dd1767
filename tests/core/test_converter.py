from __future__ import annotations

import contextlib
import datetime as dt
import json
import re

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity_kit.core import (
    Address,
    CityProfile,
    GeoPoint,
    Nib,
    Nik,
    Nkk,
    Npwp,
    PhoneNumber,
    RegionCode,
    Rupiah,
    TimeZone,
    make_converter,
)
from smartcity_kit.errors import ValidationError
from smartcity_kit.testing import strategies as city_st

STORE = make_converter(reveal_personal_data=True)
PUBLIC = make_converter()


@attrs.frozen
class Complaint:
    nik: Nik
    phone: PhoneNumber | None
    fee: Rupiah
    location: GeoPoint
    address: Address
    received_at: dt.datetime
    tags: list[str] = attrs.Factory(list)


def _complaint() -> Complaint:
    return Complaint(
        nik=Nik.parse("7371105508950001"),
        phone=PhoneNumber.parse("0812-3456-7890"),
        fee=Rupiah(15_000),
        location=GeoPoint(-5.1354, 119.4238),
        address=Address(village=RegionCode("73.71.03.1001"), rt=3, rw=5),
        received_at=dt.datetime(2026, 11, 23, 9, 0, tzinfo=TimeZone.WITA.zone),
        tags=["jalan"],
    )


def test_unstructures_to_json_ready_data() -> None:
    data = STORE.unstructure(_complaint())
    assert data == {
        "nik": "7371105508950001",
        "phone": "+6281234567890",
        "fee": 15000,
        "location": {"type": "Point", "coordinates": [119.4238, -5.1354]},
        "address": {
            "village": "73.71.03.1001",
            "street": None,
            "lorong": None,
            "rt": 3,
            "rw": 5,
            "postal_code": "90142",
        },
        "received_at": "2026-11-23T09:00:00+08:00",
        "tags": ["jalan"],
    }
    assert json.loads(json.dumps(data)) == data


def test_round_trip_with_the_storage_converter() -> None:
    c = _complaint()
    assert STORE.structure(STORE.unstructure(c), Complaint) == c
    assert STORE.loads(STORE.dumps(c), Complaint) == c


def test_public_converter_masks_personal_data() -> None:
    text = PUBLIC.dumps(_complaint())
    assert "737110******0001" in text
    assert "0812****7890" in text
    assert "7371105508950001" not in text
    assert "81234567890" not in text


@pytest.mark.parametrize(
    ("value", "cls", "expected"),
    [
        (Nib.parse("9120001234567"), Nib, "9120001234567"),
        (RegionCode("73.71"), RegionCode, "73.71"),
        (Npwp.parse("01.300.066.6-091.000"), Npwp, "0013000666091000"),
        (Nkk.parse("7371101205080003"), Nkk, "7371101205080003"),
        (dt.date(2026, 11, 23), dt.date, "2026-11-23"),
        (TimeZone.WIT, TimeZone, "WIT"),
    ],
)
def test_value_types_are_strings(value: object, cls: type, expected: str) -> None:
    assert STORE.unstructure(value) == expected
    assert STORE.structure(expected, cls) == value


def test_rupiah_accepts_int_or_text_never_float() -> None:
    assert PUBLIC.structure(1500, Rupiah) == Rupiah(1500)
    assert PUBLIC.structure("Rp1.500", Rupiah) == Rupiah(1500)
    for bad in (1500.0, True, None):
        with pytest.raises(ValidationError, match="whole rupiah"):
            PUBLIC.structure(bad, Rupiah)


def test_region_codes_load_by_shape_so_old_data_still_loads() -> None:
    assert PUBLIC.structure("73.99", RegionCode) == RegionCode("73.99")


def test_datetimes_need_an_offset() -> None:
    assert PUBLIC.structure("2026-11-23T01:00:00Z", dt.datetime) == dt.datetime(
        2026, 11, 23, 1, 0, tzinfo=dt.UTC
    )
    with pytest.raises(ValidationError, match="UTC offset"):
        PUBLIC.structure("2026-11-23T09:00:00", dt.datetime)
    with pytest.raises(ValidationError, match="ISO 8601"):
        PUBLIC.structure("23/11/2026", dt.datetime)
    with pytest.raises(ValidationError, match="time zone"):
        PUBLIC.unstructure(dt.datetime(2026, 11, 23, 9, 0))  # noqa: DTZ001


def test_dates() -> None:
    with pytest.raises(ValidationError, match="real date"):
        PUBLIC.structure("2026-02-30", dt.date)
    with pytest.raises(ValidationError, match="ISO 8601"):
        PUBLIC.structure("2026-11-23T00:00:00", dt.date)


def test_every_bad_field_is_listed_with_its_path() -> None:
    data = STORE.unstructure(_complaint())
    data["nik"] = "7371105508950000"
    data["fee"] = 12.5
    data["address"]["rt"] = 0
    data["location"]["coordinates"] = [119.4, -100]
    data["tags"] = ["ok", 5]
    data["unexpected"] = "x"
    with pytest.raises(ValidationError) as info:
        PUBLIC.structure(data, Complaint)
    errors = {e.path: e.message for e in info.value.errors}
    assert errors["nik"] == "the serial number (last 4 digits) must not be 0000"
    assert "whole rupiah" in errors["fee"]
    assert errors["location.coordinates[1]"] == "must be between -90 and 90"
    assert "unknown field(s): unexpected" in errors[""]
    assert "tags[1]" in errors
    # Address fails in its own constructor, after its fields structured.
    assert errors["address.rt"] == "must be a number from 1 to 999"


def test_missing_fields_are_named() -> None:
    data = STORE.unstructure(_complaint())
    del data["fee"]
    with pytest.raises(ValidationError) as info:
        PUBLIC.structure(data, Complaint)
    assert [(e.path, e.message) for e in info.value.errors] == [("fee", "is required")]


def test_errors_never_repeat_personal_data() -> None:
    data = STORE.unstructure(_complaint())
    data["phone"] = "0812-3456-78901234"
    data["nik"] = "73711055089500012"
    with pytest.raises(ValidationError) as info:
        PUBLIC.structure(data, Complaint)
    assert not re.search(r"\d{6,}", str(info.value))


def test_not_a_mapping() -> None:
    with pytest.raises(ValidationError):
        PUBLIC.structure(["not", "a", "dict"], Complaint)


@given(
    st.one_of(
        city_st.niks().map(lambda v: (v, Nik)),
        city_st.nkks().map(lambda v: (v, Nkk)),
        city_st.npwps().map(lambda v: (v, Npwp)),
        city_st.nibs().map(lambda v: (v, Nib)),
        city_st.phone_numbers().map(lambda v: (v, PhoneNumber)),
        city_st.region_codes().map(lambda v: (v, RegionCode)),
        city_st.rupiahs().map(lambda v: (v, Rupiah)),
        city_st.geo_points().map(lambda v: (v, GeoPoint)),
        city_st.addresses().map(lambda v: (v, Address)),
        city_st.city_profiles().map(lambda v: (v, CityProfile)),
        city_st.instants().map(lambda v: (v, dt.datetime)),
        city_st.time_zones().map(lambda v: (v, TimeZone)),
    )
)
def test_every_value_type_round_trips_through_json(pair: tuple[object, type]) -> None:
    value, cls = pair
    text = json.dumps(STORE.unstructure(value))
    assert STORE.structure(json.loads(text), cls) == value


@given(st.one_of(city_st.niks(), city_st.nkks(), city_st.npwps(), city_st.phone_numbers()))
def test_public_output_never_holds_the_full_number(value: Nik | Nkk | Npwp | PhoneNumber) -> None:
    out = PUBLIC.unstructure(value)
    assert out == value.masked()
    assert value.reveal() not in out
    assert value.reveal().removeprefix("+62") not in out


@given(st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=5))
def test_structuring_junk_raises_only_validation_error(data: dict[str, object]) -> None:
    with contextlib.suppress(ValidationError):
        PUBLIC.structure(data, Complaint)


@pytest.mark.parametrize(
    ("value", "cls", "message"),
    [
        (5, str, "must be text"),
        ("3", int, "must be a whole number"),
        (3.9, int, "must be a whole number"),
        (True, int, "must be a whole number"),
        ("1.5", float, "must be a number"),
        (1, bool, "must be true or false"),
        ("XX", TimeZone, "must be one of 'WIB', 'WITA', 'WIT'"),
    ],
)
def test_plain_fields_are_strict(value: object, cls: type, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        PUBLIC.structure(value, cls)


def test_sets_become_sorted_arrays() -> None:
    assert PUBLIC.unstructure(frozenset({6, 5}), unstructure_as=frozenset[int]) == [5, 6]
    assert PUBLIC.structure([5, 6], frozenset[int]) == frozenset({5, 6})
