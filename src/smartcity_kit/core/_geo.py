"""Points on the earth (WGS84) and bounding boxes, with GeoJSON in and out."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import attrs

from smartcity_kit.errors import FieldError, ValidationError

__all__ = ["BoundingBox", "GeoPoint"]

_EARTH_RADIUS_M: Final = 6_371_008.8


def _float_if_int(value: float) -> float:
    return float(value) if type(value) is int else value


def _coordinate(name: str, low: float, high: float) -> Any:
    def check(_instance: object, _attribute: object, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError.single(name, "must be a number")
        if not math.isfinite(value) or not low <= value <= high:
            raise ValidationError.single(name, f"must be between {low:g} and {high:g}")

    return check


@attrs.frozen
class GeoPoint:
    """A WGS84 point: latitude and longitude in degrees.

    Indonesia lies between about 6°N and 11°S and 95°E and 141°E; any point on earth is accepted.

    >>> p = GeoPoint.parse("-5.1354, 119.4238")
    >>> p.to_geojson()
    {'type': 'Point', 'coordinates': [119.4238, -5.1354]}
    >>> GeoPoint.from_geojson(p.to_geojson()) == p
    True

    Attributes:
        latitude: Degrees north (negative south), -90 to 90.
        longitude: Degrees east (negative west), -180 to 180.
    """

    latitude: float = attrs.field(
        converter=_float_if_int, validator=_coordinate("latitude", -90, 90)
    )
    longitude: float = attrs.field(
        converter=_float_if_int, validator=_coordinate("longitude", -180, 180)
    )

    @classmethod
    def parse(cls, text: str) -> GeoPoint:
        """Read ``"lat,long"`` as people copy it from a map: ``-5.1354, 119.4238``.

        Raises:
            ValidationError: Not two numbers, or out of range.
        """
        parts = text.split(",") if isinstance(text, str) else []
        if len(parts) != 2:
            raise ValidationError.single("location", "must be 'latitude,longitude'")
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            raise ValidationError.single("location", "must be two decimal numbers") from None
        return cls(lat, lon)

    @classmethod
    def from_geojson(cls, obj: Mapping[str, Any]) -> GeoPoint:
        """Read a GeoJSON Point (``coordinates`` are longitude first, RFC 7946).

        Raises:
            ValidationError: Not a GeoJSON Point with two numeric coordinates.
        """
        if not isinstance(obj, Mapping) or obj.get("type") != "Point":
            raise ValidationError.single("type", "must be 'Point'")
        coords = obj.get("coordinates")
        if not isinstance(coords, list | tuple) or len(coords) not in (2, 3):
            raise ValidationError.single("coordinates", "must be [longitude, latitude]")
        try:
            return cls(latitude=coords[1], longitude=coords[0])
        except ValidationError as e:
            raise ValidationError(
                FieldError(f"coordinates[{1 if err.path == 'latitude' else 0}]", err.message)
                for err in e.errors
            ) from None

    def to_geojson(self) -> dict[str, Any]:
        """A GeoJSON Point: ``{"type": "Point", "coordinates": [longitude, latitude]}``."""
        return {"type": "Point", "coordinates": [self.longitude, self.latitude]}

    def distance_to(self, other: GeoPoint) -> float:
        """Great-circle distance in metres (haversine on a mean earth radius)."""
        lat1, lat2 = math.radians(self.latitude), math.radians(other.latitude)
        dlat = lat2 - lat1
        dlon = math.radians(other.longitude - self.longitude)
        h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
        return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))

    def __str__(self) -> str:
        return f"{self.latitude},{self.longitude}"


@attrs.frozen
class BoundingBox:
    """A latitude/longitude box, such as the extent of a city (not crossing the antimeridian).

    >>> box = BoundingBox(south=-5.23, west=119.37, north=-5.03, east=119.55)
    >>> box.contains(GeoPoint(-5.1354, 119.4238))
    True

    Attributes:
        south: Lowest latitude.
        west: Lowest longitude.
        north: Highest latitude.
        east: Highest longitude.
    """

    south: float = attrs.field(validator=_coordinate("south", -90, 90))
    west: float = attrs.field(validator=_coordinate("west", -180, 180))
    north: float = attrs.field(validator=_coordinate("north", -90, 90))
    east: float = attrs.field(validator=_coordinate("east", -180, 180))

    def __attrs_post_init__(self) -> None:
        if self.south > self.north:
            raise ValidationError.single("south", "must not be north of 'north'")
        if self.west > self.east:
            raise ValidationError.single("west", "must not be east of 'east'")

    def contains(self, point: GeoPoint) -> bool:
        """Whether ``point`` lies inside the box or on its edge."""
        return (
            self.south <= point.latitude <= self.north and self.west <= point.longitude <= self.east
        )

    @property
    def center(self) -> GeoPoint:
        """The middle of the box."""
        return GeoPoint((self.south + self.north) / 2, (self.west + self.east) / 2)
