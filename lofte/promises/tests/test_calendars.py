"""Calendar validation and writes: every bad field named, nothing half-saved, and the schedule cache follows updates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.forms.models import model_to_dict

from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.promises import calendars
from lofte.promises.business_time import DAY_KEYS, Schedule, add_business_time
from lofte.promises.calendars import calendar_create, calendar_update, calendar_validate, schedule_for
from lofte.promises.models import BusinessCalendar, default_opening_hours

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STOCKHOLM = ZoneInfo("Europe/Stockholm")
H = timedelta(hours=1)


def weekly(weekdays: list[list[str]], weekend: list[list[str]] | None = None) -> dict[str, list[list[str]]]:
    return {day: (weekdays if day not in ("sat", "sun") else (weekend or [])) for day in DAY_KEYS}


VALID = {
    "time_zone": "Europe/Stockholm",
    "country": "SE",
    "always_open": False,
    "opening_hours": weekly([["08:00", "17:00"]]),
    "closed_on_eves": True,
    "closed_days": [],
    "special_hours": {},
}


@pytest.fixture(autouse=True)
def _fresh_schedule_cache():
    calendars.schedule_cache_clear()
    yield
    calendars.schedule_cache_clear()


def stored(calendar: BusinessCalendar) -> dict[str, object]:
    return model_to_dict(BusinessCalendar.objects.get(pk=calendar.pk))


class TestValidate:
    def test_normalises_what_it_accepts(self):
        fields = calendar_validate(
            **VALID
            | {
                "country": "fi",
                "time_zone": "Europe/Helsinki",
                "opening_hours": weekly([["13:00", "17:00"], ["08:00", "12:00"]]),
                "closed_days": ["2026-12-28", "2026-03-10", "2026-12-28"],
                "special_hours": {
                    "2026-12-30": [["10:00", "14:00"]],
                    "2026-12-23": [["12:00", "14:00"], ["09:00", "11:00"]],
                },
            }
        )
        assert fields.stored() == {
            "time_zone": "Europe/Helsinki",
            "country": "FI",
            "always_open": False,
            "opening_hours": weekly([["08:00", "12:00"], ["13:00", "17:00"]]),
            "closed_on_eves": True,
            "closed_days": ["2026-03-10", "2026-12-28"],
            "special_hours": {
                "2026-12-23": [["09:00", "11:00"], ["12:00", "14:00"]],
                "2026-12-30": [["10:00", "14:00"]],
            },
        }
        assert list(fields.special_hours) == ["2026-12-23", "2026-12-30"]
        assert isinstance(fields.schedule, Schedule)
        assert fields.schedule.closed_days == frozenset({date(2026, 3, 10), date(2026, 12, 28)})

    def test_touching_intervals_are_kept_as_given_and_24_00_is_a_close(self):
        hours = weekly([["08:00", "12:00"], ["12:00", "24:00"]], weekend=[["00:00", "24:00"]])
        assert calendar_validate(**VALID | {"opening_hours": hours}).opening_hours == hours

    def test_a_24_7_calendar_may_have_no_weekly_hours(self):
        fields = calendar_validate(**VALID | {"always_open": True, "opening_hours": weekly([])})
        assert fields.always_open is True
        assert fields.opening_hours == weekly([])

    def test_no_country_is_no_holidays(self):
        assert calendar_validate(**VALID | {"country": ""}).country == ""

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"country": "XX"}, "country", "'XX' is not a country whose public holidays are known."),
            ({"country": "SWE"}, "country", "'SWE' is not a country whose public holidays are known."),
            ({"country": 46}, "country", "The country must be a two-letter code."),
            ({"time_zone": "Europe/Stockhom"}, "time_zone", "'Europe/Stockhom' is not a known time zone."),
            ({"time_zone": "CEST"}, "time_zone", "'CEST' is not a known time zone."),
            ({"time_zone": ""}, "time_zone", "'' is not a known time zone."),
            ({"always_open": "yes"}, "always_open", "Expected true or false."),
            ({"closed_on_eves": None}, "closed_on_eves", "Expected true or false."),
            (
                {"opening_hours": [["08:00", "17:00"]]},
                "opening_hours",
                "Opening hours must map each weekday (mon..sun) to intervals.",
            ),
            (
                {"opening_hours": {k: v for k, v in weekly([["08:00", "17:00"]]).items() if k != "sun"}},
                "opening_hours",
                "Opening hours need exactly the days mon, tue, wed, thu, fri, sat, sun (missing: sun; unknown: -).",
            ),
            (
                {"opening_hours": weekly([["08:00", "17:00"]]) | {"holiday": []}},
                "opening_hours",
                "Opening hours need exactly the days mon, tue, wed, thu, fri, sat, sun (missing: -; unknown: holiday).",
            ),
            (
                {"opening_hours": weekly([["08:00", "17:00"]]) | {"tue": [["12:00", "12:00"]]}},
                "opening_hours",
                "Tuesday: 12:00-12:00 must start before it ends.",
            ),
            (
                {"opening_hours": weekly([["08:00", "17:00"]]) | {"wed": [["08:00", "12:30"], ["12:00", "17:00"]]}},
                "opening_hours",
                "Wednesday: 08:00-12:30 and 12:00-17:00 overlap.",
            ),
            (
                {"opening_hours": weekly([["08:00", "17:00"]]) | {"thu": [["8:00", "17:00"]]}},
                "opening_hours",
                'Thursday: ["8:00", "17:00"] is not a pair of times like ["08:00", "17:00"] between 00:00 and 24:00.',
            ),
            (
                {"opening_hours": weekly([["08:00", "17:00"]]) | {"fri": [["24:00", "24:00"]]}},
                "opening_hours",
                'Friday: ["24:00", "24:00"] is not a pair of times like ["08:00", "17:00"] between 00:00 and 24:00.',
            ),
            (
                {"opening_hours": weekly([["08:00", "17:00"]]) | {"sat": [["10:00", "24:30"]]}},
                "opening_hours",
                'Saturday: ["10:00", "24:30"] is not a pair of times like ["08:00", "17:00"] between 00:00 and 24:00.',
            ),
            (
                {"opening_hours": weekly([["08:00", "17:00"]]) | {"sun": [["10:00", "12:00", "14:00"]]}},
                "opening_hours",
                'Sunday: ["10:00", "12:00", "14:00"] is not a pair of times like ["08:00", "17:00"]',
            ),
            (
                {"opening_hours": weekly([["08:00", "17:00"]]) | {"mon": "08:00-17:00"}},
                "opening_hours",
                'Monday: expected a list of ["HH:MM", "HH:MM"] intervals.',
            ),
            (
                {"opening_hours": weekly([])},
                "opening_hours",
                "A calendar that is not open 24/7 needs opening hours on at least one weekday.",
            ),
            ({"closed_days": "2026-12-24"}, "closed_days", 'Closed days must be a list of dates like "2026-12-24".'),
            ({"closed_days": ["2026-02-30"]}, "closed_days", "'2026-02-30' is not a date like 2026-12-24."),
            ({"closed_days": ["20261224"]}, "closed_days", "'20261224' is not a date like 2026-12-24."),
            ({"closed_days": ["24.12.2026"]}, "closed_days", "'24.12.2026' is not a date like 2026-12-24."),
            ({"closed_days": [None]}, "closed_days", "'null' is not a date like 2026-12-24."),
            (
                {"special_hours": [["2026-12-23", "10:00", "14:00"]]},
                "special_hours",
                'Special hours must map dates to intervals: {"2026-12-23": [["10:00", "14:00"]]}.',
            ),
            (
                {"special_hours": {"23/12": [["10:00", "14:00"]]}},
                "special_hours",
                "'23/12' is not a date like 2026-12-24.",
            ),
            (
                {"special_hours": {"2026-12-23": [["14:00", "10:00"]]}},
                "special_hours",
                "2026-12-23: 14:00-10:00 must start before it ends.",
            ),
            (
                {"special_hours": {"2026-12-23": [["10:00", "14:00"], ["13:00", "15:00"]]}},
                "special_hours",
                "2026-12-23: 10:00-14:00 and 13:00-15:00 overlap.",
            ),
            (
                {"closed_days": ["2026-12-23"], "special_hours": {"2026-12-23": [["10:00", "14:00"]]}},
                "special_hours",
                "2026-12-23 is both a closed day and a day with special hours; keep one.",
            ),
        ],
    )
    def test_refuses_and_names_the_field(self, changes, field, message):
        with pytest.raises(ValidationFailed) as raised:
            calendar_validate(**VALID | changes)
        assert (raised.value.field, raised.value.code) == (field, "validation_error")
        assert raised.value.message.startswith(message)

    @pytest.mark.parametrize("country", ["SE", "DK", "NO", "FI", "IS"])
    def test_the_nordic_countries_are_supported(self, country):
        assert calendar_validate(**VALID | {"country": country.lower()}).country == country


@pytest.mark.django_db
class TestCreate:
    def test_creates_with_the_models_defaults(self):
        with clock.at(T0):
            calendar = calendar_create(name="  Support   Sverige ")
        row = BusinessCalendar.objects.get()
        assert row.pk == calendar.pk
        assert model_to_dict(row, exclude=["id"]) == {
            "name": "Support Sverige",
            "time_zone": "Europe/Stockholm",
            "country": "",
            "always_open": False,
            "opening_hours": default_opening_hours(),
            "closed_on_eves": True,
            "closed_days": [],
            "special_hours": {},
            "updated_at": T0,
        }

    def test_creates_normalised_fields(self):
        with clock.at(T0):
            calendar_create(
                name="Tuki",
                time_zone="Europe/Helsinki",
                country="fi",
                opening_hours=weekly([["13:00", "17:00"], ["08:00", "12:00"]]),
                closed_on_eves=False,
                closed_days=["2026-12-28", "2026-03-10"],
                special_hours={"2026-12-23": [["10:00", "14:00"]]},
            )
        row = BusinessCalendar.objects.get()
        assert (row.country, row.closed_on_eves, row.closed_days) == ("FI", False, ["2026-03-10", "2026-12-28"])
        assert row.opening_hours == weekly([["08:00", "12:00"], ["13:00", "17:00"]])
        assert row.special_hours == {"2026-12-23": [["10:00", "14:00"]]}

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"name": "   "}, "name"),
            ({"name": "x" * 101}, "name"),
            ({"country": "XX"}, "country"),
            ({"time_zone": "Mars/Olympus"}, "time_zone"),
            ({"opening_hours": weekly([])}, "opening_hours"),
            ({"closed_days": ["2026-13-01"]}, "closed_days"),
            ({"special_hours": {"2026-12-23": [["10:00"]]}}, "special_hours"),
        ],
    )
    def test_writes_nothing_when_a_field_is_bad(self, fields, field):
        with pytest.raises(ValidationFailed) as raised:
            calendar_create(**{"name": "Support"} | fields)
        assert raised.value.field == field
        assert BusinessCalendar.objects.count() == 0

    def test_a_name_is_unique_whatever_its_case(self):
        calendar_create(name="Support")
        with pytest.raises(ValidationFailed) as raised:
            calendar_create(name="SUPPORT", country="SE")
        assert (raised.value.field, raised.value.message) == ("name", "There is already a calendar named SUPPORT.")
        assert list(BusinessCalendar.objects.values_list("name", flat=True)) == ["Support"]


@pytest.mark.django_db
class TestUpdate:
    @pytest.fixture
    def calendar(self):
        with clock.at(T0):
            return calendar_create(name="Support", country="SE")

    def test_changes_the_given_fields_and_moves_updated_at(self, calendar):
        later = T0 + timedelta(days=1)
        with clock.at(later):
            result = calendar_update(
                calendar=calendar, special_hours={"2026-12-23": [["10:00", "14:00"]]}, country="dk", name="Kundeservice"
            )
        assert result is calendar
        row = BusinessCalendar.objects.get()
        assert (row.name, row.country, row.special_hours, row.updated_at) == (
            "Kundeservice",
            "DK",
            {"2026-12-23": [["10:00", "14:00"]]},
            later,
        )
        assert (row.time_zone, row.opening_hours, row.closed_on_eves) == (
            "Europe/Stockholm",
            default_opening_hours(),
            True,
        )
        assert (calendar.name, calendar.country, calendar.updated_at) == ("Kundeservice", "DK", later)

    def test_updated_at_moves_even_when_the_clock_stands_still(self, calendar):
        with clock.at(T0):
            calendar_update(calendar=calendar, closed_on_eves=False)
            calendar_update(calendar=calendar, closed_on_eves=True)
        assert BusinessCalendar.objects.get().updated_at == T0 + timedelta(microseconds=2)

    def test_keeps_its_own_name(self, calendar):
        calendar_update(calendar=calendar, name="Support")
        assert BusinessCalendar.objects.get().name == "Support"

    def test_applies_changes_to_the_current_row_not_a_stale_copy(self, calendar):
        stale = BusinessCalendar.objects.get(pk=calendar.pk)
        calendar_update(calendar=calendar, country="NO")
        calendar_update(calendar=stale, closed_days=["2026-05-18"])
        row = BusinessCalendar.objects.get()
        assert (row.country, row.closed_days) == ("NO", ["2026-05-18"])

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"name": "Billing"}, "name"),
            ({"name": ""}, "name"),
            ({"time_zone": "Europe/Stockhom"}, "time_zone"),
            ({"country": "XX", "closed_on_eves": False}, "country"),
            ({"opening_hours": weekly([["17:00", "08:00"]])}, "opening_hours"),
            ({"always_open": False, "opening_hours": weekly([])}, "opening_hours"),
            ({"closed_on_eves": "no"}, "closed_on_eves"),
            ({"closed_days": ["2026-12-23"], "special_hours": {"2026-12-23": []}}, "special_hours"),
        ],
    )
    def test_changes_nothing_when_a_field_is_bad(self, calendar, fields, field):
        calendar_create(name="Billing")
        before = stored(calendar)
        with clock.at(T0 + H), pytest.raises(ValidationFailed) as raised:
            calendar_update(calendar=calendar, **fields)
        assert raised.value.field == field
        assert stored(calendar) == before
        assert (calendar.name, calendar.country, calendar.updated_at) == ("Support", "SE", T0)

    def test_a_calendar_may_become_24_7_and_drop_its_hours(self, calendar):
        calendar_update(calendar=calendar, always_open=True, opening_hours=weekly([]))
        row = BusinessCalendar.objects.get()
        assert (row.always_open, row.opening_hours) == (True, weekly([]))


@pytest.mark.django_db
class TestScheduleFor:
    def test_compiles_the_row(self):
        calendar = calendar_create(name="Support", country="SE", special_hours={"2026-12-23": [["10:00", "14:00"]]})
        schedule = schedule_for(calendar)
        assert (schedule.time_zone, schedule.country, schedule.always_open) == ("Europe/Stockholm", "SE", False)
        due = add_business_time(schedule, datetime(2026, 12, 23, 9, tzinfo=STOCKHOLM), 5 * H)
        assert due == datetime(2026, 12, 28, 9, tzinfo=STOCKHOLM)

    def test_is_cached_per_row_version(self, django_assert_num_queries):
        calendar = calendar_create(name="Support", country="SE")
        first = schedule_for(calendar)
        with django_assert_num_queries(0):
            assert schedule_for(calendar) is first
        assert schedule_for(BusinessCalendar.objects.get(pk=calendar.pk)) is first  # another instance, same version

    def test_an_update_compiles_again(self):
        with clock.at(T0):
            calendar = calendar_create(name="Support", country="SE")
            before = schedule_for(calendar)
            calendar_update(calendar=calendar, closed_days=["2026-03-03"])
        after = schedule_for(calendar)
        assert after is not before
        assert after.closed_days == frozenset({date(2026, 3, 3)})
        assert before.closed_days == frozenset()
        assert schedule_for(calendar) is after

    def test_an_edit_that_bypasses_the_services_is_seen_too(self):
        calendar = calendar_create(name="Support", country="SE")
        before = schedule_for(calendar)
        BusinessCalendar.objects.filter(pk=calendar.pk).update(country="DK")  # updated_at untouched
        after = schedule_for(BusinessCalendar.objects.get(pk=calendar.pk))
        assert (before.country, after.country) == ("SE", "DK")

    def test_an_unsaved_calendar_compiles_without_the_cache(self):
        calendar = BusinessCalendar(name="Draft", country="NO")
        assert schedule_for(calendar).country == "NO"
        assert calendars._cache == {}

    def test_an_invalid_stored_row_raises(self):
        calendar = BusinessCalendar.objects.create(name="Broken", opening_hours={"mon": []})
        with pytest.raises(ValidationFailed) as raised:
            schedule_for(calendar)
        assert raised.value.field == "opening_hours"
