"""The working-day deadline of a permit application, which pauses while the applicant must act."""

from __future__ import annotations

import datetime as dt

from smartcity_kit.core import TimeZone, WorkingCalendar, ensure_utc
from smartcity_kit.errors import ValidationError

__all__ = ["deadline_with_pauses", "paused_working_days"]


def paused_working_days(
    calendar: WorkingCalendar, zone: TimeZone, paused_at: dt.datetime, resumed_at: dt.datetime
) -> int:
    """The working days an application spent with the applicant, counted in the city's zone.

    The day it was sent back still counts for the office (its deadline ran that day); every
    working day after it, up to and including the day the applicant resubmitted, is paused.
    Sent back and resubmitted on the same day pauses nothing.

    >>> cal = WorkingCalendar()
    >>> back = dt.datetime(2026, 12, 23, 2, 0, tzinfo=dt.UTC)  # Wednesday 10:00 WITA
    >>> again = dt.datetime(2026, 12, 28, 2, 0, tzinfo=dt.UTC)  # Monday after Christmas
    >>> paused_working_days(cal, TimeZone.WITA, back, again)  # 24, 25 Dec off; 26, 27 weekend
    1

    Raises:
        ValidationError: ``resumed_at`` is before ``paused_at``, or either has no time zone.
    """
    start, end = ensure_utc(paused_at, "paused_at"), ensure_utc(resumed_at, "resumed_at")
    if end < start:
        raise ValidationError.single("resumed_at", "must not be before paused_at")
    return calendar.count_working_days(zone.localize(start).date(), zone.localize(end).date())


def deadline_with_pauses(
    calendar: WorkingCalendar,
    zone: TimeZone,
    submitted_at: dt.datetime,
    working_days: int,
    paused_days: int = 0,
) -> dt.datetime:
    """The end of the last working day of an application's time, as a UTC instant.

    ``working_days`` (the service standard's time) count from the complete submission, on the
    calendar of ``zone``; the ``paused_days`` the application spent with the applicant
    (:func:`paused_working_days`, summed) are added at the end, so the office keeps every day
    the standard gives it. Without pauses this is :meth:`WorkingCalendar.deadline`.

    >>> submitted = dt.datetime(2026, 12, 21, 1, 0, tzinfo=dt.UTC)  # Monday 09:00 WITA
    >>> deadline_with_pauses(WorkingCalendar(), TimeZone.WITA, submitted, 3)
    datetime.datetime(2026, 12, 28, 16, 0, tzinfo=datetime.timezone.utc)
    >>> deadline_with_pauses(WorkingCalendar(), TimeZone.WITA, submitted, 3, paused_days=2)
    datetime.datetime(2026, 12, 30, 16, 0, tzinfo=datetime.timezone.utc)

    Raises:
        ValidationError: ``paused_days`` is negative, or a value is out of range.
    """
    if type(paused_days) is not int or paused_days < 0:
        raise ValidationError.single("paused_days", "must be a whole number of at least 0")
    return calendar.deadline(
        ensure_utc(submitted_at, "submitted_at"), working_days + paused_days, zone
    )
