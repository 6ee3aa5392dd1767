from __future__ import annotations

import datetime as dt

import pytest

from smartcity_kit.core import (
    BUILTIN_CITIES,
    CityProfile,
    FixedClock,
    GeoPoint,
    Region,
    RegionCode,
    TimeZone,
)
from smartcity_kit.errors import NotFoundError, ValidationError


@pytest.mark.parametrize(
    ("slug", "code", "zone", "kecamatan"),
    [
        ("makassar", "73.71", TimeZone.WITA, 15),
        ("baubau", "74.72", TimeZone.WITA, 8),
        ("tual", "81.72", TimeZone.WIT, 5),
        ("surakarta", "33.72", TimeZone.WIB, 5),
        ("yogyakarta", "34.71", TimeZone.WIB, 14),
        ("palembang", "16.71", TimeZone.WIB, 18),
    ],
)
def test_builtin_partner_cities(slug: str, code: str, zone: TimeZone, kecamatan: int) -> None:
    city = CityProfile.builtin(slug)
    assert city.region_code == RegionCode(code)
    assert city.time_zone is zone
    assert len(city.region().children()) == kecamatan
    assert city.jurisdiction_id.endswith(".go.id")
    assert city.bounds is not None


def test_builtin_bounds_hold_the_city_hall() -> None:
    bounds = BUILTIN_CITIES["makassar"].bounds
    assert bounds is not None
    assert bounds.contains(GeoPoint(-5.1335, 119.4132))  # Balai Kota Makassar, Jl. Ahmad Yani
    assert not bounds.contains(GeoPoint(-5.47, 122.62))  # Baubau


def test_unknown_builtin() -> None:
    with pytest.raises(NotFoundError, match="makassar, baubau"):
        CityProfile.builtin("jakarta")


def test_a_city_of_ones_own() -> None:
    gowa = CityProfile(
        slug="gowa",
        name="Kabupaten Gowa",
        region_code=RegionCode.parse("73.06"),
        time_zone=TimeZone.WITA,
        jurisdiction_id="gowakab.go.id",
    )
    assert gowa.region().name == "Kabupaten Gowa"
    assert gowa.bounds is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"slug": "Kota Makassar"}, "slug"),
        ({"region_code": RegionCode("73.71.10")}, "region_code"),
        ({"jurisdiction_id": "makassar kota"}, "jurisdiction_id"),
        ({"jurisdiction_id": ""}, "jurisdiction_id"),
    ],
)
def test_fields_are_checked(changes: dict[str, object], field: str) -> None:
    base: dict[str, object] = {
        "slug": "makassar",
        "name": "Kota Makassar",
        "region_code": RegionCode("73.71"),
        "time_zone": TimeZone.WITA,
        "jurisdiction_id": "makassarkota.go.id",
    }
    with pytest.raises(ValidationError) as info:
        CityProfile(**{**base, **changes})  # type: ignore[arg-type]
    assert info.value.fields == (field,)


def test_local_time_and_deadlines() -> None:
    makassar = CityProfile.builtin("makassar")
    clock = FixedClock(dt.datetime(2026, 11, 20, 13, 0, tzinfo=dt.UTC))
    assert makassar.local_now(clock).hour == 21
    assert makassar.localize(clock.now()).utcoffset() == dt.timedelta(hours=8)
    assert makassar.deadline(clock.now(), 3) == dt.datetime(2026, 11, 25, 16, 0, tzinfo=dt.UTC)
    # Thursday 23:30 in Makassar is already Friday 00:30 in Tual: Tual's count starts a day later.
    thursday_night = dt.datetime(2026, 11, 19, 15, 30, tzinfo=dt.UTC)
    assert makassar.deadline(thursday_night, 3) == dt.datetime(2026, 11, 24, 16, 0, tzinfo=dt.UTC)
    tual = CityProfile.builtin("tual")
    assert tual.deadline(thursday_night, 3) == dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)


def test_region_is_the_kemendagri_record() -> None:
    assert CityProfile.builtin("baubau").region() == Region.get("74.72")
