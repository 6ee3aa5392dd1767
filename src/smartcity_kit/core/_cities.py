"""City profiles: what scopes a city's data (name, region, time zone, Open311 jurisdiction)."""

from __future__ import annotations

import datetime as dt
import re
from types import MappingProxyType
from typing import Final

import attrs

from smartcity_kit.core._geo import BoundingBox
from smartcity_kit.core._regions import Region, RegionCode, RegionLevel
from smartcity_kit.core._time import Clock, TimeZone, WorkingCalendar
from smartcity_kit.errors import NotFoundError, ValidationError

__all__ = ["CityProfile"]

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _check_slug(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise ValidationError.single("slug", "must be lowercase letters, digits and dashes")


def _check_region(_instance: object, _attribute: object, value: RegionCode) -> None:
    if not isinstance(value, RegionCode) or value.level != RegionLevel.REGENCY:
        raise ValidationError.single(
            "region_code", "must be a kota or kabupaten code (PP.KK), e.g. 73.71"
        )


def _check_jurisdiction(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value):
        raise ValidationError.single(
            "jurisdiction_id", "must be a non-empty id without spaces, e.g. makassarkota.go.id"
        )


@attrs.frozen
class CityProfile:
    """A city (or regency) that the library serves; one deployment can host several.

    Built-in profiles exist for the partner cities; any other region makes its own.

    >>> makassar = CityProfile.builtin("makassar")
    >>> makassar.name, str(makassar.region_code), makassar.time_zone.value
    ('Kota Makassar', '73.71', 'WITA')
    >>> CityProfile(
    ...     slug="gowa",
    ...     name="Kabupaten Gowa",
    ...     region_code=RegionCode.parse("73.06"),
    ...     time_zone=TimeZone.WITA,
    ...     jurisdiction_id="gowakab.go.id",
    ... ).region().name
    'Kabupaten Gowa'

    Attributes:
        slug: A short id used in URLs and configuration (``makassar``).
        name: The official name (``Kota Makassar``).
        region_code: The kota or kabupaten code (``73.71``).
        time_zone: WIB, WITA or WIT: instants are stored in UTC and shown in this zone.
        jurisdiction_id: The Open311 ``jurisdiction_id``, by convention the city's domain.
        bounds: An approximate box around the city, for sanity checks and test data (not a
            legal boundary); None when unknown.
        calendar: The working-day calendar for the city's service deadlines.
    """

    slug: str = attrs.field(validator=_check_slug)
    name: str = attrs.field(validator=attrs.validators.min_len(1))
    region_code: RegionCode = attrs.field(validator=_check_region)
    time_zone: TimeZone = attrs.field(validator=attrs.validators.instance_of(TimeZone))
    jurisdiction_id: str = attrs.field(validator=_check_jurisdiction)
    bounds: BoundingBox | None = None
    calendar: WorkingCalendar = attrs.field(factory=WorkingCalendar)

    @classmethod
    def builtin(cls, slug: str) -> CityProfile:
        """A built-in profile by slug.

        The slugs: ``makassar``, ``baubau``, ``tual``, ``surakarta``, ``yogyakarta``, ``palembang``.

        Raises:
            NotFoundError: No built-in profile has this slug.
        """
        try:
            return BUILTIN_CITIES[slug]
        except KeyError:
            known = ", ".join(BUILTIN_CITIES)
            raise NotFoundError(f"no built-in city {slug!r} (known: {known})") from None

    def region(self) -> Region:
        """The city's region record (name, children, postal codes)."""
        return Region.get(self.region_code)

    def local_now(self, clock: Clock) -> dt.datetime:
        """The current time in the city's zone."""
        return self.time_zone.localize(clock.now())

    def localize(self, instant: dt.datetime) -> dt.datetime:
        """``instant`` shown in the city's zone."""
        return self.time_zone.localize(instant)

    def deadline(self, start: dt.datetime, working_days: int) -> dt.datetime:
        """The end of the ``working_days``-th working day after ``start`` in this city, in UTC."""
        return self.calendar.deadline(start, working_days, self.time_zone)


def _builtin(  # noqa: PLR0913, PLR0917 - a table row
    slug: str,
    name: str,
    code: str,
    zone: TimeZone,
    jurisdiction: str,
    bounds: tuple[float, float, float, float],
) -> CityProfile:
    south, west, north, east = bounds
    return CityProfile(
        slug=slug,
        name=name,
        region_code=RegionCode(code),
        time_zone=zone,
        jurisdiction_id=jurisdiction,
        bounds=BoundingBox(south=south, west=west, north=north, east=east),
    )


#: The partner cities named in the project's sources, by slug.
BUILTIN_CITIES: Final = MappingProxyType(
    {
        c.slug: c
        for c in (
            _builtin(
                "makassar",
                "Kota Makassar",
                "73.71",
                TimeZone.WITA,
                "makassarkota.go.id",
                (-5.24, 119.05, -4.95, 119.56),
            ),
            _builtin(
                "baubau",
                "Kota Baubau",
                "74.72",
                TimeZone.WITA,
                "baubaukota.go.id",
                (-5.58, 122.53, -5.38, 122.76),
            ),
            _builtin(
                "tual",
                "Kota Tual",
                "81.72",
                TimeZone.WIT,
                "tualkota.go.id",
                (-5.80, 131.90, -5.20, 132.85),
            ),
            _builtin(
                "surakarta",
                "Kota Surakarta",
                "33.72",
                TimeZone.WIB,
                "surakarta.go.id",
                (-7.60, 110.76, -7.53, 110.87),
            ),
            _builtin(
                "yogyakarta",
                "Kota Yogyakarta",
                "34.71",
                TimeZone.WIB,
                "jogjakota.go.id",
                (-7.84, 110.34, -7.76, 110.41),
            ),
            _builtin(
                "palembang",
                "Kota Palembang",
                "16.71",
                TimeZone.WIB,
                "palembang.go.id",
                (-3.10, 104.62, -2.85, 104.90),
            ),
        )
    }
)
