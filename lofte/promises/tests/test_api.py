"""The calendars, SLA policies, due-time preview and case promises API.

Admins write calendars and policies, every agent reads them. Where a write is
refused (bad input, an agent instead of an admin, another team's case), the
tests read the rows again and compare: nothing may have changed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from lofte.accounts.models import Agent, Role
from lofte.accounts.tests.api_client import Api
from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases import services as case_services
from lofte.cases.models import Case, CaseEvent, Status
from lofte.cases.tests.factories import CaseTypeFactory
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.promises import calendars
from lofte.promises.business_time import DAY_KEYS
from lofte.promises.calendars import calendar_create
from lofte.promises.models import BusinessCalendar, Promise, PromiseKind, SlaPolicy
from lofte.promises.policies import policy_create
from lofte.promises.schemas import MAX_MINUTES
from lofte.promises.services import due_after

pytestmark = pytest.mark.django_db

# Monday 15 June 2026, 10:00 in Stockholm (UTC+2)
T0 = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)
ISO_WITH_OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


def weekly(weekdays: list[list[str]], weekend: list[list[str]] | None = None) -> dict[str, list[list[str]]]:
    return {day: (weekdays if day not in ("sat", "sun") else (weekend or [])) for day in DAY_KEYS}


OFFICE_HOURS = weekly([["08:00", "17:00"]])
SE_OFFICE = {
    "name": "Kontor Stockholm",
    "time_zone": "Europe/Stockholm",
    "country": "SE",
    "opening_hours": OFFICE_HOURS,
    "closed_on_eves": True,
    "closed_days": ["2026-12-28"],
}


@pytest.fixture(autouse=True)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_schedule_cache():  # type: ignore[no-untyped-def]
    calendars.schedule_cache_clear()
    yield
    calendars.schedule_cache_clear()


@pytest.fixture
def admin(db) -> Agent:  # type: ignore[no-untyped-def]
    return AgentFactory(email="admin@example.com", name="Ada Admin", role=Role.ADMIN)


@pytest.fixture
def admin_api(admin) -> Api:  # type: ignore[no-untyped-def]
    return Api(admin)


@pytest.fixture
def api(agent) -> Api:  # type: ignore[no-untyped-def]
    """Alma, an agent (not an admin) of the Support team."""
    return Api(agent)


@pytest.fixture
def outsider_api(outsider) -> Api:  # type: ignore[no-untyped-def]
    """Otto, an agent of the Billing team: must not see Support's cases."""
    return Api(outsider)


@pytest.fixture
def anonymous(db) -> Api:  # type: ignore[no-untyped-def]
    return Api(None)


@pytest.fixture
def office(db) -> BusinessCalendar:  # type: ignore[no-untyped-def]
    with clock.at(T0):
        return calendar_create(name="Kontor", time_zone="Europe/Stockholm", country="SE")


@pytest.fixture
def always(db) -> BusinessCalendar:  # type: ignore[no-untyped-def]
    with clock.at(T0):
        return calendar_create(name="Dygnet runt", time_zone="Europe/Stockholm", always_open=True)


def error(response: Any) -> tuple[int, str, str | None]:
    body = response.json()
    return response.status_code, body["code"], body.get("field")


def calendar_row(calendar_id: int) -> dict[str, Any]:
    return model_to_dict(BusinessCalendar.objects.get(pk=calendar_id))


def policy_row(policy_id: int) -> dict[str, Any]:
    return model_to_dict(SlaPolicy.objects.get(pk=policy_id))


def calendar_rows() -> list[dict[str, Any]]:
    return [model_to_dict(c) for c in BusinessCalendar.objects.order_by("pk")]


def policy_rows() -> list[dict[str, Any]]:
    return [model_to_dict(p) for p in SlaPolicy.objects.order_by("pk")]


def calendar_json(calendar: BusinessCalendar) -> dict[str, Any]:
    """What the API shows for a calendar read again from the database (updated_at as ninja renders it)."""
    row = BusinessCalendar.objects.get(pk=calendar.pk)
    return {
        "id": row.pk,
        "name": row.name,
        "time_zone": row.time_zone,
        "country": row.country,
        "always_open": row.always_open,
        "opening_hours": row.opening_hours,
        "closed_on_eves": row.closed_on_eves,
        "closed_days": row.closed_days,
        "special_hours": row.special_hours,
        "updated_at": iso(row.updated_at),
    }


def iso(moment: datetime) -> str:
    """A UTC datetime the way the API renders it (milliseconds, Z)."""
    text = moment.astimezone(UTC).isoformat()
    if moment.microsecond:
        text = text[:23] + text[26:]
    return text.replace("+00:00", "Z")


# --- calendars --------------------------------------------------------------------------------------------------------


class TestCalendarCreate:
    def test_admin_creates_a_calendar_and_gets_its_normalised_fields(self, admin_api):
        # when
        with clock.at(T0):
            response = admin_api.post(
                "/calendars",
                {
                    "name": "  Kontor   Helsingfors ",
                    "time_zone": "Europe/Helsinki",
                    "country": "fi",
                    "opening_hours": weekly([["13:00", "17:00"], ["08:00", "12:00"]], weekend=[["10:00", "14:00"]]),
                    "closed_on_eves": False,
                    "closed_days": ["2026-12-28", "2026-03-10", "2026-12-28"],
                    "special_hours": {"2026-12-30": [["10:00", "14:00"]], "2026-12-23": [["09:00", "12:00"]]},
                },
            )
        # then
        assert response.status_code == 201, response.content
        calendar = BusinessCalendar.objects.get()
        expected = {
            "id": calendar.pk,
            "name": "Kontor Helsingfors",
            "time_zone": "Europe/Helsinki",
            "country": "FI",
            "always_open": False,
            "opening_hours": weekly([["08:00", "12:00"], ["13:00", "17:00"]], weekend=[["10:00", "14:00"]]),
            "closed_on_eves": False,
            "closed_days": ["2026-03-10", "2026-12-28"],
            "special_hours": {"2026-12-23": [["09:00", "12:00"]], "2026-12-30": [["10:00", "14:00"]]},
            "updated_at": "2026-06-15T08:00:00Z",
        }
        assert response.json() == expected
        assert calendar_json(calendar) == expected

    def test_the_contract_example_with_defaults_for_what_is_left_out(self, admin_api):
        with clock.at(T0):
            response = admin_api.post("/calendars", SE_OFFICE)
        assert response.status_code == 201, response.content
        assert response.json() == {
            "id": BusinessCalendar.objects.get().pk,
            **SE_OFFICE,
            "always_open": False,
            "special_hours": {},
            "updated_at": "2026-06-15T08:00:00Z",
        }

    def test_opening_hours_left_out_are_08_to_17_monday_to_friday(self, admin_api):
        response = admin_api.post("/calendars", {"name": "Standard"})
        assert response.status_code == 201, response.content
        assert (response.json()["opening_hours"], response.json()["time_zone"], response.json()["country"]) == (
            OFFICE_HOURS,
            "Europe/Stockholm",
            "",
        )

    def test_a_24_7_calendar_needs_no_opening_hours(self, admin_api):
        response = admin_api.post(
            "/calendars", {"name": "Dygnet runt", "always_open": True, "opening_hours": weekly([])}
        )
        assert response.status_code == 201, response.content
        assert (response.json()["always_open"], response.json()["opening_hours"]) == (True, weekly([]))

    @pytest.mark.parametrize(
        ("change", "field", "message"),
        [
            (
                {"opening_hours": {**OFFICE_HOURS, "tue": [["08:00", "12:00"], ["11:00", "17:00"]]}},
                "opening_hours",
                "Tuesday: 08:00-12:00 and 11:00-17:00 overlap.",
            ),
            (
                {"opening_hours": {**OFFICE_HOURS, "fri": [["17:00", "08:00"]]}},
                "opening_hours",
                "Friday: 17:00-08:00 must start before it ends.",
            ),
            (
                {"opening_hours": {**OFFICE_HOURS, "mon": [["08:00", "25:00"]]}},
                "opening_hours",
                'Monday: ["08:00", "25:00"] is not a pair of times like ["08:00", "17:00"] between 00:00 and 24:00.',
            ),
            (
                {"opening_hours": {k: v for k, v in OFFICE_HOURS.items() if k != "sun"}},
                "opening_hours",
                "Opening hours need exactly the days mon, tue, wed, thu, fri, sat, sun (missing: sun; unknown: -).",
            ),
            (
                {"opening_hours": weekly([])},
                "opening_hours",
                "A calendar that is not open 24/7 needs opening hours on at least one weekday.",
            ),
            ({"country": "XX"}, "country", "'XX' is not a country whose public holidays are known."),
            ({"country": "SWE"}, "country", "country: String should have at most 2 characters"),
            ({"time_zone": "Mars/Olympus"}, "time_zone", "'Mars/Olympus' is not a known time zone."),
            ({"closed_days": ["2026-02-30"]}, "closed_days", "'2026-02-30' is not a date like 2026-12-24."),
            ({"closed_days": ["28/12/2026"]}, "closed_days", "'28/12/2026' is not a date like 2026-12-24."),
            ({"special_hours": {"next friday": [["10:00", "14:00"]]}}, "special_hours", None),
            (
                {"special_hours": {"2026-12-28": [["10:00", "14:00"]]}},
                "special_hours",
                "2026-12-28 is both a closed day and a day with special hours; keep one.",
            ),
            ({"name": "   "}, "name", "A calendar needs a name."),
            ({"name": "x" * 101}, "name", None),
            ({"closed_on_eves": "kanske"}, "closed_on_eves", None),
        ],
    )
    def test_invalid_calendar_is_422_naming_the_field_and_creates_nothing(
        self, admin_api, office, change, field, message
    ):
        # given
        before = calendar_rows()
        # when
        response = admin_api.post("/calendars", {**SE_OFFICE, **change})
        # then
        assert error(response) == (422, "validation_error", field)
        if message is not None:
            assert response.json()["message"] == message
        assert calendar_rows() == before

    def test_missing_name_is_422_naming_it(self, admin_api):
        body = {k: v for k, v in SE_OFFICE.items() if k != "name"}
        response = admin_api.post("/calendars", body)
        assert error(response) == (422, "validation_error", "name")
        assert response.json()["message"] == "name: Field required"
        assert BusinessCalendar.objects.count() == 0

    def test_duplicate_name_is_422_whatever_the_case_and_creates_nothing(self, admin_api, office):
        before = calendar_rows()
        response = admin_api.post("/calendars", {**SE_OFFICE, "name": "KONTOR"})
        assert error(response) == (422, "validation_error", "name")
        assert response.json()["message"] == "There is already a calendar named KONTOR."
        assert calendar_rows() == before

    def test_agent_is_403_and_creates_nothing(self, api):
        response = api.post("/calendars", SE_OFFICE)
        assert error(response) == (403, "permission_denied", None)
        assert response.json()["message"] == "Only admins can change this."
        assert BusinessCalendar.objects.count() == 0

    def test_unauthenticated_is_401_and_creates_nothing(self, anonymous):
        response = anonymous.post("/calendars", SE_OFFICE)
        assert error(response) == (401, "unauthenticated", None)
        assert BusinessCalendar.objects.count() == 0


class TestCalendarRead:
    def test_list_is_by_name_for_every_agent(self, api, office, always):
        response = api.get("/calendars")
        assert response.status_code == 200
        assert response.json() == [calendar_json(always), calendar_json(office)]
        assert [c["name"] for c in response.json()] == ["Dygnet runt", "Kontor"]

    def test_get_for_every_agent(self, api, office):
        response = api.get(f"/calendars/{office.pk}")
        assert response.status_code == 200
        assert response.json() == {
            "id": office.pk,
            "name": "Kontor",
            "time_zone": "Europe/Stockholm",
            "country": "SE",
            "always_open": False,
            "opening_hours": OFFICE_HOURS,
            "closed_on_eves": True,
            "closed_days": [],
            "special_hours": {},
            "updated_at": "2026-06-15T08:00:00Z",
        }

    def test_unknown_calendar_is_404_json(self, api, office):
        response = api.get("/calendars/999999")
        assert error(response) == (404, "not_found", None)
        assert response.json()["message"] == "Calendar 999999 not found."

    def test_unauthenticated_is_401(self, anonymous, office):
        assert error(anonymous.get("/calendars")) == (401, "unauthenticated", None)
        assert error(anonymous.get(f"/calendars/{office.pk}")) == (401, "unauthenticated", None)

    def test_query_count_does_not_grow_with_the_calendars(self, api):
        api.get("/me")  # the token's last_used_at is written once

        def render(n: int) -> int:
            BusinessCalendar.objects.all().delete()
            for i in range(n):
                calendar_create(name=f"Kalender {i:02d}", country="SE", closed_days=["2026-12-28"])
            with CaptureQueriesContext(connection) as queries:
                response = api.get("/calendars")
            assert response.status_code == 200
            assert len(response.json()) == n
            return len(queries)

        assert render(5) == render(50)


class TestCalendarUpdate:
    def test_partial_change_keeps_the_rest_and_moves_updated_at(self, admin_api, office):
        # given
        before = calendar_json(office)
        # when
        with clock.at(T0 + timedelta(hours=1)):
            response = admin_api.patch(f"/calendars/{office.pk}", {"closed_on_eves": False})
        # then
        assert response.status_code == 200, response.content
        expected = {**before, "closed_on_eves": False, "updated_at": "2026-06-15T09:00:00Z"}
        assert response.json() == expected
        assert calendar_json(office) == expected

    def test_every_field_can_be_changed(self, admin_api, office):
        with clock.at(T0 + timedelta(minutes=5)):
            response = admin_api.patch(
                f"/calendars/{office.pk}",
                {
                    "name": "Kontor Oslo",
                    "time_zone": "Europe/Oslo",
                    "country": "no",
                    "opening_hours": weekly([["09:00", "16:00"]]),
                    "closed_on_eves": False,
                    "closed_days": ["2026-12-29"],
                    "special_hours": {"2026-12-23": [["10:00", "14:00"]]},
                    "always_open": False,
                },
            )
        assert response.status_code == 200, response.content
        expected = {
            "id": office.pk,
            "name": "Kontor Oslo",
            "time_zone": "Europe/Oslo",
            "country": "NO",
            "always_open": False,
            "opening_hours": weekly([["09:00", "16:00"]]),
            "closed_on_eves": False,
            "closed_days": ["2026-12-29"],
            "special_hours": {"2026-12-23": [["10:00", "14:00"]]},
            "updated_at": "2026-06-15T08:05:00Z",
        }
        assert response.json() == expected
        assert calendar_json(office) == expected

    def test_empty_closed_days_and_special_hours_clear_them(self, admin_api, office):
        admin_api.patch(
            f"/calendars/{office.pk}",
            {"closed_days": ["2026-12-28"], "special_hours": {"2026-12-23": [["10:00", "14:00"]]}},
        )
        response = admin_api.patch(f"/calendars/{office.pk}", {"closed_days": [], "special_hours": {}})
        assert response.status_code == 200, response.content
        assert (response.json()["closed_days"], response.json()["special_hours"]) == ([], {})
        assert (calendar_row(office.pk)["closed_days"], calendar_row(office.pk)["special_hours"]) == ([], {})

    def test_a_change_never_moves_promises_already_made(self, admin_api, office, policy_case):
        # given
        due = dict(Promise.objects.filter(case=policy_case).values_list("kind", "due_at"))
        # when: the office closes an hour earlier and closes on the Thursday the resolution is due
        with clock.at(T0 + timedelta(minutes=1)):
            response = admin_api.patch(
                f"/calendars/{office.pk}",
                {"opening_hours": weekly([["08:00", "16:00"]]), "closed_days": ["2026-06-18"]},
            )
        assert response.status_code == 200, response.content
        # then
        assert (
            dict(Promise.objects.filter(case=policy_case).values_list("kind", "due_at"))
            == due
            == {
                "first_response": datetime(2026, 6, 15, 10, 0, tzinfo=UTC),
                "resolution": datetime(2026, 6, 18, 8, 0, tzinfo=UTC),
            }
        )

    def test_a_change_is_used_by_the_next_due_preview(self, admin_api, office):
        params = {"start": "2026-06-15T16:00:00+02:00", "minutes": 120}
        assert admin_api.get(f"/calendars/{office.pk}/due", params).json() == {"due_at": "2026-06-16T09:00:00+02:00"}
        admin_api.patch(f"/calendars/{office.pk}", {"opening_hours": weekly([["08:00", "18:00"]])})
        assert admin_api.get(f"/calendars/{office.pk}/due", params).json() == {"due_at": "2026-06-15T18:00:00+02:00"}

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"opening_hours": {**OFFICE_HOURS, "wed": [["08:00", "12:00"], ["09:00", "10:00"]]}}, "opening_hours"),
            ({"opening_hours": weekly([])}, "opening_hours"),
            ({"country": "XX"}, "country"),
            ({"time_zone": "Mars/Olympus"}, "time_zone"),
            ({"closed_days": ["2026-13-01"]}, "closed_days"),
            ({"name": "Dygnet runt"}, "name"),
            ({"name": "  "}, "name"),
            # valid alone, but the stored special hours fall on the new closed day
            ({"closed_days": ["2026-12-23"]}, "special_hours"),
            # may be left out, but not sent as null
            ({"special_hours": None}, "special_hours"),
            ({"time_zone": None}, "time_zone"),
            ({"always_open": None}, "always_open"),
        ],
    )
    def test_invalid_change_is_422_naming_the_field_and_changes_nothing(self, admin_api, office, always, change, field):
        # given: a calendar with special hours on 23 December
        admin_api.patch(f"/calendars/{office.pk}", {"special_hours": {"2026-12-23": [["10:00", "14:00"]]}})
        before = calendar_rows()
        # when: one valid field with one bad one
        response = admin_api.patch(f"/calendars/{office.pk}", {"closed_on_eves": False, **change})
        # then
        assert error(response) == (422, "validation_error", field)
        assert calendar_rows() == before

    def test_agent_is_403_and_changes_nothing(self, api, office):
        before = calendar_rows()
        response = api.patch(f"/calendars/{office.pk}", {"name": "Mitt kontor"})
        assert error(response) == (403, "permission_denied", None)
        assert calendar_rows() == before

    def test_unknown_calendar_is_404(self, admin_api, office):
        before = calendar_rows()
        response = admin_api.patch("/calendars/999999", {"name": "Nytt"})
        assert error(response) == (404, "not_found", None)
        assert calendar_rows() == before

    def test_unauthenticated_is_401_and_changes_nothing(self, anonymous, office):
        before = calendar_rows()
        assert error(anonymous.patch(f"/calendars/{office.pk}", {"name": "Nytt"})) == (401, "unauthenticated", None)
        assert calendar_rows() == before


class TestDuePreview:
    def test_midsummer_the_weekend_and_midsommardagen_are_closed(self, api, office):
        # Thursday 16:45 + 15 minutes; Midsummer Eve (closed_on_eves), Saturday (Midsommardagen), Sunday;
        # Monday 08:00 + 7 h 45 min
        response = api.get(f"/calendars/{office.pk}/due", {"start": "2026-06-18T16:45:00+02:00", "minutes": 480})
        assert response.status_code == 200, response.content
        assert response.json() == {"due_at": "2026-06-22T15:45:00+02:00"}
        assert ISO_WITH_OFFSET.fullmatch(response.json()["due_at"])

    def test_24_7_across_the_spring_change_is_real_time(self, api, always):
        # 24 real hours from Saturday noon (CET) are Sunday 13:00 (CEST)
        response = api.get(f"/calendars/{always.pk}/due", {"start": "2026-03-28T12:00:00+01:00", "minutes": 1440})
        assert response.status_code == 200, response.content
        assert response.json() == {"due_at": "2026-03-29T13:00:00+02:00"}
        assert ISO_WITH_OFFSET.fullmatch(response.json()["due_at"])

    def test_is_what_the_engine_computes_in_the_calendars_zone_whatever_the_starts_offset(self, api, office):
        # given: the same instant as the Midsummer example, in UTC
        start = datetime(2026, 6, 18, 14, 45, tzinfo=UTC)
        # when
        response = api.get(f"/calendars/{office.pk}/due", {"start": "2026-06-18T14:45:00Z", "minutes": 480})
        # then
        due_at = response.json()["due_at"]
        assert due_at == "2026-06-22T15:45:00+02:00"
        assert datetime.fromisoformat(due_at) == due_after(office, start, 480)

    def test_zero_minutes_is_the_start_even_when_closed(self, api, office):
        response = api.get(f"/calendars/{office.pk}/due", {"start": "2026-06-20T03:00:00Z", "minutes": 0})
        assert response.json() == {"due_at": "2026-06-20T05:00:00+02:00"}

    def test_every_agent_may_preview(self, outsider_api, office):
        response = outsider_api.get(f"/calendars/{office.pk}/due", {"start": "2026-06-15T08:00:00Z", "minutes": 60})
        assert response.json() == {"due_at": "2026-06-15T11:00:00+02:00"}

    @pytest.mark.parametrize(
        ("params", "field", "message"),
        [
            ({"minutes": 480}, "start", "start: Field required"),
            ({"start": "2026-06-18T16:45:00+02:00"}, "minutes", "minutes: Field required"),
            (
                {"start": "2026-06-18T16:45:00", "minutes": 480},
                "start",
                "start: Input should have a UTC offset, e.g. 2026-06-18T16:45:00+02:00",
            ),
            (
                {"start": "2026-06-18", "minutes": 480},
                "start",
                "start: Input should have a UTC offset, e.g. 2026-06-18T16:45:00+02:00",
            ),
            ({"start": "midsommar", "minutes": 480}, "start", None),
            (
                {"start": "2026-06-18T16:45:00+02:00", "minutes": -1},
                "minutes",
                "minutes: Input should be greater than or equal to 0",
            ),
            ({"start": "2026-06-18T16:45:00+02:00", "minutes": "åtta timmar"}, "minutes", None),
            (
                {"start": "2026-06-18T16:45:00+02:00", "minutes": MAX_MINUTES + 1},
                "minutes",
                "minutes: Input should be less than or equal to 527040",
            ),
            ({"start": "2026-06-18T16:45:00+02:00", "minutes": 10**13}, "minutes", None),
            (
                {"start": "9999-12-31T10:00:00+01:00", "minutes": 480},
                "start",
                "The due time would fall outside the years 1 to 9999.",
            ),
        ],
    )
    def test_bad_parameter_is_422_naming_it(self, api, office, params, field, message):
        response = api.get(f"/calendars/{office.pk}/due", params)
        assert error(response) == (422, "validation_error", field)
        if message is not None:
            assert response.json()["message"] == message

    def test_a_year_of_minutes_is_the_most(self, api, always):
        response = api.get(
            f"/calendars/{always.pk}/due", {"start": "2026-01-01T00:00:00+01:00", "minutes": MAX_MINUTES}
        )
        assert response.json() == {"due_at": "2027-01-02T00:00:00+01:00"}

    def test_unknown_calendar_is_404(self, api, office):
        response = api.get("/calendars/999999/due", {"start": "2026-06-18T16:45:00+02:00", "minutes": 480})
        assert error(response) == (404, "not_found", None)
        assert response.json()["message"] == "Calendar 999999 not found."

    def test_unauthenticated_is_401(self, anonymous, office):
        response = anonymous.get(f"/calendars/{office.pk}/due", {"start": "2026-06-18T16:45:00+02:00", "minutes": 1})
        assert error(response) == (401, "unauthenticated", None)


# --- SLA policies -----------------------------------------------------------------------------------------------------


def policy_json(policy: SlaPolicy) -> dict[str, Any]:
    row = SlaPolicy.objects.get(pk=policy.pk)
    return {
        "id": row.pk,
        "name": row.name,
        "order": row.order,
        "is_active": row.is_active,
        "channel": row.channel,
        "priority": row.priority,
        "tier": row.tier,
        "case_type": row.case_type_id,
        "team": row.team_id,
        "first_response_minutes": row.first_response_minutes,
        "first_response_calendar": row.first_response_calendar_id,
        "next_update_minutes": row.next_update_minutes,
        "next_update_calendar": row.next_update_calendar_id,
        "resolution_minutes": row.resolution_minutes,
        "resolution_calendar": row.resolution_calendar_id,
        "pause_statuses": row.pause_statuses,
        "wall_clock": row.wall_clock,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


@pytest.fixture
def policy(office) -> SlaPolicy:  # type: ignore[no-untyped-def]
    with clock.at(T0):
        return policy_create(
            name="Standard",
            first_response_minutes=120,
            first_response_calendar=office,
            next_update_minutes=480,
            next_update_calendar=office,
            resolution_minutes=3 * 540,
            resolution_calendar=office,
        )


MINIMAL_POLICY = {"name": "E-post", "first_response_minutes": 60}


class TestPolicyCreate:
    def test_admin_creates_a_policy_with_every_condition_and_a_calendar_per_target(
        self, admin_api, office, always, team
    ):
        # given
        case_type = CaseTypeFactory(name="Reklamation")
        # when
        with clock.at(T0):
            response = admin_api.post(
                "/sla-policies",
                {
                    "name": "Guld e-post",
                    "order": 10,
                    "channel": "email",
                    "priority": 3,
                    "tier": "A",
                    "case_type": case_type.pk,
                    "team": team.pk,
                    "first_response_minutes": 120,
                    "first_response_calendar": office.pk,
                    "next_update_minutes": 480,
                    "next_update_calendar": office.pk,
                    "resolution_minutes": 2880,
                    "resolution_calendar": always.pk,
                    "pause_statuses": ["waiting_on_customer", "waiting_on_third_party"],
                },
            )
        # then
        assert response.status_code == 201, response.content
        policy = SlaPolicy.objects.get()
        expected = {
            "id": policy.pk,
            "name": "Guld e-post",
            "order": 10,
            "is_active": True,
            "channel": "email",
            "priority": 3,
            "tier": "A",
            "case_type": case_type.pk,
            "team": team.pk,
            "first_response_minutes": 120,
            "first_response_calendar": office.pk,
            "next_update_minutes": 480,
            "next_update_calendar": office.pk,
            "resolution_minutes": 2880,
            "resolution_calendar": always.pk,
            "pause_statuses": ["waiting_on_customer", "waiting_on_third_party"],
            "wall_clock": False,
            "created_at": "2026-06-15T08:00:00Z",
            "updated_at": "2026-06-15T08:00:00Z",
        }
        assert response.json() == expected
        assert policy_json(policy) == expected

    def test_defaults_for_what_is_left_out(self, admin_api):
        response = admin_api.post("/sla-policies", MINIMAL_POLICY)
        assert response.status_code == 201, response.content
        body = response.json()
        assert {k: v for k, v in body.items() if k not in ("id", "created_at", "updated_at")} == {
            "name": "E-post",
            "order": 100,
            "is_active": True,
            "channel": "",
            "priority": None,
            "tier": "",
            "case_type": None,
            "team": None,
            "first_response_minutes": 60,
            "first_response_calendar": None,
            "next_update_minutes": None,
            "next_update_calendar": None,
            "resolution_minutes": None,
            "resolution_calendar": None,
            "pause_statuses": ["waiting_on_customer"],
            "wall_clock": False,
        }

    @pytest.mark.parametrize(
        ("change", "field", "message"),
        [
            ({"first_response_minutes": 0}, "first_response_minutes", None),
            ({"first_response_minutes": -30}, "first_response_minutes", None),
            (
                {"next_update_minutes": 0},
                "next_update_minutes",
                "next_update_minutes: Input should be greater than or equal to 1",
            ),
            (
                {"next_update_minutes": -1},
                "next_update_minutes",
                "next_update_minutes: Input should be greater than or equal to 1",
            ),
            ({"resolution_minutes": 0}, "resolution_minutes", None),
            ({"resolution_minutes": -480}, "resolution_minutes", None),
            ({"resolution_minutes": MAX_MINUTES + 1}, "resolution_minutes", None),
            ({"first_response_minutes": 10**12}, "first_response_minutes", None),
            ({"first_response_minutes": 1.5}, "first_response_minutes", None),
            ({"first_response_minutes": None}, "first_response_minutes", "A policy needs at least one target."),
            (
                {"channel": "fax"},
                "channel",
                "channel: Input should be '', 'email', 'web', 'chat', 'sms', 'phone', 'api' or 'webhook'",
            ),
            ({"tier": "D"}, "tier", "tier: Input should be '', 'A', 'B' or 'C'"),
            ({"priority": 9}, "priority", "priority: Input should be 1, 2, 3 or 4"),
            ({"priority": 0}, "priority", None),
            (
                {"pause_statuses": ["solved"]},
                "pause_statuses",
                "pause_statuses: Input should be 'new', 'open', 'waiting_on_customer' or 'waiting_on_third_party'",
            ),
            ({"pause_statuses": "waiting_on_customer"}, "pause_statuses", None),
            ({"first_response_calendar": 999999}, "first_response_calendar", "There is no calendar 999999."),
            ({"next_update_minutes": 60, "next_update_calendar": 999999}, "next_update_calendar", None),
            ({"resolution_minutes": 60, "resolution_calendar": 999999}, "resolution_calendar", None),
            ({"team": 999999}, "team", "There is no team 999999."),
            ({"case_type": 999999}, "case_type", "There is no case type 999999."),
            ({"name": "  "}, "name", "A policy needs a name."),
            ({"name": "x" * 101}, "name", None),
            ({"order": -1}, "order", None),
            ({"order": 2**40}, "order", None),
        ],
    )
    def test_invalid_policy_is_422_naming_the_field_and_creates_nothing(
        self, admin_api, policy, change, field, message
    ):
        # given
        before = policy_rows()
        # when
        response = admin_api.post("/sla-policies", {**MINIMAL_POLICY, **change})
        # then
        assert error(response) == (422, "validation_error", field)
        if message is not None:
            assert response.json()["message"] == message
        assert policy_rows() == before

    def test_no_target_at_all_is_422_naming_the_first_target(self, admin_api):
        response = admin_api.post("/sla-policies", {"name": "Tom", "channel": "email"})
        assert error(response) == (422, "validation_error", "first_response_minutes")
        assert response.json()["message"] == "A policy needs at least one target."
        assert SlaPolicy.objects.count() == 0

    def test_an_inactive_case_type_could_never_match(self, admin_api):
        retired = CaseTypeFactory(name="Gammal", is_active=False)
        response = admin_api.post("/sla-policies", {**MINIMAL_POLICY, "case_type": retired.pk})
        assert error(response) == (422, "validation_error", "case_type")
        assert response.json()["message"] == "The case type Gammal is not active; this policy could never match."
        assert SlaPolicy.objects.count() == 0

    def test_duplicate_name_is_422_whatever_the_case(self, admin_api, policy):
        before = policy_rows()
        response = admin_api.post("/sla-policies", {**MINIMAL_POLICY, "name": "STANDARD"})
        assert error(response) == (422, "validation_error", "name")
        assert response.json()["message"] == "A policy named 'STANDARD' already exists."
        assert policy_rows() == before

    def test_agent_is_403_and_creates_nothing(self, api, office):
        response = api.post("/sla-policies", {**MINIMAL_POLICY, "first_response_calendar": office.pk})
        assert error(response) == (403, "permission_denied", None)
        assert SlaPolicy.objects.count() == 0

    def test_unauthenticated_is_401_and_creates_nothing(self, anonymous):
        assert error(anonymous.post("/sla-policies", MINIMAL_POLICY)) == (401, "unauthenticated", None)
        assert SlaPolicy.objects.count() == 0


class TestPolicyRead:
    def test_list_is_by_order_then_id_for_every_agent(self, api, policy, office):
        # given
        first = policy_create(name="Brådskande", order=1, priority=4, first_response_minutes=30)
        last = policy_create(name="Reserv", order=100, first_response_minutes=600)
        # when
        response = api.get("/sla-policies")
        # then
        assert response.status_code == 200
        assert response.json() == [policy_json(first), policy_json(policy), policy_json(last)]
        assert [p["name"] for p in response.json()] == ["Brådskande", "Standard", "Reserv"]

    def test_get_for_every_agent(self, outsider_api, policy, office):
        response = outsider_api.get(f"/sla-policies/{policy.pk}")
        assert response.status_code == 200
        assert response.json() == {
            "id": policy.pk,
            "name": "Standard",
            "order": 100,
            "is_active": True,
            "channel": "",
            "priority": None,
            "tier": "",
            "case_type": None,
            "team": None,
            "first_response_minutes": 120,
            "first_response_calendar": office.pk,
            "next_update_minutes": 480,
            "next_update_calendar": office.pk,
            "resolution_minutes": 1620,
            "resolution_calendar": office.pk,
            "pause_statuses": ["waiting_on_customer"],
            "wall_clock": False,
            "created_at": "2026-06-15T08:00:00Z",
            "updated_at": "2026-06-15T08:00:00Z",
        }

    def test_unknown_policy_is_404_json(self, api, policy):
        response = api.get("/sla-policies/999999")
        assert error(response) == (404, "not_found", None)
        assert response.json()["message"] == "SLA policy 999999 not found."

    def test_unauthenticated_is_401(self, anonymous, policy):
        assert error(anonymous.get("/sla-policies")) == (401, "unauthenticated", None)
        assert error(anonymous.get(f"/sla-policies/{policy.pk}")) == (401, "unauthenticated", None)

    def test_query_count_does_not_grow_with_the_policies(self, api, office, always, team):
        api.get("/me")  # the token's last_used_at is written once
        case_type = CaseTypeFactory(name="Reklamation")

        def render(n: int) -> int:
            SlaPolicy.objects.all().delete()
            for i in range(n):
                policy_create(
                    name=f"Policy {i:02d}",
                    order=i,
                    team=team,
                    case_type=case_type,
                    first_response_minutes=60,
                    first_response_calendar=office,
                    resolution_minutes=600,
                    resolution_calendar=always,
                )
            with CaptureQueriesContext(connection) as queries:
                response = api.get("/sla-policies")
            assert response.status_code == 200
            assert len(response.json()) == n
            return len(queries)

        assert render(5) == render(50)


class TestPolicyUpdate:
    def test_partial_change_keeps_the_rest(self, admin_api, policy):
        # given
        before = policy_json(policy)
        # when
        with clock.at(T0 + timedelta(hours=2)):
            response = admin_api.patch(f"/sla-policies/{policy.pk}", {"first_response_minutes": 60, "tier": "A"})
        # then
        assert response.status_code == 200, response.content
        expected = {**before, "first_response_minutes": 60, "tier": "A", "updated_at": "2026-06-15T10:00:00Z"}
        assert response.json() == expected
        assert policy_json(policy) == expected

    def test_conditions_targets_and_calendars_can_be_set_and_cleared(self, admin_api, policy, always, team):
        response = admin_api.patch(
            f"/sla-policies/{policy.pk}",
            {
                "team": team.pk,
                "priority": 4,
                "next_update_minutes": None,
                "next_update_calendar": None,
                "resolution_calendar": always.pk,
                "is_active": False,
                "order": 5,
                "pause_statuses": [],
            },
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert (
            body["team"],
            body["priority"],
            body["next_update_minutes"],
            body["next_update_calendar"],
            body["resolution_calendar"],
            body["is_active"],
            body["order"],
            body["pause_statuses"],
        ) == (team.pk, 4, None, None, always.pk, False, 5, [])
        assert policy_json(policy) == body

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"first_response_minutes": 0}, "first_response_minutes"),
            ({"next_update_minutes": -5}, "next_update_minutes"),
            ({"resolution_minutes": MAX_MINUTES + 1}, "resolution_minutes"),
            (
                {"first_response_minutes": None, "next_update_minutes": None, "resolution_minutes": None},
                "first_response_minutes",
            ),
            ({"channel": "fax"}, "channel"),
            ({"tier": "D"}, "tier"),
            ({"priority": 9}, "priority"),
            ({"pause_statuses": ["solved"]}, "pause_statuses"),
            ({"first_response_calendar": 999999}, "first_response_calendar"),
            ({"resolution_calendar": 999999}, "resolution_calendar"),
            ({"team": 999999}, "team"),
            ({"case_type": 999999}, "case_type"),
            ({"name": "Reserv"}, "name"),
            ({"order": 2**40}, "order"),
            # may be left out, but not sent as null
            ({"name": None}, "name"),
            ({"is_active": None}, "is_active"),
            ({"order": None}, "order"),
            ({"channel": None}, "channel"),
            ({"tier": None}, "tier"),
            ({"pause_statuses": None}, "pause_statuses"),
        ],
    )
    def test_invalid_change_is_422_naming_the_field_and_changes_nothing(self, admin_api, policy, change, field):
        # given
        policy_create(name="Reserv", first_response_minutes=600)
        before = policy_rows()
        # when: a valid change with a bad one
        response = admin_api.patch(f"/sla-policies/{policy.pk}", {"order": 7, **change})
        # then
        assert error(response) == (422, "validation_error", field)
        assert policy_rows() == before

    def test_agent_is_403_and_changes_nothing(self, api, policy):
        before = policy_rows()
        response = api.patch(f"/sla-policies/{policy.pk}", {"first_response_minutes": 5})
        assert error(response) == (403, "permission_denied", None)
        assert policy_rows() == before

    def test_unknown_policy_is_404(self, admin_api, policy):
        before = policy_rows()
        response = admin_api.patch("/sla-policies/999999", {"first_response_minutes": 5})
        assert error(response) == (404, "not_found", None)
        assert policy_rows() == before

    def test_unauthenticated_is_401_and_changes_nothing(self, anonymous, policy):
        before = policy_rows()
        response = anonymous.patch(f"/sla-policies/{policy.pk}", {"first_response_minutes": 5})
        assert error(response) == (401, "unauthenticated", None)
        assert policy_rows() == before

    def test_a_change_never_moves_promises_already_made_only_new_ones(self, admin_api, policy, customer, team):
        # given: a case opened on Monday at 10:00 under the two-hour first-response target
        with clock.at(T0):
            made_before = case_services.case_create(
                customer=customer, subject="Fel belopp", body="Fakturan är fel.", channel="email", team=team
            )
        promise = Promise.objects.get(case=made_before, kind=PromiseKind.FIRST_RESPONSE)
        assert promise.due_at == datetime(2026, 6, 15, 10, 0, tzinfo=UTC)  # 12:00 in Stockholm
        # when: the target becomes 30 minutes
        with clock.at(T0 + timedelta(minutes=1)):
            response = admin_api.patch(f"/sla-policies/{policy.pk}", {"first_response_minutes": 30})
        assert response.status_code == 200, response.content
        # then: the customer keeps the time they were given ...
        promise.refresh_from_db()
        assert (promise.due_at, promise.state, promise.policy_id) == (
            datetime(2026, 6, 15, 10, 0, tzinfo=UTC),
            "pending",
            policy.pk,
        )
        # ... and a case opened afterwards gets the new target
        with clock.at(T0):
            made_after = case_services.case_create(
                customer=customer, subject="Ny fråga", body="Hej igen.", channel="email", team=team
            )
        assert Promise.objects.get(case=made_after, kind=PromiseKind.FIRST_RESPONSE).due_at == datetime(
            2026, 6, 15, 8, 30, tzinfo=UTC
        )


def test_policy_service_refuses_a_target_no_due_time_can_hold(db):
    with pytest.raises(ValidationFailed) as refused:
        policy_create(name="Evighet", first_response_minutes=10**12)
    assert refused.value.field == "first_response_minutes"


# --- a case's promises ------------------------------------------------------------------------------------------------


@pytest.fixture
def policy_case(policy, customer, team, agent) -> Case:  # type: ignore[no-untyped-def]
    """Opened on Monday 15 June 2026 at 10:00 in Stockholm, under the Standard policy, assigned to Alma."""
    with clock.at(T0):
        return case_services.case_create(
            customer=customer,
            subject="Fel belopp på fakturan",
            body="Hej! Fakturan är fel.",
            channel="email",
            team=team,
            assignee=agent,
            sender="karin@example.se",
        )


def promise_counts() -> dict[str, int]:
    return {"promises": Promise.objects.count(), "events": CaseEvent.objects.count()}


class TestCasePromisesList:
    def test_lists_the_policys_promises_with_kind_state_due_at_owner_and_customer_text(
        self, api, agent, team, policy_case
    ):
        # when
        response = api.get(f"/cases/{policy_case.reference}/promises")
        # then
        assert response.status_code == 200, response.content
        first, resolution = (
            Promise.objects.get(case=policy_case, kind=kind)
            for kind in (PromiseKind.FIRST_RESPONSE, PromiseKind.RESOLUTION)
        )
        common = {
            "state": "pending",
            "owner": {"id": agent.pk, "name": "Alma Agent", "email": "agent@example.com"},
            "owner_team": {"id": team.pk, "name": "Support"},
            "customer_text": "",
            "origin": "policy",
            "paused": False,
            "created_at": "2026-06-15T08:00:00Z",
            "kept_at": None,
            "broken_at": None,
            "cancelled_at": None,
            "cancel_reason": "",
            "escalation_level": 0,
        }
        assert response.json() == [
            # two business hours: 12:00 in Stockholm
            {"id": first.pk, "kind": "first_response", "due_at": "2026-06-15T10:00:00Z", **common},
            # three business days of nine hours: Thursday 10:00 in Stockholm
            {"id": resolution.pk, "kind": "resolution", "due_at": "2026-06-18T08:00:00Z", **common},
        ]
        assert all(ISO_WITH_OFFSET.fullmatch(p["due_at"]) for p in response.json())

    def test_pending_first_then_the_rest(self, api, policy_case):
        # given: a reply keeps the first-response promise
        with clock.at(T0 + timedelta(minutes=30)):
            case_services.case_reply(case=policy_case, author=api.agent, body="Vi tittar på det.")
        # when
        body = api.get(f"/cases/{policy_case.reference}/promises").json()
        # then
        assert [(p["kind"], p["state"], p["kept_at"]) for p in body] == [
            ("next_update", "pending", None),
            ("resolution", "pending", None),
            ("first_response", "kept", "2026-06-15T08:30:00Z"),
        ]

    def test_a_case_without_a_policy_has_none(self, api, case):
        response = api.get(f"/cases/{case.reference}/promises")
        assert (response.status_code, response.json()) == (200, [])

    def test_outsider_gets_404(self, outsider_api, policy_case):
        response = outsider_api.get(f"/cases/{policy_case.reference}/promises")
        assert error(response) == (404, "not_found", None)

    def test_unknown_case_is_404(self, api, policy_case):
        assert error(api.get("/cases/LF-2026-999999/promises")) == (404, "not_found", None)

    def test_unauthenticated_is_401(self, anonymous, policy_case):
        response = anonymous.get(f"/cases/{policy_case.reference}/promises")
        assert error(response) == (401, "unauthenticated", None)

    def test_query_count_does_not_grow_with_the_promises(self, api, agent, team, customer):
        api.get("/me")  # the token's last_used_at is written once

        def render(n: int) -> int:
            with clock.at(T0):
                case = case_services.case_create(
                    customer=customer, subject=f"{n} löften", body="Hej", channel="email", team=team
                )
                for i in range(n):
                    author = AgentFactory(teams=[team, TeamFactory(name=f"Team {n}-{i}")])
                    case_services.case_promise_make(
                        case=case, author=author, due_at=T0 + timedelta(hours=i + 1), customer_text=f"Löfte {i}"
                    )
            with CaptureQueriesContext(connection) as queries:
                response = api.get(f"/cases/{case.reference}/promises")
            assert response.status_code == 200
            assert len(response.json()) == n
            return len(queries)

        assert render(5) == render(50)


class TestCasePromiseMake:
    def test_agent_makes_a_follow_up_promise(self, api, agent, team, policy_case):
        # given
        before = promise_counts()
        # when: on Monday, "I'll get back to you on Wednesday afternoon"
        with clock.at(T0):
            response = api.post(
                f"/cases/{policy_case.reference}/promises",
                {"due_at": "2026-06-17T14:00:00+02:00", "customer_text": "  Jag återkommer på onsdag.  "},
            )
        # then
        assert response.status_code == 201, response.content
        promise = Promise.objects.get(case=policy_case, kind=PromiseKind.FOLLOW_UP)
        assert response.json() == {
            "id": promise.pk,
            "kind": "follow_up",
            "state": "pending",
            "due_at": "2026-06-17T14:00:00+02:00",
            "owner": {"id": agent.pk, "name": "Alma Agent", "email": "agent@example.com"},
            "owner_team": {"id": team.pk, "name": "Support"},
            "customer_text": "Jag återkommer på onsdag.",
            "origin": "agent",
            "paused": False,
            "created_at": "2026-06-15T08:00:00Z",
            "kept_at": None,
            "broken_at": None,
            "cancelled_at": None,
            "cancel_reason": "",
            "escalation_level": 0,
        }
        assert (promise.due_at, promise.owner_agent_id, promise.created_by_id, promise.customer_text) == (
            datetime(2026, 6, 17, 12, 0, tzinfo=UTC),
            agent.pk,
            agent.pk,
            "Jag återkommer på onsdag.",
        )
        assert promise.due_at > T0
        assert promise_counts() == {"promises": before["promises"] + 1, "events": before["events"] + 1}
        event = CaseEvent.objects.filter(case=policy_case).latest("id")
        assert (event.kind, event.actor_id, event.data["promise"], event.data["kind"]) == (
            "promise_made",
            agent.pk,
            promise.pk,
            "follow_up",
        )
        # and it is listed with the policy's promises, soonest due first
        listed = api.get(f"/cases/{policy_case.reference}/promises").json()
        assert [(p["kind"], p["due_at"], p["customer_text"]) for p in listed] == [
            ("first_response", "2026-06-15T10:00:00Z", ""),
            ("follow_up", "2026-06-17T12:00:00Z", "Jag återkommer på onsdag."),
            ("resolution", "2026-06-18T08:00:00Z", ""),
        ]

    def test_another_kind_can_be_named(self, api, policy_case):
        with clock.at(T0):
            response = api.post(
                f"/cases/{policy_case.reference}/promises",
                {"due_at": "2026-06-16T09:00:00+02:00", "kind": "callback", "customer_text": "Vi ringer dig."},
            )
        assert response.status_code == 201, response.content
        assert (response.json()["kind"], response.json()["origin"]) == ("callback", "agent")

    @pytest.mark.parametrize(
        ("body", "field", "message"),
        [
            ({"due_at": "2026-06-15T09:59:00+02:00"}, "due_at", "A promise must be due in the future."),
            ({"due_at": "2026-06-15T08:00:00Z"}, "due_at", "A promise must be due in the future."),
            (
                {"due_at": "2026-06-17T14:00:00"},
                "due_at",
                "due_at: Input should have a UTC offset, e.g. 2026-06-18T16:45:00+02:00",
            ),
            ({"due_at": "onsdag"}, "due_at", None),
            ({"customer_text": "Snart"}, "due_at", "due_at: Field required"),
            ({"due_at": "9999-12-31T23:00:00-05:00"}, "due_at", None),
            (
                {"due_at": "2026-06-17T14:00:00+02:00", "kind": "promise"},
                "kind",
                "kind: Input should be 'first_response', 'next_update', 'resolution', 'callback', 'follow_up', "
                "'temperature_check' or 'incident_update'",
            ),
            ({"due_at": "2026-06-17T14:00:00+02:00", "customer_text": "x" * 1001}, "customer_text", None),
        ],
    )
    def test_bad_promise_is_422_naming_the_field_and_makes_nothing(self, api, policy_case, body, field, message):
        # given
        before = promise_counts()
        # when
        with clock.at(T0):
            response = api.post(f"/cases/{policy_case.reference}/promises", body)
        # then
        assert error(response) == (422, "validation_error", field)
        if message is not None:
            assert response.json()["message"] == message
        assert promise_counts() == before

    def test_closed_case_is_422_and_makes_nothing(self, api, policy_case):
        # given
        with clock.at(T0):
            case_services.case_update(case=policy_case, actor=api.agent, status=Status.CLOSED)
        before = promise_counts()
        # when
        with clock.at(T0 + timedelta(minutes=1)):
            response = api.post(f"/cases/{policy_case.reference}/promises", {"due_at": "2026-06-17T14:00:00+02:00"})
        # then
        assert error(response) == (422, "validation_error", "due_at")
        assert response.json()["message"] == "The case is closed; make the promise on its follow-up."
        assert promise_counts() == before

    def test_outsider_gets_404_and_makes_nothing(self, outsider_api, policy_case):
        before = promise_counts()
        with clock.at(T0):
            response = outsider_api.post(
                f"/cases/{policy_case.reference}/promises", {"due_at": "2026-06-17T14:00:00+02:00"}
            )
        assert error(response) == (404, "not_found", None)
        assert promise_counts() == before

    def test_unknown_case_is_404(self, api, policy_case):
        before = promise_counts()
        response = api.post("/cases/LF-2026-999999/promises", {"due_at": "2030-01-01T10:00:00+01:00"})
        assert error(response) == (404, "not_found", None)
        assert promise_counts() == before

    def test_unauthenticated_is_401_and_makes_nothing(self, anonymous, policy_case):
        before = promise_counts()
        response = anonymous.post(f"/cases/{policy_case.reference}/promises", {"due_at": "2030-01-01T10:00:00+01:00"})
        assert error(response) == (401, "unauthenticated", None)
        assert promise_counts() == before


NOT_OBJECTS = ["[null, null]", "null", "5", '"x"', "[]", "true"]


def send_raw(api: Api, method: str, path: str, raw: str) -> Any:
    """A request whose body is exactly `raw` (JSON text)."""
    return getattr(api.client, method)(f"/api/v1{path}", raw, content_type="application/json", headers=api.headers)


class TestInputBounds:
    """What the schema states is enforced: out of range is a 422 naming the field, never a 500 or a wrong answer."""

    @pytest.mark.parametrize("raw", NOT_OBJECTS)
    def test_calendar_patch_whose_body_is_not_an_object_is_422_and_changes_nothing(self, admin_api, office, raw):
        before = calendar_rows()
        response = send_raw(admin_api, "patch", f"/calendars/{office.pk}", raw)
        assert error(response) == (422, "validation_error", "body")
        assert calendar_rows() == before

    @pytest.mark.parametrize("raw", NOT_OBJECTS)
    def test_policy_patch_or_post_whose_body_is_not_an_object_is_422_and_changes_nothing(self, admin_api, policy, raw):
        before = policy_rows()
        assert error(send_raw(admin_api, "patch", f"/sla-policies/{policy.pk}", raw)) == (
            422,
            "validation_error",
            "body",
        )
        assert error(send_raw(admin_api, "post", "/sla-policies", raw)) == (422, "validation_error", "body")
        assert policy_rows() == before

    def test_an_empty_patch_answers_the_calendar_and_the_policy_unchanged(self, admin_api, office, policy):
        calendars_before, policies_before = calendar_rows(), policy_rows()
        calendar = admin_api.patch(f"/calendars/{office.pk}", {})
        assert (calendar.status_code, calendar.json()["name"]) == (200, "Kontor")
        policy_response = admin_api.patch(f"/sla-policies/{policy.pk}", {})
        assert (policy_response.status_code, policy_response.json()["id"]) == (200, policy.pk)
        assert (calendar_rows(), policy_rows()) == (calendars_before, policies_before)

    @pytest.mark.parametrize(
        ("path", "field"),
        [
            ("/calendars/0", "calendar_id"),
            ("/calendars/" + "9" * 20, "calendar_id"),
            ("/sla-policies/-5", "policy_id"),
            ("/sla-policies/" + str(2**63), "policy_id"),
        ],
    )
    def test_an_id_outside_1_to_the_bigint_is_422_naming_it(self, api, path, field):
        assert error(api.get(path)) == (422, "validation_error", field)

    @pytest.mark.parametrize(
        ("start", "minutes"),
        [
            ("1850-01-01T12:00:00+01:00", 60),  # was 200 with "+00:53:28", Stockholm's local mean time
            ("1899-12-31T22:59:59+00:00", 0),
            ("0001-01-01T00:00:00+00:00", 0),
            ("9999-12-31T23:30:00-01:00", 0),  # past datetime's range in UTC
        ],
    )
    def test_a_preview_start_outside_1900_to_9999_is_422_naming_start(self, api, office, start, minutes):
        response = api.get(f"/calendars/{office.pk}/due", {"start": start, "minutes": minutes})
        assert error(response) == (422, "validation_error", "start")

    def test_a_preview_due_past_9999_is_422_naming_start(self, api, always):
        response = api.get(f"/calendars/{always.pk}/due", {"start": "9999-12-31T12:00:00+00:00", "minutes": 24 * 60})
        assert error(response) == (422, "validation_error", "start")

    def test_a_preview_in_a_zone_whose_offset_was_not_whole_minutes_answers_in_utc(self, admin_api, api):
        # Monrovia kept local mean time, -00:44:30, until 1972: RFC 3339 cannot write that offset
        calendar = admin_api.post(
            "/calendars", {"name": "Monrovia", "time_zone": "Africa/Monrovia", "always_open": True}
        ).json()
        response = api.get(f"/calendars/{calendar['id']}/due", {"start": "1950-06-01T12:00:00+00:00", "minutes": 90})
        assert response.json() == {"due_at": "1950-06-01T13:30:00Z"}
        assert ISO_WITH_OFFSET.fullmatch(response.json()["due_at"])

    @pytest.mark.parametrize(
        ("path", "params", "field"),
        [
            ("/promises/kept-rate", {"from": "1850-01-01"}, "from"),
            ("/promises/kept-rate", {"to": "0001-01-01"}, "to"),
            ("/promises/kept-rate", {"by": "customer"}, "by"),
            ("/promises/eta-held", {"from": "1899-12-31"}, "from"),
            ("/promises/eta-held", {"team": "9" * 20}, "team"),
        ],
    )
    def test_stats_parameter_out_of_range_is_422_naming_it(self, api, path, params, field):
        assert error(api.get(path, params)) == (422, "validation_error", field)

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"team": 2**63}, "team"),
            ({"case_type": 0}, "case_type"),
            ({"first_response_calendar": -1}, "first_response_calendar"),
            ({"name": "Ny\x00"}, "name"),
        ],
    )
    def test_policy_reference_out_of_range_is_422_and_creates_nothing(self, admin_api, policy, change, field):
        before = policy_rows()
        assert error(admin_api.post("/sla-policies", {**MINIMAL_POLICY, **change})) == (
            422,
            "validation_error",
            field,
        )
        assert policy_rows() == before
