"""Teams and their members: admins create, rename and delete teams; a team's leads and the admins add and remove
its members; a lead cannot leave a team without a lead."""

from __future__ import annotations

import pytest

from lofte.accounts.models import Agent, Role, Team
from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases.models import Case, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):  # type: ignore[no-untyped-def]
    return AgentFactory(email="admin@example.com", name="Ada Admin", role=Role.ADMIN)


@pytest.fixture
def lead(team):  # type: ignore[no-untyped-def]
    return AgentFactory(email="lead@example.com", name="Lea Lead", role=Role.TEAM_LEAD, teams=[team])


def members(team: Team) -> set[str]:
    return set(team.agents.values_list("email", flat=True))  # type: ignore[attr-defined]


# --- who may open what ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("lead", 403), ("agent", 403), ("anonymous", 302)],
)
def test_the_new_team_page_is_for_admins(client, admin, lead, agent, who, status):
    if who != "anonymous":
        client.force_login({"admin": admin, "lead": lead, "agent": agent}[who])
    response = client.get("/teams/new")
    assert response.status_code == status
    if status == 403:
        assert "Only admins can change this." in response.content.decode()
    if status == 302:
        assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize(("who", "status"), [("admin", 200), ("lead", 200), ("agent", 403), ("anonymous", 302)])
def test_a_teams_page_with_its_members_is_for_its_leads_and_admins(client, admin, lead, agent, team, who, status):
    AgentFactory(email="sven@example.com", name="Sven", teams=[team], language="sv", is_active=False)
    if who != "anonymous":
        client.force_login({"admin": admin, "lead": lead, "agent": agent}[who])
    response = client.get(f"/teams/{team.pk}/")
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert f'data-member="{lead.pk}"' in html and f'data-member="{agent.pk}"' in html
        assert "Team lead" in html and "Swedish" in html and "Active" in html and "Deactivated" in html
        assert ("Delete the team" in html) is (who == "admin")  # renaming and deleting: admins only
    if status == 403:
        assert "cannot change team settings" in response.content.decode()


# --- creating, renaming, deleting ---------------------------------------------------------------------------------


def test_an_admin_creates_a_team(client, admin):
    client.force_login(admin)
    response = client.post("/teams/new", {"name": "  Faktura  "})
    team = Team.objects.get(name="Faktura")
    assert response.status_code == 302 and response["Location"] == f"/teams/{team.pk}/"
    assert "The team Faktura is created." in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("support", "A team named &#x27;support&#x27; already exists."),
        ("", "This field is required."),
        ("x" * 101, "Ensure this value has at most 100 characters"),
    ],
)
def test_a_bad_team_name_is_refused_beside_the_field(client, admin, team, name, error):
    client.force_login(admin)
    response = client.post("/teams/new", {"name": name})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-error-for="name"' in html and error in html
    assert list(Team.objects.values_list("name", flat=True)) == ["Support"]


def test_a_lead_cannot_create_a_team(client, lead):
    client.force_login(lead)
    assert client.post("/teams/new", {"name": "Sneaky"}).status_code == 403
    assert not Team.objects.filter(name="Sneaky").exists()


def test_an_admin_renames_a_team_and_a_clash_is_refused(client, admin, team, other_team):
    client.force_login(admin)
    assert client.post(f"/teams/{team.pk}/rename", {"name": "Kundtjänst"}).status_code == 302
    team.refresh_from_db()
    assert team.name == "Kundtjänst"
    response = client.post(f"/teams/{team.pk}/rename", {"name": "BILLING"})
    assert response.status_code == 422
    assert "A team named &#x27;BILLING&#x27; already exists." in response.content.decode()
    team.refresh_from_db()
    assert team.name == "Kundtjänst"


def test_a_lead_cannot_rename_their_team(client, lead, team):
    client.force_login(lead)
    response = client.post(f"/teams/{team.pk}/rename", {"name": "Mine now"})
    assert response.status_code == 403
    team.refresh_from_db()
    assert team.name == "Support"


def test_a_team_with_members_or_cases_is_not_deleted_and_the_page_says_why(client, admin, team, case):
    client.force_login(admin)
    response = client.post(f"/teams/{team.pk}/delete")
    assert response.status_code == 422
    html = response.content.decode()
    assert "Support cannot be deleted: 1 agent is a member; remove them from the team first." in html
    assert "1 open case belongs to it; move it to another team first." in html
    assert Team.objects.filter(pk=team.pk).exists()


def test_a_team_whose_only_case_is_closed_is_not_deleted_either(client, admin, team, case, agent):
    agent.teams.clear()
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    client.force_login(admin)
    response = client.post(f"/teams/{team.pk}/delete")
    assert response.status_code == 422
    assert "1 closed case belongs to it, which would otherwise be seen by every agent." in response.content.decode()
    assert Case.objects.get(pk=case.pk).team_id == team.pk


def test_an_empty_team_is_deleted_by_an_admin_and_not_by_its_lead(client, admin, other_team):
    lead = AgentFactory(role=Role.TEAM_LEAD)
    client.force_login(lead)
    assert client.post(f"/teams/{other_team.pk}/delete").status_code == 403
    assert Team.objects.filter(pk=other_team.pk).exists()
    client.force_login(admin)
    response = client.post(f"/teams/{other_team.pk}/delete")
    assert response.status_code == 302 and response["Location"] == "/teams/"
    assert not Team.objects.filter(pk=other_team.pk).exists()


# --- members ---------------------------------------------------------------------------------------------------------


def test_a_lead_adds_and_removes_members_of_their_team(client, lead, team, agent):
    newcomer = AgentFactory(email="new@example.com")
    client.force_login(lead)
    assert client.post(f"/teams/{team.pk}/members/add", {"agent": newcomer.pk}).status_code == 302
    assert members(team) == {"lead@example.com", "agent@example.com", "new@example.com"}
    assert client.post(f"/teams/{team.pk}/members/{agent.pk}/remove").status_code == 302
    assert members(team) == {"lead@example.com", "new@example.com"}


def test_a_lead_cannot_change_the_members_of_another_team(client, lead, other_team):
    stranger = AgentFactory(teams=[other_team])
    newcomer = AgentFactory()
    client.force_login(lead)
    response = client.post(f"/teams/{other_team.pk}/members/add", {"agent": newcomer.pk})
    assert response.status_code == 403
    assert "Only the team&#x27;s leads and admins can change its settings." in response.content.decode()
    assert client.post(f"/teams/{other_team.pk}/members/{stranger.pk}/remove").status_code == 403
    assert members(other_team) == {stranger.email}


def test_an_agent_cannot_change_their_own_teams_members(client, agent, team):
    newcomer = AgentFactory()
    client.force_login(agent)
    assert client.post(f"/teams/{team.pk}/members/add", {"agent": newcomer.pk}).status_code == 403
    assert members(team) == {"agent@example.com"}


@pytest.mark.parametrize("kind", ["inactive", "member", "missing", "empty"])
def test_adding_a_member_who_cannot_be_added_is_refused_beside_the_field(client, lead, team, agent, kind):
    inactive = AgentFactory(is_active=False)
    value = {"inactive": inactive.pk, "member": agent.pk, "missing": 999999, "empty": ""}[kind]
    client.force_login(lead)
    response = client.post(f"/teams/{team.pk}/members/add", {"agent": value})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-error-for="agent"' in html
    assert "Select a valid choice" in html or "This field is required." in html
    assert members(team) == {"lead@example.com", "agent@example.com"}


def test_the_last_lead_cannot_remove_themselves(client, lead, team):
    client.force_login(lead)
    response = client.post(f"/teams/{team.pk}/members/{lead.pk}/remove")
    assert response.status_code == 422
    assert "You are the last lead of Support; make another member a lead first." in response.content.decode()
    assert "lead@example.com" in members(team)


def test_a_lead_may_leave_when_another_lead_stays_and_an_admin_may_remove_the_last_lead(client, lead, team, admin):
    second = AgentFactory(role=Role.TEAM_LEAD, teams=[team])
    client.force_login(lead)
    response = client.post(f"/teams/{team.pk}/members/{lead.pk}/remove")
    assert response.status_code == 302 and response["Location"] == "/teams/"  # no longer theirs to manage
    assert lead.email not in members(team)
    client.force_login(admin)
    assert client.post(f"/teams/{team.pk}/members/{second.pk}/remove").status_code == 302
    assert second.email not in members(team)


def test_removing_someone_who_is_not_a_member_is_404(client, lead, team, other_team):
    outsider = AgentFactory(teams=[other_team])
    client.force_login(lead)
    assert client.post(f"/teams/{team.pk}/members/{outsider.pk}/remove").status_code == 404
    assert members(other_team) == {outsider.email}


def test_changes_need_post(client, admin, team, agent):
    client.force_login(admin)
    assert client.get(f"/teams/{team.pk}/members/{agent.pk}/remove").status_code == 405
    assert client.get(f"/teams/{team.pk}/delete").status_code == 405
    assert Agent.objects.filter(teams=team).count() == 1


def test_the_team_page_reads_a_bounded_number_of_queries(client, admin, team, django_assert_max_num_queries):
    client.force_login(admin)
    for i in range(5):
        AgentFactory(teams=[team], email=f"few{i}@example.com")
    with django_assert_max_num_queries(25) as few:
        client.get(f"/teams/{team.pk}/")
    for i in range(45):
        AgentFactory(teams=[team], email=f"many{i}@example.com")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"/teams/{team.pk}/").status_code == 200
    TeamFactory(name="Extra")
    with django_assert_max_num_queries(20):
        assert client.get("/teams/").status_code == 200
