from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity_kit.core import (
    Clock,
    FixedClock,
    Holiday,
    SystemClock,
    TimeZone,
    WorkingCalendar,
    ensure_utc,
)
from smartcity_kit.errors import ValidationError

WITA = TimeZone.WITA


class TestTimeZones:
    @pytest.mark.parametrize(
        ("zone", "name", "hours"),
        [
            (TimeZone.WIB, "Asia/Jakarta", 7),
            (TimeZone.WITA, "Asia/Makassar", 8),
            (TimeZone.WIT, "Asia/Jayapura", 9),
        ],
    )
    def test_zone_and_offset(self, zone: TimeZone, name: str, hours: int) -> None:
        assert zone.zone_name == name
        assert zone.utc_offset == dt.timedelta(hours=hours)
        instant = dt.datetime(2026, 7, 1, 0, 0, tzinfo=dt.UTC)
        assert zone.localize(instant).utcoffset() == dt.timedelta(hours=hours)

    def test_ensure_utc(self) -> None:
        local = dt.datetime(2026, 11, 23, 9, 0, tzinfo=WITA.zone)
        assert ensure_utc(local) == dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
        assert ensure_utc(local).tzinfo is dt.UTC

    def test_naive_times_are_refused(self) -> None:
        with pytest.raises(ValidationError, match="time zone") as info:
            ensure_utc(dt.datetime(2026, 11, 23, 9, 0), "received_at")  # noqa: DTZ001
        assert info.value.fields == ("received_at",)
        with pytest.raises(ValidationError):
            ensure_utc("2026-11-23")  # type: ignore[arg-type]


class TestClocks:
    def test_system_clock_is_utc_now(self) -> None:
        clock: Clock = SystemClock()
        before = dt.datetime.now(dt.UTC)
        now = clock.now()
        assert now.tzinfo is dt.UTC
        assert before <= now <= dt.datetime.now(dt.UTC)
        assert isinstance(clock, Clock)

    def test_fixed_clock(self) -> None:
        clock = FixedClock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=WITA.zone))
        assert clock.now() == dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
        clock.advance(days=1, minutes=30)
        assert clock.now() == dt.datetime(2026, 11, 24, 1, 30, tzinfo=dt.UTC)
        clock.set(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
        assert clock.now().year == 2027
        assert isinstance(clock, Clock)
        with pytest.raises(ValidationError):
            FixedClock(dt.datetime(2026, 1, 1))  # noqa: DTZ001


class TestWorkingCalendar:
    cal = WorkingCalendar()

    def test_weekends_are_off(self) -> None:
        assert not self.cal.is_working_day(dt.date(2026, 11, 21))  # Saturday
        assert not self.cal.is_working_day(dt.date(2026, 11, 22))  # Sunday
        assert self.cal.is_working_day(dt.date(2026, 11, 23))  # Monday

    def test_national_holiday_is_off(self) -> None:
        independence = dt.date(2026, 8, 17)
        assert not self.cal.is_working_day(independence)
        assert not WorkingCalendar(cuti_bersama=False).is_working_day(independence)
        (holiday,) = self.cal.holidays_on(independence)
        assert holiday.kind == "national"
        assert "Kemerdekaan" in holiday.name

    def test_cuti_bersama_by_a_switch(self) -> None:
        christmas_eve = dt.date(2026, 12, 24)
        assert not self.cal.is_working_day(christmas_eve)
        assert WorkingCalendar(cuti_bersama=False).is_working_day(christmas_eve)

    def test_years_without_lokal_data_use_the_holidays_package(self) -> None:
        # 2025: lokal-id has no decree for it, the holidays package does.
        assert not self.cal.is_working_day(dt.date(2025, 8, 18))  # cuti bersama, Monday
        assert WorkingCalendar(cuti_bersama=False).is_working_day(dt.date(2025, 8, 18))
        assert not self.cal.is_working_day(dt.date(2025, 3, 31))  # Idulfitri
        kinds = {h.kind for h in self.cal.holidays(2025)}
        assert kinds == {"national", "cuti_bersama"}

    def test_holidays_of_a_year(self) -> None:
        days = self.cal.holidays(2026)
        assert days == sorted(days, key=lambda h: (h.date, h.kind, h.name))
        assert len([h for h in days if h.kind == "national"]) == 17
        assert len(WorkingCalendar(cuti_bersama=False).holidays(2026)) == 17

    def test_city_days_off(self) -> None:
        anniversary = Holiday(dt.date(2026, 11, 9), "Hari jadi kota", "local")
        cal = self.cal.with_days_off([anniversary])
        assert not cal.is_working_day(dt.date(2026, 11, 9))
        assert self.cal.is_working_day(dt.date(2026, 11, 9))
        assert anniversary in cal.holidays(2026)

    def test_add_working_days_skips_holidays_and_weekends(self) -> None:
        # Wed 23 Dec 2026: 24 cuti bersama, 25 Christmas, 26-27 weekend.
        assert self.cal.add_working_days(dt.date(2026, 12, 23), 1) == dt.date(2026, 12, 28)
        assert self.cal.add_working_days(dt.date(2026, 12, 23), 3) == dt.date(2026, 12, 30)
        assert self.cal.add_working_days(dt.date(2026, 12, 23), 0) == dt.date(2026, 12, 23)

    def test_idulfitri_2026_is_a_long_break(self) -> None:
        # 18-24 March 2026: Nyepi, cuti bersama, Idulfitri, weekend.
        assert self.cal.add_working_days(dt.date(2026, 3, 17), 1) == dt.date(2026, 3, 25)
        relaxed = WorkingCalendar(cuti_bersama=False)
        assert relaxed.add_working_days(dt.date(2026, 3, 17), 1) == dt.date(2026, 3, 18)

    def test_bad_arguments(self) -> None:
        with pytest.raises(ValidationError, match="days"):
            self.cal.add_working_days(dt.date(2026, 1, 1), -1)
        with pytest.raises(ValidationError, match="must be a date"):
            self.cal.is_working_day(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        with pytest.raises(ValidationError, match="weekend"):
            WorkingCalendar(weekend=frozenset(range(7)))
        with pytest.raises(ValidationError, match="weekend"):
            WorkingCalendar(weekend=frozenset({7}))

    def test_six_day_week(self) -> None:
        cal = WorkingCalendar(weekend=frozenset({6}))
        assert cal.is_working_day(dt.date(2026, 11, 21))

    def test_deadline_counts_in_the_city_zone(self) -> None:
        # Friday 20 Nov 2026, 21:00 WITA = 13:00 UTC; still Friday in WITA.
        received = dt.datetime(2026, 11, 20, 13, 0, tzinfo=dt.UTC)
        due = self.cal.deadline(received, 3, WITA)
        assert due == dt.datetime(2026, 11, 25, 16, 0, tzinfo=dt.UTC)  # midnight after Wed, WITA
        # 17:00 UTC Friday is already Saturday 01:00 WITA: counting starts from Saturday.
        late = dt.datetime(2026, 11, 20, 17, 0, tzinfo=dt.UTC)
        assert self.cal.deadline(late, 3, WITA) == due
        # The same instant in WIB (UTC+7) is Saturday 00:00 too.
        assert self.cal.deadline(late, 3, TimeZone.WIB) == dt.datetime(
            2026, 11, 25, 17, 0, tzinfo=dt.UTC
        )

    @given(
        st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)),
        st.integers(min_value=0, max_value=40),
        st.booleans(),
    )
    def test_count_is_the_inverse_of_add(self, start: dt.date, n: int, cuti: bool) -> None:
        cal = WorkingCalendar(cuti_bersama=cuti)
        end = cal.add_working_days(start, n)
        assert cal.count_working_days(start, end) == n
        assert end >= start
        if n:
            assert cal.is_working_day(end)

    @given(
        st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2028, 12, 31)),
        st.integers(min_value=0, max_value=60),
    )
    def test_cuti_bersama_never_shortens_a_deadline(self, start: dt.date, n: int) -> None:
        strict = WorkingCalendar(cuti_bersama=True).add_working_days(start, n)
        relaxed = WorkingCalendar(cuti_bersama=False).add_working_days(start, n)
        assert strict >= relaxed

    def test_count_is_zero_when_end_is_not_after_start(self) -> None:
        assert self.cal.count_working_days(dt.date(2026, 11, 23), dt.date(2026, 11, 23)) == 0
        assert self.cal.count_working_days(dt.date(2026, 11, 23), dt.date(2026, 11, 1)) == 0
