from __future__ import annotations

import math

import pytest
from hypothesis import given

from smartcity_kit.core import BoundingBox, CityProfile, GeoPoint
from smartcity_kit.errors import ValidationError
from smartcity_kit.testing import strategies as city_st


def test_parse_lat_long_as_copied_from_a_map() -> None:
    assert GeoPoint.parse("-5.1354, 119.4238") == GeoPoint(-5.1354, 119.4238)


@pytest.mark.parametrize(
    ("text", "rule"),
    [("-5.1", "latitude,longitude"), ("a,b", "decimal numbers"), ("-95,10", "between -90 and 90")],
)
def test_parse_errors(text: str, rule: str) -> None:
    with pytest.raises(ValidationError, match=rule):
        GeoPoint.parse(text)


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [
        (91, 0, "latitude"),
        (0, 181, "longitude"),
        (math.nan, 0, "latitude"),
        (0, math.inf, "longitude"),
        (True, 0, "latitude"),
        ("1", 0, "latitude"),
    ],
)
def test_range_checks_name_the_field(lat: object, lon: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        GeoPoint(lat, lon)  # type: ignore[arg-type,unused-ignore]
    assert info.value.fields == (field,)


def test_ints_become_floats() -> None:
    p = GeoPoint(-5, 119)
    assert type(p.latitude) is float
    assert p == GeoPoint(-5.0, 119.0)


def test_geojson_is_longitude_first() -> None:
    assert GeoPoint(-5.1, 119.4).to_geojson() == {"type": "Point", "coordinates": [119.4, -5.1]}
    assert GeoPoint.from_geojson({"type": "Point", "coordinates": [119.4, -5.1, 12.0]}) == GeoPoint(
        -5.1, 119.4
    )


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        ({"type": "LineString", "coordinates": [1, 2]}, "type"),
        ({"type": "Point"}, "coordinates"),
        ({"type": "Point", "coordinates": [1]}, "coordinates"),
        ({"type": "Point", "coordinates": [200, 0]}, "coordinates[0]"),
        ({"type": "Point", "coordinates": [0, -100]}, "coordinates[1]"),
        ([1, 2], "type"),
    ],
)
def test_geojson_errors_name_the_field(obj: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        GeoPoint.from_geojson(obj)  # type: ignore[arg-type]
    assert info.value.fields == (field,)


def test_distance() -> None:
    losari = GeoPoint(-5.1436, 119.4076)
    karebosi = GeoPoint(-5.1354, 119.4158)
    assert 1_200 < losari.distance_to(karebosi) < 1_350
    assert losari.distance_to(losari) == 0
    # a quarter of the earth along the equator
    assert GeoPoint(0, 0).distance_to(GeoPoint(0, 90)) == pytest.approx(10_007_543, rel=1e-3)


def test_bounding_box() -> None:
    with pytest.raises(ValidationError, match="south"):
        BoundingBox(south=1, west=0, north=0, east=1)
    with pytest.raises(ValidationError, match="west"):
        BoundingBox(south=0, west=2, north=1, east=1)
    box = BoundingBox(south=-1, west=-1, north=1, east=1)
    assert box.center == GeoPoint(0, 0)
    assert box.contains(GeoPoint(1, 1))
    assert not box.contains(GeoPoint(1.01, 0))


@given(city_st.geo_points())
def test_geojson_round_trip(point: GeoPoint) -> None:
    assert GeoPoint.from_geojson(point.to_geojson()) == point
    assert GeoPoint.parse(str(point)) == point


@given(city_st.geo_points(within=CityProfile.builtin("baubau")))
def test_points_inside_a_city(point: GeoPoint) -> None:
    bounds = CityProfile.builtin("baubau").bounds
    assert bounds is not None
    assert bounds.contains(point)
