"""A team's business hours (TeamCalendar), and the rule they serve: a time told to a customer falls in the owning
team's hours unless the SLA policy says wall-clock on purpose; internal targets keep the policy's own time.

Dates: Saturday 21 November 2026 is a weekend day; the team works Monday to Friday 08:00-17:00 in Stockholm
(UTC+1 in November)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib import admin as django_admin
from django.urls import reverse

from lofte.accounts.models import Role
from lofte.accounts.tests.api_client import Api
from lofte.accounts.tests.factories import AgentFactory
from lofte.callbacks.models import CallbackCapacity
from lofte.cases import services as case_services
from lofte.cases.models import Status
from lofte.cases.tests.factories import make_case
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.promises import calendars
from lofte.promises.calendars import calendar_create, team_calendar_set
from lofte.promises.models import BusinessCalendar, Promise, PromiseKind, PromiseState, SlaPolicy, TeamCalendar
from lofte.promises.policies import policy_create
from lofte.promises.selectors import team_calendar, team_hours
from lofte.promises.services import told_time

pytestmark = pytest.mark.django_db

SATURDAY_10 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm
MONDAY_8 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday's opening, 08:00 in Stockholm


@pytest.fixture(autouse=True)
def _fresh_schedule_cache():  # type: ignore[no-untyped-def]
    calendars.schedule_cache_clear()
    yield
    calendars.schedule_cache_clear()


@pytest.fixture
def weekdays(db) -> BusinessCalendar:  # type: ignore[no-untyped-def]
    return calendar_create(name="Vardagar", time_zone="Europe/Stockholm", country="SE")


@pytest.fixture
def always(db) -> BusinessCalendar:  # type: ignore[no-untyped-def]
    return calendar_create(name="Dygnet runt", time_zone="Europe/Stockholm", always_open=True)


# --- the model, its selector and its service -----------------------------------------------------------------------


def test_a_team_gets_replaces_and_clears_its_business_hours(team, weekdays, always):
    assert team_calendar(team_id=team.pk) is None
    link = team_calendar_set(team=team, calendar=weekdays)
    assert link is not None
    assert (link.team_id, link.calendar_id) == (team.pk, weekdays.pk)
    assert team_calendar(team_id=team.pk) == weekdays
    assert team.business_calendar_link == link

    team_calendar_set(team=team, calendar=always)
    assert list(TeamCalendar.objects.values_list("team_id", "calendar_id")) == [(team.pk, always.pk)]
    assert team_calendar(team_id=team.pk) == always

    assert team_calendar_set(team=team, calendar=None) is None
    assert not TeamCalendar.objects.exists()
    assert team_calendar(team_id=team.pk) is None
    assert team_calendar(team_id=None) is None


def test_an_unsaved_calendar_is_refused_and_nothing_changes(team, weekdays):
    team_calendar_set(team=team, calendar=weekdays)
    with pytest.raises(ValidationFailed) as exc:
        team_calendar_set(team=team, calendar=BusinessCalendar(name="Not saved"))
    assert exc.value.field == "calendar"
    assert list(TeamCalendar.objects.values_list("team_id", "calendar_id")) == [(team.pk, weekdays.pk)]


def test_team_hours_are_its_calendar_else_its_callback_calendar(team, other_team, weekdays, always):
    assert team_hours(team_id=team.pk) is None
    capacity = CallbackCapacity.objects.create(team=team, calendar=weekdays)
    assert team_hours(team_id=team.pk) == weekdays  # the calendar its callbacks are made in
    capacity.is_active = False
    capacity.save()
    assert team_hours(team_id=team.pk) is None  # a team that offers no callbacks has no such hours
    team_calendar_set(team=team, calendar=always)
    assert team_hours(team_id=team.pk) == always  # its own business hours win
    assert team_hours(team_id=other_team.pk) is None
    assert team_hours(team_id=None) is None


def test_the_business_hours_are_in_the_admin(client, team, weekdays):
    assert django_admin.site.is_registered(TeamCalendar)
    admin = AgentFactory(role=Role.ADMIN)
    client.force_login(admin)
    response = client.post(
        reverse("admin:promises_teamcalendar_add"), {"team": team.pk, "calendar": weekdays.pk}, follow=True
    )
    assert response.status_code == 200
    assert team_calendar(team_id=team.pk) == weekdays
    page = client.get(reverse("admin:promises_teamcalendar_changelist")).content.decode()
    assert "Support" in page and "Vardagar" in page


# --- told_time ------------------------------------------------------------------------------------------------------


def test_a_wall_clock_time_told_moves_to_the_teams_next_opening(team, weekdays, always):
    team_calendar_set(team=team, calendar=weekdays)
    sunday_4 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    policy = SlaPolicy(name="Reklamation", wall_clock=False)
    # computed on a 24/7 calendar or on none: moved into the team's hours
    assert told_time(due_at=sunday_4, calendar=always, policy=policy, team_id=team.pk) == MONDAY_8
    assert told_time(due_at=sunday_4, calendar=None, policy=None, team_id=team.pk) == MONDAY_8
    # a time already in the team's hours stays
    tuesday_10 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert told_time(due_at=tuesday_10, calendar=always, policy=policy, team_id=team.pk) == tuesday_10


def test_a_time_is_told_as_computed_when_the_policy_says_wall_clock_or_hours_are_unknown(
    team, other_team, weekdays, always
):
    team_calendar_set(team=team, calendar=weekdays)
    sunday_4 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    on_purpose = SlaPolicy(name="Driftstörning", wall_clock=True)
    assert told_time(due_at=sunday_4, calendar=always, policy=on_purpose, team_id=team.pk) == sunday_4
    # computed on business hours already (the policy's own calendar): as it is
    assert told_time(due_at=sunday_4, calendar=weekdays, policy=None, team_id=team.pk) == sunday_4
    # a team without hours, or a 24/7 team: as it is
    assert told_time(due_at=sunday_4, calendar=always, policy=None, team_id=other_team.pk) == sunday_4
    team_calendar_set(team=other_team, calendar=always)
    assert told_time(due_at=sunday_4, calendar=always, policy=None, team_id=other_team.pk) == sunday_4


# --- the policy's wall_clock ----------------------------------------------------------------------------------------


def test_a_policy_is_not_wall_clock_unless_it_says_so_and_the_api_sets_it(team):
    admin = AgentFactory(role=Role.ADMIN)
    api = Api(admin)
    response = api.post("/sla-policies", {"name": "Driftstörning", "first_response_minutes": 60})
    assert response.status_code == 201, response.content
    assert response.json()["wall_clock"] is False
    policy_id = response.json()["id"]
    response = api.patch(f"/sla-policies/{policy_id}", {"wall_clock": True})
    assert response.status_code == 200, response.content
    assert response.json()["wall_clock"] is True
    assert SlaPolicy.objects.get(pk=policy_id).wall_clock is True
    # null is refused and changes nothing
    response = api.patch(f"/sla-policies/{policy_id}", {"wall_clock": None})
    assert response.status_code == 422
    assert SlaPolicy.objects.get(pk=policy_id).wall_clock is True


# --- promises the customer holds, internal targets ------------------------------------------------------------


def test_a_resumed_promise_the_customer_holds_falls_in_the_teams_hours_an_internal_target_does_not(
    team, weekdays, always, agent
):
    """A promise that was told to the customer (customer_text) and is computed on a 24/7 calendar resumes into
    the team's hours; the policy's internal target resumes on its own time."""
    team_calendar_set(team=team, calendar=weekdays)
    policy_create(
        name="Reklamation",
        first_response_minutes=60,
        first_response_calendar=always,
        resolution_minutes=24 * 60,
        resolution_calendar=always,
    )
    with clock.at(SATURDAY_10):
        case = make_case(team=team)
        first = Promise.objects.get(case=case, kind=PromiseKind.FIRST_RESPONSE)
        first.customer_text = "We will get back to you within 1 hour."
        first.save(update_fields=["customer_text"])
        case_services.case_transition(case=case, actor=agent, status=Status.WAITING_ON_CUSTOMER)
    with clock.at(SATURDAY_10 + timedelta(hours=10)):  # Saturday 20:00
        case_services.case_transition(case=case, actor=agent, status=Status.OPEN)
    first.refresh_from_db()
    resolution = Promise.objects.get(case=case, kind=PromiseKind.RESOLUTION, state=PromiseState.PENDING)
    # an hour of 24/7 time left at Saturday 20:00 is Saturday 21:00: the team opens on Monday at 08:00
    assert first.due_at == MONDAY_8
    # a day of 24/7 time left: Sunday 20:00, nobody was told it
    assert resolution.due_at == SATURDAY_10 + timedelta(hours=10, days=1)


def test_each_team_is_told_in_its_own_hours(team, other_team, weekdays):
    """Each team's hours are its own: a time for the team without hours stays as computed."""
    team_calendar_set(team=other_team, calendar=weekdays)
    sunday_4 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    assert told_time(due_at=sunday_4, calendar=None, policy=None, team_id=team.pk) == sunday_4
    assert told_time(due_at=sunday_4, calendar=None, policy=None, team_id=other_team.pk) == MONDAY_8
