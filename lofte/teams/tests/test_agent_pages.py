"""Agents and roles: only admins list, add, change, deactivate and reactivate agents; the new agent's invitation
goes through the outbox and its link works once; the last admin stays an admin."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from lofte.accounts.models import Agent, Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-Long and unusual 42 passphrase"


@pytest.fixture
def admin(db):  # type: ignore[no-untyped-def]
    return AgentFactory(email="admin@example.com", name="Ada Admin", role=Role.ADMIN)


@pytest.fixture
def lead(team):  # type: ignore[no-untyped-def]
    return AgentFactory(email="lead@example.com", name="Lea Lead", role=Role.TEAM_LEAD, teams=[team])


def new_agent(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Nils Ny",
        "email": "Nils.Ny@Example.se",
        "role": Role.AGENT,
        "language": "sv",
        "time_zone": "Europe/Helsinki",
    }
    data.update(changes)
    return data


def edit_of(agent: Agent, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": agent.name,
        "role": agent.role,
        "teams": list(agent.teams.values_list("pk", flat=True)),
        "language": agent.language,
        "time_zone": agent.time_zone,
    }
    data.update(changes)
    return data


def snapshot() -> list[tuple[object, ...]]:
    return list(
        Agent.objects.order_by("pk").values_list("pk", "email", "name", "role", "language", "time_zone", "is_active")
    )


# --- who may open what ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/agents/", "/agents/new", "/agents/{id}/"])
@pytest.mark.parametrize(("who", "status"), [("admin", 200), ("lead", 403), ("agent", 403), ("anonymous", 302)])
def test_agent_pages_are_for_admins(client, admin, lead, agent, path, who, status):
    if who != "anonymous":
        client.force_login({"admin": admin, "lead": lead, "agent": agent}[who])
    response = client.get(path.format(id=agent.pk))
    assert response.status_code == status
    if status == 403:
        assert "Only admins can change this." in response.content.decode()
    if status == 302:
        assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("action", ["deactivate", "reactivate", "invite"])
@pytest.mark.parametrize("who", ["lead", "agent"])
def test_others_cannot_change_agents(client, lead, agent, action, who):
    victim = AgentFactory(is_active=action != "reactivate")
    client.force_login({"lead": lead, "agent": agent}[who])
    before = snapshot()
    assert client.post(f"/agents/{victim.pk}/{action}").status_code == 403
    assert client.post(f"/agents/{victim.pk}/", edit_of(victim, role=Role.ADMIN)).status_code == 403
    assert client.post("/agents/new", new_agent()).status_code == 403
    assert snapshot() == before
    assert not OutboxMessage.objects.exists()


# --- the list ---------------------------------------------------------------------------------------------------


def test_the_list_searches_filters_and_pages(client, admin, agent):
    AgentFactory(name="Greta Gone", email="greta@example.com", is_active=False)
    for i in range(55):
        AgentFactory(name=f"Zed {i:02d}", email=f"zed{i:02d}@example.com")
    client.force_login(admin)
    first = client.get("/agents/").content.decode()
    assert "Page 1 of 2" in first and "Alma Agent" in first and "Greta Gone" not in first
    second = client.get("/agents/?page=2").content.decode()
    assert "Zed 54" in second and "Alma Agent" not in second
    found = client.get("/agents/?q=GRETA&status=inactive").content.decode()
    assert "Greta Gone" in found and "Zed" not in found
    assert "Greta Gone" in client.get("/agents/?q=greta%40example&status=all").content.decode()
    nothing = client.get("/agents/?q=nobody").content.decode()
    assert "No agent has “nobody” in their name or email address." in nothing


def test_the_list_reads_as_many_queries_for_50_agents_as_for_5(client, admin, team, django_assert_max_num_queries):
    client.force_login(admin)
    for i in range(4):
        AgentFactory(teams=[team], email=f"few{i}@example.com")
    with django_assert_max_num_queries(20) as few:
        client.get("/agents/")
    for i in range(45):
        AgentFactory(teams=[team], email=f"many{i}@example.com")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/agents/").status_code == 200


# --- creating, and the invitation ---------------------------------------------------------------------------------


def test_an_admin_adds_an_agent_who_sets_their_password_once_and_logs_in(client, admin, team):
    client.force_login(admin)
    response = client.post("/agents/new", {**new_agent(), "teams": [team.pk]})
    agent = Agent.objects.get(email="nils.ny@example.se")
    assert response.status_code == 302 and response["Location"] == f"/agents/{agent.pk}/"
    assert (agent.name, agent.role, agent.language, agent.time_zone) == ("Nils Ny", "agent", "sv", "Europe/Helsinki")
    assert list(agent.teams.all()) == [team]
    assert not agent.has_usable_password()

    mail = OutboxMessage.objects.get()
    assert (mail.channel, mail.to, mail.state) == ("email", "nils.ny@example.se", "pending")
    assert "Lofte" in mail.payload["subject"] and "Nils Ny" in mail.payload["text"]
    link = re.search(r"https?://[^/\s]+(/set-password/[^\s]+/)", mail.payload["text"])
    assert link is not None, mail.payload["text"]

    browser = Client()
    page = browser.get(link.group(1), follow=True)
    assert page.status_code == 200 and "new_password1" in page.content.decode()
    form_url = page.redirect_chain[-1][0]
    done = browser.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/login/"
    agent.refresh_from_db()
    assert agent.check_password(NEW_PASSWORD)
    assert authenticate(username="nils.ny@example.se", password=NEW_PASSWORD) == agent

    again = Client().get(link.group(1), follow=True)  # the link works once
    assert "data-invalid-link" in again.content.decode()
    assert "new_password1" not in again.content.decode()


def test_a_mismatched_password_is_refused_on_the_set_password_page(client, admin):
    client.force_login(admin)
    client.post("/agents/new", new_agent())
    link = re.search(r"(/set-password/[^\s]+/)", OutboxMessage.objects.get().payload["text"])
    assert link is not None
    browser = Client()
    page = browser.get(link.group(1), follow=True)
    response = browser.post(page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": "other"})
    assert response.status_code == 200
    assert 'data-error-for="new_password2"' in response.content.decode()
    assert not Agent.objects.get(email="nils.ny@example.se").has_usable_password()


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"email": "agent@example.com"}, "email", "An agent with the email address agent@example.com already exists."),
        ({"email": "AGENT@example.com"}, "email", "An agent with the email address agent@example.com already exists."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"name": "   "}, "name", "This field is required."),
        ({"role": "overlord"}, "role", "Select a valid choice."),
        ({"language": "xx"}, "language", "Select a valid choice."),
        ({"time_zone": "Mars/Base"}, "time_zone", "Select a valid choice."),
        ({"teams": [999999]}, "teams", "Select a valid choice."),
    ],
)
def test_bad_agent_data_is_refused_beside_the_field(client, admin, agent, changes, field, error):
    client.force_login(admin)
    before = snapshot()
    response = client.post("/agents/new", new_agent(**changes))
    assert response.status_code == 422
    html = response.content.decode()
    assert f'data-error-for="{field}"' in html and error in html
    assert snapshot() == before
    assert not OutboxMessage.objects.exists()


# --- changing, deactivating ---------------------------------------------------------------------------------------


def test_an_admin_changes_an_agents_role_teams_language_and_time_zone(client, admin, agent, team, other_team):
    client.force_login(admin)
    response = client.post(
        f"/agents/{agent.pk}/",
        edit_of(agent, role=Role.TEAM_LEAD, teams=[other_team.pk], language="fi", time_zone="Europe/Oslo"),
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.role, agent.language, agent.time_zone) == ("team_lead", "fi", "Europe/Oslo")
    assert list(agent.teams.all()) == [other_team]
    assert agent.email == "agent@example.com"  # the address is not changed here


def test_the_last_admin_cannot_be_demoted_nor_deactivated(client, admin):
    client.force_login(admin)
    before = snapshot()
    response = client.post(f"/agents/{admin.pk}/", edit_of(admin, role=Role.AGENT))
    assert response.status_code == 422
    assert "Ada Admin is the last active admin; make another agent an admin first." in response.content.decode()
    assert 'data-error-for="role"' in response.content.decode()
    response = client.post(f"/agents/{admin.pk}/deactivate")
    assert response.status_code == 422
    assert "You cannot deactivate yourself; ask another admin." in response.content.decode()
    assert snapshot() == before


def test_a_superuser_counts_as_an_admin_for_the_last_admin_rule(client, admin):
    # a Django superuser with another role is an admin too: with them, the role admin may be given up
    root = AgentFactory(email="root@example.com", role=Role.AGENT, is_superuser=True)
    client.force_login(root)
    assert client.post(f"/agents/{admin.pk}/", edit_of(admin, role=Role.AGENT)).status_code == 302
    admin.refresh_from_db()
    assert admin.role == Role.AGENT


def test_an_admin_deactivates_an_agent_who_then_cannot_log_in_and_reactivates_them(client, admin, agent):
    other = Client()
    other.force_login(agent)
    assert other.get("/inbox/").status_code == 200
    client.force_login(admin)
    response = client.post(f"/agents/{agent.pk}/deactivate")
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.is_active is False
    assert other.get("/inbox/").status_code == 302  # their session ends
    assert authenticate(username="agent@example.com", password="correct horse battery staple") is None
    login = Client().post("/login/", {"username": "agent@example.com", "password": "correct horse battery staple"})
    assert login.status_code == 200  # the login page again, not in
    assert client.post(f"/agents/{agent.pk}/reactivate").status_code == 302
    agent.refresh_from_db()
    assert agent.is_active is True
    assert authenticate(username="agent@example.com", password="correct horse battery staple") == agent


def test_a_second_admin_can_be_deactivated_but_not_the_remaining_one(client, admin):
    second = AgentFactory(email="second@example.com", name="Sam Second", role=Role.ADMIN)
    client.force_login(admin)
    assert client.post(f"/agents/{second.pk}/deactivate").status_code == 302
    second.refresh_from_db()
    assert second.is_active is False
    # now the other way round: a fresh admin may not deactivate the last active one
    client.force_login(AgentFactory(email="third@example.com", role=Role.ADMIN))
    assert client.post(f"/agents/{admin.pk}/deactivate").status_code == 302
    client.force_login(second)  # inactive: no longer signed in
    assert client.get("/agents/").status_code == 302


def test_an_invitation_is_sent_again_on_request_and_not_to_a_deactivated_agent(client, admin, agent):
    client.force_login(admin)
    assert client.post(f"/agents/{agent.pk}/invite").status_code == 302
    assert list(OutboxMessage.objects.values_list("to", flat=True)) == ["agent@example.com"]
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    response = client.post(f"/agents/{agent.pk}/invite")
    assert response.status_code == 422
    assert "Alma Agent is deactivated; reactivate them first." in response.content.decode()
    assert OutboxMessage.objects.count() == 1


def test_an_unknown_agent_is_404(client, admin):
    client.force_login(admin)
    assert client.get("/agents/999999/").status_code == 404
    assert client.post("/agents/999999/deactivate").status_code == 404
