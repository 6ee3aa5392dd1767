from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given

from smartcity_kit.core import BoundingBox, CityProfile, GeoPoint, RegionCode, RegionLevel
from smartcity_kit.testing import strategies as city_st


@pytest.mark.parametrize("level", list(RegionLevel))
def test_region_codes_at_each_level(level: RegionLevel) -> None:
    @given(city_st.region_codes(level=level))
    def check(code: RegionCode) -> None:
        assert code.level is level
        assert code.exists

    check()


@given(city_st.region_codes(level=RegionLevel.VILLAGE, within=RegionCode("73.71")))
def test_region_codes_within(code: RegionCode) -> None:
    assert RegionCode("73.71").contains(code)


def test_region_codes_refuse_a_level_above_within() -> None:
    @given(city_st.region_codes(level=RegionLevel.PROVINCE, within=RegionCode("73.71")))
    def check(code: RegionCode) -> None:
        raise AssertionError(code)

    with pytest.raises(ValueError, match="above the level"):
        check()


@given(city_st.instants())
def test_instants_are_utc(instant: dt.datetime) -> None:
    assert instant.tzinfo is dt.UTC


@given(city_st.geo_points(within=BoundingBox(south=-1, west=-1, north=1, east=1)))
def test_geo_points_within_a_box(point: GeoPoint) -> None:
    assert -1 <= point.latitude <= 1
    assert -1 <= point.longitude <= 1


def test_geo_points_need_city_bounds() -> None:
    city = CityProfile(
        slug="gowa",
        name="Kabupaten Gowa",
        region_code=RegionCode("73.06"),
        time_zone=CityProfile.builtin("makassar").time_zone,
        jurisdiction_id="gowakab.go.id",
    )

    @given(city_st.geo_points(within=city))
    def check(point: GeoPoint) -> None:
        raise AssertionError(point)

    with pytest.raises(ValueError, match="no bounds"):
        check()
