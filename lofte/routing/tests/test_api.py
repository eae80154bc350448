"""The routing API: one's own status; agents' capacity and skills (their leads and admins); a team's routing (its
leads and admins); the triage team (admins). Refusals change nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.accounts.tests.api_client import Api
from lofte.accounts.tests.factories import AgentFactory
from lofte.routing.models import AgentStatus, Availability, RoutingMode, RoutingSettings, TeamRouting
from lofte.routing.tests.conftest import make_available

pytestmark = pytest.mark.django_db


def error(response) -> tuple[int, str, str | None]:  # type: ignore[no-untyped-def]
    body = response.json()
    return response.status_code, body["code"], body.get("field")


class TestMyStatus:
    def test_an_agent_without_a_row_is_offline_with_the_default_capacity(self, agent):
        body = Api(agent).get("/routing/me").json()

        assert (body["id"], body["status"], body["since"], body["total_load"]) == (agent.pk, "offline", None, 0)
        assert body["channels"][0] == {"channel": "email", "load": 0, "capacity": 5}
        assert body["skills"] == []

    def test_sets_only_ones_own_status(self, agent, outsider):
        response = Api(agent).put("/routing/me/status", {"status": "online"})

        assert response.status_code == 200, response.content
        assert response.json()["status"] == "online"
        assert Availability.objects.get(agent=agent).status == AgentStatus.ONLINE
        assert not Availability.objects.filter(agent=outsider).exists()

    def test_an_unknown_status_is_a_422_naming_it(self, agent):
        assert error(Api(agent).put("/routing/me/status", {"status": "asleep"})) == (422, "validation_error", "status")
        assert not Availability.objects.exists()


class TestAgents:
    def test_lists_the_members_of_ones_teams_with_load_and_capacity(self, agent, outsider, team):
        colleague = AgentFactory(name="Bo Colleague", teams=[team])
        make_available(colleague, capacity=3, skills=["language:sv"], phone=1)

        body = Api(agent).get("/routing/agents").json()

        assert [(a["name"], a["status"], a["editable"]) for a in body] == [
            ("Alma Agent", "offline", False),
            ("Bo Colleague", "online", False),
        ]
        channels = {c["channel"]: c["capacity"] for c in body[1]["channels"]}
        assert (channels["email"], channels["phone"], body[1]["skills"]) == (3, 1, ["language:sv"])

    def test_the_list_costs_the_same_queries_for_5_and_50_agents(self, agent, team):
        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert Api(agent).get("/routing/agents").status_code == 200
            return len(queries)

        for _ in range(4):
            make_available(AgentFactory(teams=[team]), skills=["language:sv"], email=2)
        few = count()
        for _ in range(45):
            make_available(AgentFactory(teams=[team]), skills=["language:sv"], email=2)
        assert count() == few

    def test_a_lead_changes_a_members_capacity_and_skills(self, agent, team):
        lead = AgentFactory(role="team_lead", teams=[team])

        response = Api(lead).patch(
            f"/routing/agents/{agent.pk}",
            {"default_capacity": 2, "total_capacity": 4, "capacities": {"phone": 1}, "skills": ["language:fi"]},
        )

        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["default_capacity"], body["total_capacity"], body["skills"], body["editable"]) == (
            2,
            4,
            ["language:fi"],
            True,
        )
        assert {c["channel"]: c["capacity"] for c in body["channels"]}["phone"] == 1

    def test_an_agent_may_not_change_a_colleague_and_nothing_changes(self, agent, team):
        colleague = AgentFactory(teams=[team])
        make_available(colleague, capacity=3)

        response = Api(agent).patch(f"/routing/agents/{colleague.pk}", {"default_capacity": 50})

        assert error(response) == (403, "permission_denied", None)
        assert Availability.objects.get(agent=colleague).default_capacity == 3

    def test_a_lead_may_not_change_another_teams_agent(self, outsider, team):
        lead = AgentFactory(role="team_lead", teams=[team])

        assert error(Api(lead).patch(f"/routing/agents/{outsider.pk}", {"default_capacity": 9}))[0] == 403
        assert not Availability.objects.filter(agent=outsider).exists()

    def test_an_unknown_agent_is_404_and_a_wrong_skill_422(self, agent):
        admin = AgentFactory(role="admin")
        assert error(Api(admin).patch("/routing/agents/999999", {"default_capacity": 1}))[0:2] == (404, "not_found")
        assert error(Api(admin).patch(f"/routing/agents/{agent.pk}", {"skills": ["knitting"]})) == (
            422,
            "validation_error",
            "skills",
        )
        response = Api(admin).patch(f"/routing/agents/{agent.pk}", {"skills": ["tier:d"]})
        assert error(response) == (422, "validation_error", "skills")
        assert "'d' is not a customer tier; use one of a, b, c." in response.content.decode()
        assert not Availability.objects.exists()


class TestTeamRouting:
    def test_a_lead_reads_and_changes_their_teams_routing(self, team):
        lead = AgentFactory(role="team_lead", teams=[team])
        api = Api(lead)

        assert api.get(f"/routing/teams/{team.pk}").json()["mode"] == "manual"
        response = api.put(
            f"/routing/teams/{team.pk}", {"mode": "least_loaded", "grace_minutes": 5, "require_tier": True}
        )

        assert response.status_code == 200, response.content
        assert response.json() == {
            "team": team.pk,
            "mode": "least_loaded",
            "grace_minutes": 5,
            "require_language": False,
            "require_product": False,
            "require_channel": False,
            "require_tier": True,
        }
        saved = TeamRouting.objects.get(team=team)
        assert (saved.mode, saved.require_tier) == (RoutingMode.LEAST_LOADED, True)

    def test_an_agent_may_not_read_or_change_it(self, agent, team):
        api = Api(agent)

        assert error(api.get(f"/routing/teams/{team.pk}"))[0] == 403
        assert error(api.put(f"/routing/teams/{team.pk}", {"mode": "round_robin"}))[0] == 403
        assert not TeamRouting.objects.exists()

    def test_a_lead_may_not_change_another_team(self, team, other_team):
        lead = AgentFactory(role="team_lead", teams=[team])

        assert error(Api(lead).put(f"/routing/teams/{other_team.pk}", {"mode": "round_robin"}))[0] == 403
        assert not TeamRouting.objects.exists()

    def test_an_unknown_team_is_404_and_a_wrong_mode_422(self, team):
        admin = AgentFactory(role="admin")
        assert error(Api(admin).put("/routing/teams/999999", {"mode": "manual"}))[0] == 404
        assert error(Api(admin).put(f"/routing/teams/{team.pk}", {"mode": "lottery"}))[0:2] == (
            422,
            "validation_error",
        )
        assert not TeamRouting.objects.exists()


class TestTriage:
    def test_an_admin_chooses_the_triage_team_and_everyone_reads_it(self, agent, team):
        admin = AgentFactory(role="admin")

        response = Api(admin).put("/routing/settings", {"triage_team": team.pk})

        assert response.status_code == 200, response.content
        assert Api(agent).get("/routing/settings").json() == {"triage_team": team.pk}
        assert Api(admin).put("/routing/settings", {"triage_team": None}).json() == {"triage_team": None}

    def test_a_lead_may_not_and_an_unknown_team_is_422(self, team):
        lead = AgentFactory(role="team_lead", teams=[team])
        assert error(Api(lead).put("/routing/settings", {"triage_team": team.pk}))[0] == 403
        admin = AgentFactory(role="admin")
        assert error(Api(admin).put("/routing/settings", {"triage_team": 999999})) == (
            422,
            "validation_error",
            "triage_team",
        )
        assert not RoutingSettings.objects.exists()
