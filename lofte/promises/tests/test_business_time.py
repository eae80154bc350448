"""Business time: worked examples checked by hand, DST, eves per country, and properties over four years."""

from __future__ import annotations

import dataclasses
import time as timer
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lofte.core.errors import ValidationFailed
from lofte.promises.business_time import (
    DAY_KEYS,
    CalendarNeverOpen,
    Schedule,
    add_business_time,
    business_time_between,
    closed_dates,
    eves,
    is_open,
    midsummer_eve,
    next_open,
)
from lofte.promises.models import WEEKDAYS

STOCKHOLM = ZoneInfo("Europe/Stockholm")
HELSINKI = ZoneInfo("Europe/Helsinki")
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
OSLO = ZoneInfo("Europe/Oslo")

H = timedelta(hours=1)
MIN = timedelta(minutes=1)
US = timedelta(microseconds=1)


def weekly(weekdays: list[list[str]], weekend: list[list[str]] | None = None) -> dict[str, list[list[str]]]:
    return {day: (weekdays if day not in ("sat", "sun") else (weekend or [])) for day in DAY_KEYS}


def every_day(intervals: list[list[str]]) -> dict[str, list[list[str]]]:
    return dict.fromkeys(DAY_KEYS, intervals)


# The fixed calendars the examples and properties use.
SE_OFFICE = Schedule.build(time_zone="Europe/Stockholm", country="SE", opening_hours=weekly([["08:00", "17:00"]]))
FI_LUNCH = Schedule.build(
    time_zone="Europe/Helsinki", country="FI", opening_hours=weekly([["08:00", "12:00"], ["13:00", "17:00"]])
)
ALWAYS = Schedule.build(time_zone="Europe/Stockholm", country="SE", always_open=True)
WEEKENDS = Schedule.build(
    time_zone="Europe/Stockholm", country="SE", opening_hours=weekly([], weekend=[["10:00", "16:00"]])
)
# Night shifts whose edges fall inside the spring-forward gap (02:00-03:00) and the repeated autumn hour.
NIGHTS = Schedule.build(
    time_zone="Europe/Stockholm",
    country="SE",
    opening_hours=every_day([["00:00", "02:30"], ["02:45", "06:00"], ["22:00", "24:00"]]),
)


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)  # type: ignore[misc]


def se(*args: int) -> datetime:
    return local(STOCKHOLM, *args)


def fi(*args: int) -> datetime:
    return local(HELSINKI, *args)


def u(moment: datetime) -> datetime:
    """Compare instants in UTC: Python compares two datetimes of one zone by wall clock (ignoring fold), and says
    an ambiguous local time (the repeated autumn hour) is never == a time in another zone."""
    return moment.astimezone(UTC)


def assert_local(result: datetime, expected: datetime) -> None:
    """Same instant, same wall-clock reading, in the expected (calendar's) zone."""
    assert u(result) == u(expected)
    assert result.tzinfo is expected.tzinfo
    assert (result.replace(tzinfo=None), result.fold) == (expected.replace(tzinfo=None), expected.fold)


def test_day_keys_are_the_models_weekdays():
    assert DAY_KEYS == WEEKDAYS


class TestWorkedExamples:
    """Each expected time worked out by hand (dates checked against a 2026 calendar)."""

    @pytest.mark.parametrize(
        ("start", "duration", "expected"),
        [
            # (a) Thursday 16:45 before Midsummer: 15 min Thu, Fri 19 June Midsommarafton, Sat Midsommardagen, Sun;
            # Monday 08:00 + 7 h 45 min.
            (se(2026, 6, 18, 16, 45), 8 * H, se(2026, 6, 22, 15, 45)),
            # ... and arriving on Midsummer Eve itself (closed): Monday 08:00 + 8 h.
            (se(2026, 6, 19, 16, 45), 8 * H, se(2026, 6, 22, 16, 0)),
            # (b) a start on Saturday counts from Monday's opening.
            (se(2026, 3, 7, 11, 0), 2 * H, se(2026, 3, 9, 10, 0)),
            (se(2026, 3, 8, 23, 59), MIN, se(2026, 3, 9, 8, 1)),
            # (j) before opening, after closing, exactly at closing, Friday evening.
            (se(2026, 3, 9, 6, 0), H, se(2026, 3, 9, 9, 0)),
            (se(2026, 3, 9, 18, 0), H, se(2026, 3, 10, 9, 0)),
            (se(2026, 3, 9, 17, 0), H, se(2026, 3, 10, 9, 0)),
            (se(2026, 3, 6, 17, 30), H, se(2026, 3, 9, 9, 0)),
            # The end of the day is a valid result: 16:45 + 15 min is 17:00, not the next opening.
            (se(2026, 3, 9, 16, 45), 15 * MIN, se(2026, 3, 9, 17, 0)),
            (se(2026, 3, 9, 8, 0), 9 * H, se(2026, 3, 9, 17, 0)),
            (se(2026, 3, 9, 8, 0), 9 * H + MIN, se(2026, 3, 10, 8, 1)),
            # Across the spring change (Sunday 29 March): Friday 16:00 + 2 h is Monday 09:00, 9 open hours a day.
            (se(2026, 3, 27, 16, 0), 2 * H, se(2026, 3, 30, 9, 0)),
            (se(2026, 3, 27, 8, 0), 18 * H, se(2026, 3, 30, 17, 0)),
            # Easter 2026 in Sweden: Maundy Thursday 2 April is a working day, Good Friday and Easter Monday are not.
            (se(2026, 4, 1, 16, 0), 2 * H, se(2026, 4, 2, 9, 0)),
            (se(2026, 4, 2, 16, 0), 2 * H, se(2026, 4, 7, 9, 0)),
            # New Year: Nyårsafton (Thu 31 Dec) closed, Nyårsdagen (Fri), the weekend; Monday 4 January 2027.
            (se(2026, 12, 30, 16, 0), 2 * H, se(2027, 1, 4, 9, 0)),
            # Trettondedag jul (Wed 6 January 2027) closed.
            (se(2027, 1, 5, 16, 0), 2 * H, se(2027, 1, 7, 9, 0)),
        ],
    )
    def test_stockholm_office(self, start, duration, expected):
        assert_local(add_business_time(SE_OFFICE, start, duration), expected)
        assert business_time_between(SE_OFFICE, start, expected) == duration

    def test_midsummer_without_eves_is_open_on_the_eve(self):
        calendar = dataclasses.replace(SE_OFFICE, closed_on_eves=False)
        assert_local(add_business_time(calendar, se(2026, 6, 18, 16, 45), 8 * H), se(2026, 6, 19, 15, 45))

    def test_start_in_utc_gives_a_result_in_the_calendars_zone(self):
        result = add_business_time(SE_OFFICE, datetime(2026, 6, 18, 14, 45, tzinfo=UTC), 8 * H)
        assert_local(result, se(2026, 6, 22, 15, 45))

    @pytest.mark.parametrize(
        ("special", "start", "duration", "expected"),
        [
            # (d) 23 December with special hours 10-14: 4 h that day, 24 (Julafton), 25 (Juldagen), 26 (Annandag
            # jul, a Saturday) and Sunday closed, Monday 28 December 08:00 + 1 h.
            ({"2026-12-23": [["10:00", "14:00"]]}, se(2026, 12, 23, 9, 0), 5 * H, se(2026, 12, 28, 9, 0)),
            # Tuesday 16:00: 1 h on the 22nd, then the special day opens at 10:00.
            ({"2026-12-23": [["10:00", "14:00"]]}, se(2026, 12, 22, 16, 0), 3 * H, se(2026, 12, 23, 12, 0)),
            # A start after the special day's early close moves to the next opening, after Christmas.
            ({"2026-12-23": [["10:00", "14:00"]]}, se(2026, 12, 23, 15, 0), H, se(2026, 12, 28, 9, 0)),
            # Special hours on a public holiday (Annandag jul, Saturday 26 December) open it.
            ({"2026-12-26": [["10:00", "12:00"]]}, se(2026, 12, 25, 9, 0), H, se(2026, 12, 26, 11, 0)),
            # ... and on an eve.
            ({"2026-12-24": [["08:00", "12:00"]]}, se(2026, 12, 23, 16, 0), 2 * H, se(2026, 12, 24, 9, 0)),
            # An empty list closes the day.
            ({"2026-03-10": []}, se(2026, 3, 9, 16, 0), 2 * H, se(2026, 3, 11, 9, 0)),
        ],
    )
    def test_special_hours(self, special, start, duration, expected):
        calendar = Schedule.build(time_zone="Europe/Stockholm", country="SE", special_hours=special)
        assert_local(add_business_time(calendar, start, duration), expected)
        assert business_time_between(calendar, start, expected) == duration

    @pytest.mark.parametrize(
        ("start", "duration", "expected"),
        [
            # (e) lunch break 12-13 in Helsinki.
            (fi(2026, 3, 2, 11, 30), H, fi(2026, 3, 2, 13, 30)),
            (fi(2026, 3, 2, 12, 15), 30 * MIN, fi(2026, 3, 2, 13, 30)),
            (fi(2026, 3, 2, 8, 0), 4 * H, fi(2026, 3, 2, 12, 0)),  # the end of the morning, not 13:00
            (fi(2026, 3, 2, 8, 0), 4 * H + MIN, fi(2026, 3, 2, 13, 1)),
            (fi(2026, 3, 2, 8, 0), 8 * H, fi(2026, 3, 2, 17, 0)),
            (fi(2026, 3, 2, 17, 0), MIN, fi(2026, 3, 3, 8, 1)),
            # (f) Juhannus: Thursday 16:00 + 2 h; Fri 19 June Juhannusaatto and Sat Juhannuspäivä closed.
            (fi(2026, 6, 18, 16, 0), 2 * H, fi(2026, 6, 22, 9, 0)),
            # Finnish Christmas 2026: Jouluaatto (Thu), Joulupäivä (Fri), Tapaninpäivä (Sat).
            (fi(2026, 12, 23, 16, 30), H, fi(2026, 12, 28, 8, 30)),
        ],
    )
    def test_helsinki_lunch_break(self, start, duration, expected):
        assert_local(add_business_time(FI_LUNCH, start, duration), expected)
        assert business_time_between(FI_LUNCH, start, expected) == duration

    def test_finnish_eves_follow_the_flag_although_the_package_lists_them(self):
        calendar = dataclasses.replace(FI_LUNCH, closed_on_eves=False)
        assert_local(add_business_time(calendar, fi(2026, 6, 18, 16, 0), 2 * H), fi(2026, 6, 19, 9, 0))
        assert_local(add_business_time(calendar, fi(2026, 12, 23, 16, 30), H), fi(2026, 12, 24, 8, 30))

    def test_lunch_break_between(self):
        assert business_time_between(FI_LUNCH, fi(2026, 3, 2, 11, 0), fi(2026, 3, 2, 14, 0)) == 2 * H
        assert business_time_between(FI_LUNCH, fi(2026, 3, 2, 12, 0), fi(2026, 3, 2, 13, 0)) == timedelta(0)

    @pytest.mark.parametrize(
        ("time_zone", "tz", "country"), [("Europe/Copenhagen", COPENHAGEN, "DK"), ("Europe/Oslo", OSLO, "NO")]
    )
    @pytest.mark.parametrize("closed_on_eves", [True, False])
    def test_maundy_thursday_is_a_holiday_in_denmark_and_norway_whatever_the_flag(
        self, time_zone, tz, country, closed_on_eves
    ):
        # (g) Wed 1 April 2026 16:00 + 2 h: Skærtorsdag/Skjærtorsdag, Langfredag, the weekend, Easter Monday.
        calendar = Schedule.build(time_zone=time_zone, country=country, closed_on_eves=closed_on_eves)
        assert_local(add_business_time(calendar, local(tz, 2026, 4, 1, 16, 0), 2 * H), local(tz, 2026, 4, 7, 9, 0))

    @pytest.mark.parametrize(
        ("time_zone", "tz", "country"), [("Europe/Copenhagen", COPENHAGEN, "DK"), ("Europe/Oslo", OSLO, "NO")]
    )
    def test_sankthansaften_is_open_and_christmas_eve_closed_in_denmark_and_norway(self, time_zone, tz, country):
        calendar = Schedule.build(time_zone=time_zone, country=country)
        assert_local(add_business_time(calendar, local(tz, 2026, 6, 22, 16, 0), 2 * H), local(tz, 2026, 6, 23, 9, 0))
        assert_local(add_business_time(calendar, local(tz, 2026, 12, 23, 16, 0), 2 * H), local(tz, 2026, 12, 28, 9, 0))

    def test_closed_days(self):
        # (h) Tuesday 10 March 2026 closed.
        calendar = Schedule.build(time_zone="Europe/Stockholm", country="SE", closed_days=["2026-03-10"])
        assert_local(add_business_time(calendar, se(2026, 3, 9, 16, 0), 2 * H), se(2026, 3, 11, 9, 0))
        assert business_time_between(calendar, se(2026, 3, 9, 0, 0), se(2026, 3, 12, 0, 0)) == 18 * H

    def test_between_across_a_weekend_and_backwards(self):
        # (i) Friday 15:00 to Monday 10:00: 2 h + 2 h.
        friday, monday = se(2026, 3, 6, 15, 0), se(2026, 3, 9, 10, 0)
        assert business_time_between(SE_OFFICE, friday, monday) == 4 * H
        assert business_time_between(SE_OFFICE, monday, friday) == -4 * H
        assert business_time_between(SE_OFFICE, friday, friday) == timedelta(0)
        assert business_time_between(SE_OFFICE, se(2026, 3, 9), se(2026, 3, 16)) == 45 * H
        # Over Midsummer: Thursday 12:00 to Monday 12:00 is 5 h + 4 h.
        assert business_time_between(SE_OFFICE, se(2026, 6, 18, 12), se(2026, 6, 22, 12)) == 9 * H
        # Inside one closed period.
        assert business_time_between(SE_OFFICE, se(2026, 3, 7, 9), se(2026, 3, 8, 15)) == timedelta(0)

    def test_weekend_only_calendar(self):
        assert_local(add_business_time(WEEKENDS, se(2026, 3, 9, 9, 0), 7 * H), se(2026, 3, 15, 11, 0))
        # Midsommardagen (Saturday 20 June 2026) is a holiday: only Sunday that weekend.
        assert_local(add_business_time(WEEKENDS, se(2026, 6, 19, 9, 0), 7 * H), se(2026, 6, 27, 11, 0))

    def test_zero_duration_returns_the_start_even_when_closed(self):
        start = datetime(2026, 3, 7, 11, 0, tzinfo=UTC)  # a Saturday
        result = add_business_time(SE_OFFICE, start, timedelta(0))
        assert u(result) == start
        assert result.tzinfo is STOCKHOLM

    def test_naive_datetimes_and_negative_durations_are_refused(self):
        with pytest.raises(ValueError, match="aware"):
            add_business_time(SE_OFFICE, datetime(2026, 3, 9, 9, 0), H)
        with pytest.raises(ValueError, match="aware"):
            business_time_between(SE_OFFICE, se(2026, 3, 9, 9, 0), datetime(2026, 3, 9, 10, 0))
        with pytest.raises(ValueError, match="aware"):
            is_open(SE_OFFICE, datetime(2026, 3, 9, 10, 0))
        with pytest.raises(ValueError, match="negative"):
            add_business_time(SE_OFFICE, se(2026, 3, 9, 9, 0), -MIN)

    def test_is_open_is_a_half_open_interval(self):
        assert not is_open(SE_OFFICE, se(2026, 3, 9, 7, 59, 59))
        assert is_open(SE_OFFICE, se(2026, 3, 9, 8, 0))
        assert is_open(SE_OFFICE, se(2026, 3, 9, 16, 59, 59, 999999))
        assert not is_open(SE_OFFICE, se(2026, 3, 9, 17, 0))
        assert not is_open(SE_OFFICE, se(2026, 6, 19, 12, 0))  # Midsommarafton
        assert is_open(ALWAYS, se(2026, 6, 19, 12, 0))


class TestDaylightSaving:
    """Spring: Sunday 29 March 2026 (02:00 -> 03:00 in Stockholm, 03:00 -> 04:00 in Helsinki, 01:00 UTC).
    Autumn: Sunday 25 October 2026 (03:00 -> 02:00 in Stockholm, 04:00 -> 03:00 in Helsinki)."""

    @pytest.mark.parametrize("tz", [STOCKHOLM, HELSINKI])
    def test_24_7_adds_elapsed_time(self, tz):
        calendar = Schedule.build(time_zone=tz.key, always_open=True)
        # (c) Saturday 12:00 + 24 h is Sunday 13:00 in spring and Sunday 11:00 in autumn.
        assert_local(add_business_time(calendar, local(tz, 2026, 3, 28, 12), 24 * H), local(tz, 2026, 3, 29, 13))
        assert_local(add_business_time(calendar, local(tz, 2026, 10, 24, 12), 24 * H), local(tz, 2026, 10, 25, 11))
        assert business_time_between(calendar, local(tz, 2026, 3, 28, 12), local(tz, 2026, 3, 29, 12)) == 23 * H
        assert business_time_between(calendar, local(tz, 2026, 10, 24, 12), local(tz, 2026, 10, 25, 12)) == 25 * H

    def test_a_calendar_open_all_day_every_day_counts_real_hours(self):
        calendar = Schedule.build(time_zone="Europe/Stockholm", opening_hours=every_day([["00:00", "24:00"]]))
        assert business_time_between(calendar, se(2026, 3, 29), se(2026, 3, 30)) == 23 * H
        assert business_time_between(calendar, se(2026, 10, 25), se(2026, 10, 26)) == 25 * H
        assert_local(add_business_time(calendar, se(2026, 3, 28, 12), 24 * H), se(2026, 3, 29, 13))
        assert_local(add_business_time(calendar, se(2026, 3, 29, 0), 23 * H), se(2026, 3, 30, 0))

    @pytest.mark.parametrize(("tz", "country"), [(STOCKHOLM, "SE"), (HELSINKI, "FI")])
    def test_a_daytime_day_with_a_change_has_its_full_hours(self, tz, country):
        calendar = Schedule.build(time_zone=tz.key, country=country, opening_hours=every_day([["08:00", "17:00"]]))
        for day in (date(2026, 3, 29), date(2026, 10, 25)):
            start = datetime.combine(day, time(8), tzinfo=tz)
            assert_local(add_business_time(calendar, start, 9 * H), datetime.combine(day, time(17), tzinfo=tz))
            midnight, next_midnight = (datetime.combine(d, time(), tzinfo=tz) for d in (day, day + timedelta(days=1)))
            assert business_time_between(calendar, midnight, next_midnight) == 9 * H

    def test_intervals_that_touch_the_gap_are_measured_in_real_time(self):
        def hours(opening: list[list[str]], tz: str, day: date) -> timedelta:
            calendar = Schedule.build(time_zone=tz, opening_hours=every_day(opening))
            return sum((end - start for start, end in calendar.intervals_on(day)), timedelta(0))

        spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
        # 01:00 to 04:00: the clocks skip an hour in spring and repeat one in autumn.
        assert hours([["01:00", "04:00"]], "Europe/Stockholm", spring) == 2 * H
        assert hours([["01:00", "04:00"]], "Europe/Stockholm", autumn) == 4 * H
        assert hours([["01:00", "04:00"]], "Europe/Stockholm", date(2026, 3, 30)) == 3 * H
        # A time inside the gap is the moment the clocks jump: 02:30-03:30 is 03:00-03:30, half an hour.
        assert hours([["02:30", "03:30"]], "Europe/Stockholm", spring) == 30 * MIN
        # An interval wholly inside the gap is empty that day.
        assert hours([["02:00", "02:30"]], "Europe/Stockholm", spring) == timedelta(0)
        # Helsinki's gap is an hour later.
        assert hours([["03:00", "05:00"]], "Europe/Helsinki", spring) == H
        # In autumn 02:00 is its first occurrence (CEST) and 03:00 exists once (CET): two real hours.
        assert hours([["02:00", "03:00"]], "Europe/Stockholm", autumn) == 2 * H

    def test_the_gap_edges_are_instants(self):
        calendar = Schedule.build(time_zone="Europe/Stockholm", opening_hours=every_day([["02:30", "03:30"]]))
        ((start, end),) = calendar.intervals_on(date(2026, 3, 29))
        assert (start, end) == (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
        assert_local(add_business_time(calendar, se(2026, 3, 29, 0, 0), 10 * MIN), se(2026, 3, 29, 3, 10))

    def test_an_interval_inside_the_gap_is_skipped(self):
        calendar = Schedule.build(time_zone="Europe/Stockholm", opening_hours=every_day([["02:00", "02:30"]]))
        assert calendar.intervals_on(date(2026, 3, 29)) == ()
        # 10 minutes on Saturday, none on Sunday, 10 on Monday.
        assert_local(add_business_time(calendar, se(2026, 3, 28, 2, 20), 20 * MIN), se(2026, 3, 30, 2, 10))

    def test_a_result_in_the_repeated_hour_is_the_right_one(self):
        # NIGHTS is open 00:00-02:30 and 02:45-06:00; on 25 October 02:30 is its first occurrence (00:30 UTC),
        # 02:45 too (00:45 UTC), and 06:00 is CET (05:00 UTC).
        first = add_business_time(NIGHTS, se(2026, 10, 25, 0, 30), 2 * H)
        assert u(first) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
        assert (first.replace(tzinfo=None), first.fold) == (datetime(2026, 10, 25, 2, 30), 0)
        second = add_business_time(NIGHTS, se(2026, 10, 25, 2, 45), 45 * MIN)  # from 02:45 CEST
        assert u(second) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
        assert (second.replace(tzinfo=None), second.fold) == (datetime(2026, 10, 25, 2, 30), 1)  # the second 02:30

    def test_business_day_intervals_are_absolute(self):
        (before,) = SE_OFFICE.intervals_on(date(2026, 3, 27))
        (after,) = SE_OFFICE.intervals_on(date(2026, 3, 30))
        assert before == (datetime(2026, 3, 27, 7, tzinfo=UTC), datetime(2026, 3, 27, 16, tzinfo=UTC))
        assert after == (datetime(2026, 3, 30, 6, tzinfo=UTC), datetime(2026, 3, 30, 15, tzinfo=UTC))


class TestEves:
    @pytest.mark.parametrize(
        ("year", "expected"),
        [(2025, date(2025, 6, 20)), (2026, date(2026, 6, 19)), (2027, date(2027, 6, 25)), (2028, date(2028, 6, 23))],
    )
    def test_midsummer_eve(self, year, expected):
        assert midsummer_eve(year) == expected

    @pytest.mark.parametrize("year", range(2020, 2040))
    def test_midsummer_eve_agrees_with_the_holidays_package(self, year):
        assert holidays.country_holidays("FI", years=year).get(midsummer_eve(year)) == "Juhannusaatto"
        de_facto = holidays.country_holidays("SE", years=year, categories=("de_facto",))
        assert de_facto.get(midsummer_eve(year)) == "Midsommarafton"

    def test_eves_per_country(self):
        christmas_and_new_year = {date(2026, 12, 24), date(2026, 12, 31)}
        assert eves("SE", 2026) == eves("FI", 2026) == christmas_and_new_year | {date(2026, 6, 19)}
        assert eves("DK", 2026) == eves("NO", 2026) == eves("IS", 2026) == christmas_and_new_year
        assert eves("DE", 2026) == christmas_and_new_year
        assert eves("", 2026) == frozenset()

    def test_closed_dates_of_sweden(self):
        with_eves = closed_dates("SE", True, 2026)
        without = closed_dates("SE", False, 2026)
        assert with_eves - without == {date(2026, 6, 19), date(2026, 12, 24), date(2026, 12, 31)}
        assert {date(2026, 6, 20), date(2026, 12, 25), date(2026, 1, 6), date(2026, 6, 6)} <= without
        assert date(2026, 4, 2) not in with_eves  # Skärtorsdagen is a working day

    def test_closed_dates_of_finland_follow_the_flag(self):
        assert {date(2026, 6, 19), date(2026, 12, 24), date(2026, 12, 31)} <= closed_dates("FI", True, 2026)
        without = closed_dates("FI", False, 2026)
        assert not {date(2026, 6, 19), date(2026, 12, 24), date(2026, 12, 31)} & without
        assert {date(2026, 6, 20), date(2026, 12, 6), date(2026, 12, 25)} <= without

    @pytest.mark.parametrize("country", ["DK", "NO"])
    def test_maundy_thursday_stays_closed_in_denmark_and_norway(self, country):
        for flag in (True, False):
            assert date(2026, 4, 2) in closed_dates(country, flag, 2026)
        assert date(2026, 6, 23) not in closed_dates(country, True, 2026)  # Sankthansaften

    def test_other_countries_get_christmas_and_new_years_eve_added_but_never_removed(self):
        # Czechia: Štědrý den (24 December) is a public holiday there; the flag does not open it.
        assert date(2026, 12, 24) in closed_dates("CZ", False, 2026)
        assert date(2026, 12, 31) not in closed_dates("CZ", False, 2026)
        assert date(2026, 12, 31) in closed_dates("CZ", True, 2026)

    def test_no_country_no_holidays(self):
        calendar = Schedule.build(time_zone="Europe/Stockholm", country="")
        assert_local(add_business_time(calendar, se(2026, 12, 24, 16, 0), 2 * H), se(2026, 12, 25, 9, 0))


class TestBuild:
    def test_defaults_are_eight_to_five_on_weekdays_in_stockholm(self):
        calendar = Schedule.build()
        assert calendar.time_zone == "Europe/Stockholm"
        assert calendar.weekly == (((480, 1020),),) * 5 + ((),) * 2
        assert (calendar.country, calendar.always_open, calendar.closed_on_eves) == ("", False, True)

    def test_touching_intervals_are_joined_and_the_schedule_is_frozen(self):
        calendar = Schedule.build(opening_hours=weekly([["12:00", "17:00"], ["08:00", "12:00"]]), country="se")
        assert calendar.weekly[0] == ((480, 1020),)
        assert calendar.country == "SE"
        with pytest.raises(dataclasses.FrozenInstanceError):
            calendar.country = "DK"  # type: ignore[misc]
        with pytest.raises(TypeError):
            calendar.special_hours[date(2026, 1, 1)] = ()  # type: ignore[index]

    @pytest.mark.parametrize(
        ("fields", "field", "message"),
        [
            ({"country": "XX"}, "country", "'XX' is not a country"),
            ({"country": "SWE"}, "country", "'SWE' is not a country"),
            ({"time_zone": "Europe/Stockhom"}, "time_zone", "'Europe/Stockhom' is not a known time zone."),
            ({"opening_hours": weekly([])}, "opening_hours", "at least one weekday"),
            ({"opening_hours": weekly([["17:00", "08:00"]])}, "opening_hours", "Monday: 17:00-08:00 must start"),
            ({"closed_days": ["2026-02-30"]}, "closed_days", "'2026-02-30' is not a date"),
            ({"special_hours": {"2026-12-23": [["10:00", "25:00"]]}}, "special_hours", "2026-12-23: "),
            (
                {"closed_days": ["2026-12-23"], "special_hours": {"2026-12-23": [["10:00", "14:00"]]}},
                "special_hours",
                "2026-12-23 is both a closed day and a day with special hours",
            ),
        ],
    )
    def test_refuses_bad_fields(self, fields, field, message):
        with pytest.raises(ValidationFailed) as raised:
            Schedule.build(**fields)
        assert raised.value.field == field
        assert message in raised.value.message

    def test_a_24_7_calendar_needs_no_weekly_hours(self):
        calendar = Schedule.build(opening_hours=weekly([]), always_open=True)
        assert_local(add_business_time(calendar, se(2026, 3, 7, 11), H), se(2026, 3, 7, 12))

    def test_a_calendar_without_open_time_for_years_raises_instead_of_looping(self):
        first = date(2026, 1, 1)
        closed = [(first + timedelta(days=n)).isoformat() for n in range(4 * 366)]
        calendar = Schedule.build(time_zone="Europe/Stockholm", closed_days=closed)
        with pytest.raises(CalendarNeverOpen) as raised:
            add_business_time(calendar, se(2026, 1, 1, 9), H)
        assert "no open time in the three years" in raised.value.message
        # Measuring is bounded by its end and does not raise.
        assert business_time_between(calendar, se(2026, 1, 1), se(2029, 1, 1)) == timedelta(0)


def test_two_years_of_business_time_take_well_under_50_ms():
    for year in (2026, 2027, 2028):
        closed_dates("SE", True, year)  # the holidays package is asked once per process and year
    start = se(2026, 1, 5, 9)
    timings = []
    for _ in range(3):
        calendar = Schedule.build(time_zone="Europe/Stockholm", country="SE")  # a cold day cache each time
        began = timer.perf_counter()
        due = add_business_time(calendar, start, 4500 * H)  # 500 nine-hour days: about two years
        measured = business_time_between(calendar, start, due)
        timings.append(timer.perf_counter() - began)
    assert measured == 4500 * H
    assert due.year == 2027
    assert min(timings) < 0.05


# --- properties -------------------------------------------------------------------------------------------------------

CALENDARS = [SE_OFFICE, FI_LUNCH, ALWAYS, WEEKENDS, NIGHTS]
ZONES = [STOCKHOLM, HELSINKI, UTC]
DST_DAYS = [
    date(year, month, day)
    for year, month, day in [
        (2025, 3, 30),
        (2025, 10, 26),
        (2026, 3, 29),
        (2026, 10, 25),
        (2027, 3, 28),
        (2027, 10, 31),
        (2028, 3, 26),
        (2028, 10, 29),
    ]
]

calendars = st.sampled_from(CALENDARS)
any_start = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31, 23, 59), timezones=st.sampled_from(ZONES)
)
# Around a change: from 21:00 UTC the evening before to 06:00 UTC after, to the microsecond.
dst_start = st.builds(
    lambda day, offset, tz: (datetime.combine(day, time(), tzinfo=UTC) + offset).astimezone(tz),
    st.sampled_from(DST_DAYS),
    st.timedeltas(min_value=-3 * H, max_value=6 * H),
    st.sampled_from(ZONES),
)
starts = st.one_of(any_start, dst_start)
durations = st.integers(min_value=0, max_value=2000 * 60).map(lambda minutes: timedelta(minutes=minutes))
small_durations = st.integers(min_value=0, max_value=40 * 60).map(lambda minutes: timedelta(minutes=minutes))

PROPERTY = settings(max_examples=200, deadline=None)


@PROPERTY
@given(calendars, starts, durations)
def test_adding_then_measuring_gives_the_duration_back(calendar, start, duration):
    due = add_business_time(calendar, start, duration)
    assert business_time_between(calendar, start, due) == duration
    assert due.tzinfo is calendar.tz
    assert u(due) >= u(start)
    assert business_time_between(calendar, due, start) == -duration


@PROPERTY
@given(calendars, starts, starts, durations)
def test_later_starts_never_give_earlier_results(calendar, first, second, duration):
    first, second = sorted([first, second], key=u)
    assert u(add_business_time(calendar, first, duration)) <= u(add_business_time(calendar, second, duration))


@PROPERTY
@given(calendars, starts, durations, durations)
def test_longer_durations_never_give_earlier_results(calendar, start, first, second):
    first, second = sorted([first, second])
    assert u(add_business_time(calendar, start, first)) <= u(add_business_time(calendar, start, second))


@PROPERTY
@given(calendars, starts, durations)
def test_a_result_is_open_just_before_it(calendar, start, duration):
    due = add_business_time(calendar, start, duration)
    if duration:
        assert u(due) > u(start)
        assert is_open(calendar, u(due) - US)  # in an open interval, or exactly at its end (subtract in UTC!)
    else:
        assert u(due) == u(start)
        assert due.tzinfo is calendar.tz


@PROPERTY
@given(starts, durations)
def test_24_7_is_plain_addition(start, duration):
    due = add_business_time(ALWAYS, start, duration)
    assert u(due) == u(start) + duration
    assert due.tzinfo is STOCKHOLM
    assert business_time_between(ALWAYS, start, due) == duration


@PROPERTY
@given(calendars, starts, small_durations, small_durations)
def test_adding_in_two_steps_is_adding_once(calendar, start, first, second):
    in_two = add_business_time(calendar, add_business_time(calendar, start, first), second)
    assert u(in_two) == u(add_business_time(calendar, start, first + second))


@PROPERTY
@given(calendars, starts, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)), st.floats(0, 1))
def test_measuring_is_additive(calendar, start, span, split):
    end = start.astimezone(UTC) + span
    middle = start.astimezone(UTC) + span * split
    total = business_time_between(calendar, start, end)
    assert total == business_time_between(calendar, start, middle) + business_time_between(calendar, middle, end)
    assert timedelta(0) <= total <= end.astimezone(UTC) - start.astimezone(UTC)


# --- next_open: where a time told to a customer moves when the team is closed -------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # open: the moment itself
        (datetime(2026, 11, 16, 10, 30, tzinfo=STOCKHOLM), datetime(2026, 11, 16, 10, 30, tzinfo=STOCKHOLM)),
        # at opening exactly, and just before it
        (datetime(2026, 11, 16, 8, 0, tzinfo=STOCKHOLM), datetime(2026, 11, 16, 8, 0, tzinfo=STOCKHOLM)),
        (datetime(2026, 11, 16, 7, 59, tzinfo=STOCKHOLM), datetime(2026, 11, 16, 8, 0, tzinfo=STOCKHOLM)),
        # at closing (intervals are [open, close)): the next morning
        (datetime(2026, 11, 16, 17, 0, tzinfo=STOCKHOLM), datetime(2026, 11, 17, 8, 0, tzinfo=STOCKHOLM)),
        # 04:00 on a Sunday: Monday's opening
        (datetime(2026, 11, 22, 4, 0, tzinfo=STOCKHOLM), datetime(2026, 11, 23, 8, 0, tzinfo=STOCKHOLM)),
        # Christmas: the eves and holidays are closed until Monday 28 December
        (datetime(2026, 12, 23, 17, 30, tzinfo=STOCKHOLM), datetime(2026, 12, 28, 8, 0, tzinfo=STOCKHOLM)),
    ],
)
def test_next_open_is_the_moment_when_open_else_the_next_opening(moment, expected):
    result = next_open(SE_OFFICE, moment)
    assert result == expected
    assert result.tzinfo == STOCKHOLM
    assert is_open(SE_OFFICE, result)


def test_next_open_skips_a_lunch_break_and_keeps_an_always_open_calendar_as_it_is():
    assert next_open(FI_LUNCH, datetime(2026, 11, 16, 12, 15, tzinfo=HELSINKI)) == datetime(
        2026, 11, 16, 13, 0, tzinfo=HELSINKI
    )
    sunday_night = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    assert next_open(ALWAYS, sunday_night) == sunday_night


def test_next_open_refuses_a_naive_time():
    with pytest.raises(ValueError, match="aware"):
        next_open(SE_OFFICE, datetime(2026, 11, 16, 10, 0))


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC)))
@settings(max_examples=200, deadline=None)
def test_next_open_is_the_earliest_open_moment_not_before(moment):
    result = next_open(SE_OFFICE, moment)
    assert result >= moment
    assert is_open(SE_OFFICE, result)
    # nothing open in between: no business time passes from the moment to the result
    assert business_time_between(SE_OFFICE, moment, result) == timedelta(0)
