"""Routing pages: one's own status, the overview, a team's routing and an agent's capacity and skills; forms with
their errors; who may open what."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lofte.accounts.tests.factories import AgentFactory
from lofte.routing.models import AgentStatus, Availability, RoutingMode, RoutingSettings, TeamRouting
from lofte.routing.tests.conftest import make_available

pytestmark = pytest.mark.django_db


def browser(agent) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(agent)
    return client


class TestStatus:
    def test_an_agent_goes_online_and_is_sent_back_where_they_were(self, agent):
        client = browser(agent)
        page = client.get(reverse("routing:status"))
        assert page.status_code == 200
        assert 'value="offline" required id="id_status_2" checked' in page.content.decode()

        response = client.post(reverse("routing:status"), {"status": "online", "next": "/inbox/"})

        assert (response.status_code, response["Location"]) == (302, "/inbox/")
        assert Availability.objects.get(agent=agent).status == AgentStatus.ONLINE

    @pytest.mark.parametrize("elsewhere", ["//evil.example", "/\\evil.example", "https://evil.example/"])
    def test_a_next_elsewhere_is_ignored(self, agent, elsewhere):
        response = browser(agent).post(reverse("routing:status"), {"status": "away", "next": elsewhere})

        assert response["Location"] == reverse("routing:status")

    def test_a_wrong_status_shows_the_error_and_changes_nothing(self, agent):
        response = browser(agent).post(reverse("routing:status"), {"status": "asleep"})

        assert response.status_code == 422
        assert 'class="error" role="alert"' in response.content.decode()
        assert not Availability.objects.exists()


class TestHome:
    def test_an_agent_sees_their_team_and_no_team_to_lead(self, agent, team):
        make_available(AgentFactory(name="Bo Colleague", teams=[team]), skills=["language:sv"])

        html = browser(agent).get(reverse("routing:home")).content.decode()

        assert "You lead no team." in html
        assert "Bo Colleague" in html and "language:sv" in html
        assert reverse("routing:agent", args=[agent.pk]) not in html  # nothing to change here
        assert 'action="/routing/triage"' not in html

    def test_a_lead_sees_their_teams_routing_and_may_edit_members(self, agent, team):
        lead = AgentFactory(role="team_lead", teams=[team])
        TeamRouting.objects.create(team=team, mode=RoutingMode.LEAST_LOADED, grace_minutes=1)

        html = browser(lead).get(reverse("routing:home")).content.decode()

        assert reverse("routing:team", args=[team.pk]) in html
        assert "Least loaded" in html and "1 minute" in html
        assert reverse("routing:agent", args=[agent.pk]) in html

    def test_an_agent_in_no_team_sees_the_empty_states(self):
        loner = AgentFactory()

        html = browser(loner).get(reverse("routing:home")).content.decode()

        assert "You lead no team." in html
        assert "“no team yet” view" in html

    def test_the_page_costs_the_same_queries_for_5_and_50_agents(self, team):
        admin = AgentFactory(role="admin")

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert browser(admin).get(reverse("routing:home")).status_code == 200
            return len(queries)

        for _ in range(5):
            make_available(AgentFactory(teams=[team]), skills=["language:sv"], email=2)
        few = count()
        for _ in range(45):
            make_available(AgentFactory(teams=[team]), skills=["language:sv"], email=2)
        assert count() == few


class TestTeamRouting:
    def test_a_lead_saves_their_teams_routing(self, team):
        lead = AgentFactory(role="team_lead", teams=[team])
        url = reverse("routing:team", args=[team.pk])

        response = browser(lead).post(
            url, {"mode": "round_robin", "grace_minutes": "20", "require_language": "on", "require_tier": "on"}
        )

        assert (response.status_code, response["Location"]) == (302, url)
        routing = TeamRouting.objects.get(team=team)
        assert (routing.mode, routing.grace_minutes, routing.require_language, routing.require_tier) == (
            RoutingMode.ROUND_ROBIN,
            20,
            True,
            True,
        )
        page = browser(lead).get(url).content.decode()
        assert re.search(r'<input type="checkbox" name="require_tier"[^>]* checked>', page)
        assert "tier:a for tier A customers" in page

    def test_a_wrong_grace_is_shown_and_nothing_saved(self, team):
        lead = AgentFactory(role="team_lead", teams=[team])

        response = browser(lead).post(
            reverse("routing:team", args=[team.pk]), {"mode": "round_robin", "grace_minutes": "-1"}
        )

        assert response.status_code == 422
        assert "Ensure this value is greater than or equal to 0." in response.content.decode()
        assert not TeamRouting.objects.exists()

    def test_an_agent_is_refused_with_the_reason(self, agent, team):
        response = browser(agent).post(
            reverse("routing:team", args=[team.pk]), {"mode": "round_robin", "grace_minutes": "5"}
        )

        assert response.status_code == 403
        assert "a team&#x27;s leads and admins can" in response.content.decode()
        assert not TeamRouting.objects.exists()

    def test_an_unknown_team_is_404(self, team):
        lead = AgentFactory(role="team_lead", teams=[team])
        assert browser(lead).get(reverse("routing:team", args=[999999])).status_code == 404


class TestAgentRouting:
    def test_a_lead_changes_a_members_capacity_and_skills(self, agent, team):
        lead = AgentFactory(role="team_lead", teams=[team])
        url = reverse("routing:agent", args=[agent.pk])
        assert browser(lead).get(url).status_code == 200

        response = browser(lead).post(
            url,
            {"default_capacity": "4", "total_capacity": "", "capacity_phone": "1", "skills": "language:sv\nproduct:x"},
        )

        assert (response.status_code, response["Location"]) == (302, url)
        availability = Availability.objects.get(agent=agent)
        assert (availability.default_capacity, availability.total_capacity) == (4, None)
        assert dict(availability.capacities.values_list("channel", "capacity")) == {"phone": 1}
        assert sorted(str(s) for s in availability.skills.all()) == ["language:sv", "product:x"]

    def test_a_wrong_skill_is_shown_on_its_field(self, agent, team):
        lead = AgentFactory(role="team_lead", teams=[team])

        response = browser(lead).post(
            reverse("routing:agent", args=[agent.pk]), {"default_capacity": "4", "skills": "knitting"}
        )

        assert response.status_code == 422
        assert "is not a skill" in response.content.decode()
        assert not Availability.objects.exists()

    def test_an_agent_may_not_change_a_colleague(self, agent, team):
        colleague = AgentFactory(teams=[team])

        response = browser(agent).post(reverse("routing:agent", args=[colleague.pk]), {"default_capacity": "50"})

        assert response.status_code == 403
        assert not Availability.objects.exists()


class TestTriage:
    def test_an_admin_chooses_the_triage_team(self, team):
        admin = AgentFactory(role="admin")

        response = browser(admin).post(reverse("routing:triage"), {"triage_team": str(team.pk)})

        assert (response.status_code, response["Location"]) == (302, reverse("routing:home"))
        assert RoutingSettings.objects.get().triage_team == team

    def test_a_lead_may_not(self, team):
        lead = AgentFactory(role="team_lead", teams=[team])

        assert browser(lead).post(reverse("routing:triage"), {"triage_team": str(team.pk)}).status_code == 403
        assert not RoutingSettings.objects.exists()


class TestHeaderContext:
    def test_my_status_is_read_only_when_used(self, rf, agent, django_assert_num_queries):
        from lofte.routing.context_processors import my_status

        request = rf.get("/")
        request.user = agent
        with django_assert_num_queries(0):
            context = my_status(request)
        make_available(agent, status=AgentStatus.AWAY)
        with django_assert_num_queries(1):
            assert str(context["my_status"]) == "away"


def test_the_header_control_goes_back_to_the_page_it_was_on_and_only_to_this_site(client, django_user_model):
    from lofte.accounts.tests.factories import AgentFactory

    agent = AgentFactory(email="header@example.se")
    client.force_login(agent)
    url = "/routing/status/"
    here = client.post(url, {"status": "online", "back": "1"}, headers={"Referer": "http://testserver/inbox/?view=all"})
    assert (here.status_code, here["Location"]) == (302, "/inbox/?view=all")
    away = client.post(url, {"status": "away", "back": "1"}, headers={"Referer": "https://evil.example/phish"})
    assert away["Location"] == "/routing/status/"
    assert client.post(url, {"status": "away", "next": "//evil.example/x"})["Location"] == "/routing/status/"
