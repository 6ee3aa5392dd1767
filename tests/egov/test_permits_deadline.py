"""The permit deadline: working days from the complete submission, paused days added back."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity_kit.core import TimeZone, WorkingCalendar
from smartcity_kit.egov.permits import deadline_with_pauses, paused_working_days
from smartcity_kit.errors import ValidationError

CALENDAR = WorkingCalendar()
WITA = TimeZone.WITA
INSTANTS = st.datetimes(
    min_value=dt.datetime(2025, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds
    max_value=dt.datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)


@given(INSTANTS, st.integers(1, 30), st.lists(st.integers(0, 20), max_size=4))
def test_pauses_never_bring_the_deadline_earlier(
    submitted: dt.datetime, days: int, pauses: list[int]
) -> None:
    plain = deadline_with_pauses(CALENDAR, WITA, submitted, days)
    paused = deadline_with_pauses(CALENDAR, WITA, submitted, days, sum(pauses))
    assert paused >= plain
    assert plain == CALENDAR.deadline(submitted, days, WITA)


@given(INSTANTS, st.integers(1, 30), st.integers(0, 20))
def test_the_office_gets_exactly_its_working_days(
    submitted: dt.datetime, days: int, paused: int
) -> None:
    """Between submission and the deadline lie the standard's days plus the paused ones."""
    due = deadline_with_pauses(CALENDAR, WITA, submitted, days, paused)
    first = WITA.localize(submitted).date()
    last = WITA.localize(due - dt.timedelta(microseconds=1)).date()
    assert CALENDAR.count_working_days(first, last) == days + paused
    assert CALENDAR.is_working_day(last)
    assert WITA.localize(due).time() == dt.time(0, 0)


@given(INSTANTS, st.integers(0, 60 * 24 * 30))
def test_a_pause_counts_the_working_days_with_the_applicant(
    paused_at: dt.datetime, minutes: int
) -> None:
    resumed = paused_at + dt.timedelta(minutes=minutes)
    days = paused_working_days(CALENDAR, WITA, paused_at, resumed)
    assert 0 <= days <= minutes // (60 * 24) + 1
    start, end = WITA.localize(paused_at).date(), WITA.localize(resumed).date()
    assert days == sum(
        CALENDAR.is_working_day(start + dt.timedelta(days=n))
        for n in range(1, (end - start).days + 1)
    )


@given(INSTANTS, st.integers(1, 20), st.integers(0, 10), st.integers(0, 10))
def test_resuming_keeps_the_days_left_before_the_pause(
    submitted: dt.datetime, days: int, used: int, away: int
) -> None:
    """Sent back after ``used`` working days and away ``away`` more, the office still gets
    ``days - used`` working days from the resubmission (when some were left)."""
    if used >= days:
        return
    zone_day = WITA.localize(submitted).date()
    back_day = CALENDAR.add_working_days(zone_day, used)
    again_day = CALENDAR.add_working_days(back_day, away)
    noon = dt.time(12)
    back = dt.datetime.combine(back_day, noon, tzinfo=WITA.zone)
    again = dt.datetime.combine(again_day, noon, tzinfo=WITA.zone)
    if back < submitted:
        return
    paused = paused_working_days(CALENDAR, WITA, back, again)
    assert paused == away
    due = deadline_with_pauses(CALENDAR, WITA, submitted, days, paused)
    assert due == CALENDAR.deadline(again, days - used, WITA)


@pytest.mark.parametrize(
    ("submitted", "days", "paused", "last_day"),
    [
        # Monday 21 Dec 2026: 24 Dec cuti bersama, 25 Dec Christmas, weekend.
        (dt.datetime(2026, 12, 21, 9, 0, tzinfo=WITA.zone), 3, 0, dt.date(2026, 12, 28)),
        (dt.datetime(2026, 12, 21, 9, 0, tzinfo=WITA.zone), 3, 2, dt.date(2026, 12, 30)),
        # Submitted on a Saturday: the first working day is Monday.
        (dt.datetime(2026, 11, 21, 9, 0, tzinfo=WITA.zone), 1, 0, dt.date(2026, 11, 23)),
        # 21:00 WITA on Friday is still Friday in the city.
        (dt.datetime(2026, 11, 20, 21, 0, tzinfo=WITA.zone), 1, 0, dt.date(2026, 11, 23)),
    ],
)
def test_concrete_deadlines_around_days_off(
    submitted: dt.datetime, days: int, paused: int, last_day: dt.date
) -> None:
    due = deadline_with_pauses(CALENDAR, WITA, submitted, days, paused)
    assert due == dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), WITA.zone)


def test_a_pause_over_the_christmas_days_off_counts_one_day() -> None:
    back = dt.datetime(2026, 12, 23, 10, 0, tzinfo=WITA.zone)
    again = dt.datetime(2026, 12, 28, 10, 0, tzinfo=WITA.zone)
    assert paused_working_days(CALENDAR, WITA, back, again) == 1
    assert paused_working_days(CALENDAR, WITA, back, back) == 0


def test_bad_pauses_are_refused() -> None:
    at = dt.datetime(2026, 12, 23, 10, 0, tzinfo=WITA.zone)
    with pytest.raises(ValidationError) as e:
        paused_working_days(CALENDAR, WITA, at, at - dt.timedelta(seconds=1))
    assert e.value.fields == ("resumed_at",)
    with pytest.raises(ValidationError) as e:
        deadline_with_pauses(CALENDAR, WITA, at, 3, -1)
    assert e.value.fields == ("paused_days",)
    with pytest.raises(ValidationError):
        deadline_with_pauses(CALENDAR, WITA, dt.datetime(2026, 1, 1), 3)  # noqa: DTZ001
