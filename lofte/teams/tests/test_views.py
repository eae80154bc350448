"""Team settings: a team's lead changes that team's settings and nobody else's; admins every team's."""

from __future__ import annotations

import pytest

from lofte.accounts.models import Role, Team
from lofte.accounts.tests.factories import AgentFactory
from lofte.callbacks.models import CallbackCapacity
from lofte.promises.models import BusinessCalendar
from lofte.promises.selectors import team_calendar

pytestmark = pytest.mark.django_db


@pytest.fixture
def calendar(db):  # type: ignore[no-untyped-def]
    return BusinessCalendar.objects.create(name="Kontorstid")


@pytest.fixture
def lead(team):  # type: ignore[no-untyped-def]
    return AgentFactory(email="lead@example.com", role=Role.TEAM_LEAD, teams=[team])


def settings_of(team: Team, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {"email": team.email, "per_slot": 2, "slot_minutes": 15, "calendar": ""}
    data.update(changes)
    return data


def test_a_lead_changes_their_teams_reply_address_and_callback_capacity(client, lead, team, calendar):
    client.force_login(lead)
    response = client.post(
        f"/teams/{team.pk}/",
        settings_of(team, email="Support@Example.se", callbacks_offered="on", per_slot=4, calendar=calendar.pk),
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.email == "support@example.se"
    capacity = CallbackCapacity.objects.get(team=team)
    assert (capacity.per_slot, capacity.slot_minutes, capacity.calendar, capacity.is_active) == (4, 15, calendar, True)
    assert team_calendar(team_id=team.pk) == calendar  # the team's hours: times told to its customers fall in them


def test_a_lead_of_another_team_gets_403_with_the_reason_and_changes_nothing(client, team, other_team, calendar):
    other_lead = AgentFactory(role=Role.TEAM_LEAD, teams=[other_team])
    client.force_login(other_lead)
    page = client.get(f"/teams/{team.pk}/")
    assert page.status_code == 403
    assert "Only the team&#x27;s leads and admins can change its settings." in page.content.decode()
    response = client.post(f"/teams/{team.pk}/", settings_of(team, email="evil@example.net", calendar=calendar.pk))
    assert response.status_code == 403
    assert client.get("/teams/999999/").status_code == 404
    team.refresh_from_db()
    assert team.email == ""
    assert not CallbackCapacity.objects.exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.QA_REVIEWER])
def test_members_who_do_not_lead_get_403(client, team, role):
    member = AgentFactory(role=role, teams=[team])
    client.force_login(member)
    assert client.get(f"/teams/{team.pk}/").status_code == 403
    assert client.post(f"/teams/{team.pk}/", settings_of(team, email="x@example.se")).status_code == 403
    team.refresh_from_db()
    assert team.email == ""
    page = client.get("/teams/")
    assert page.status_code == 200 and "You lead no team" in page.content.decode()
    assert 'href="/teams/"' not in client.get("/").content.decode()  # the top bar offers no Teams link


def test_an_admin_sees_and_changes_every_team(client, team, other_team):
    admin = AgentFactory(role=Role.ADMIN)
    client.force_login(admin)
    listing = client.get("/teams/").content.decode()
    assert team.name in listing and other_team.name in listing
    assert client.post(f"/teams/{other_team.pk}/", settings_of(other_team, email="bill@example.se")).status_code == 302
    other_team.refresh_from_db()
    assert other_team.email == "bill@example.se"


def test_callbacks_without_business_hours_are_refused_and_the_form_kept(client, lead, team):
    client.force_login(lead)
    response = client.post(f"/teams/{team.pk}/", settings_of(team, email="s@example.se", callbacks_offered="on"))
    assert response.status_code == 422
    html = response.content.decode()
    assert "Callbacks need business hours to offer slots in." in html
    assert 'value="s@example.se"' in html
    team.refresh_from_db()
    assert team.email == ""
