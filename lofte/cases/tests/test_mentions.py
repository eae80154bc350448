"""@mentions in internal notes notify the agents named, who may see the case, in their own language; by email when
their settings say so; never the author, never an agent of another team."""

from __future__ import annotations

import pytest
from django.utils.text import slugify

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases import services
from lofte.cases.mentions import mention_tokens, mentioned_agents
from lofte.notifications.models import Notification
from lofte.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_tokens_are_names_after_an_at_and_never_an_email_address():
    assert mention_tokens("Hej @Sara och @erik.berg. Skriv till kund@example.se, @billing!") == {
        "sara",
        "erik.berg",
        "billing",
    }


def test_the_named_agents_are_notified_in_their_language_and_by_their_settings(case, agent, team):
    sara = AgentFactory(email="sara.lind@example.se", name="Sara Lind", teams=[team], language="sv")
    erik = AgentFactory(email="erik@example.se", name="Erik Berg", teams=[team], language="en", email_mentions=False)
    services.case_note_add(case=case, author=agent, body="@sara kan du ringa? @ErikBerg fyi. @alma (me)")
    rows = {n.agent_id: n for n in Notification.objects.filter(kind="mention")}
    assert set(rows) == {sara.pk, erik.pk}
    assert rows[sara.pk].text.startswith(f"Alma Agent nämnde dig på {case.reference}: @sara kan du ringa?")
    assert rows[erik.pk].text.startswith(f"Alma Agent mentioned you on {case.reference}:")
    assert rows[sara.pk].url == f"/cases/{case.reference}/"
    assert list(OutboxMessage.objects.values_list("to", flat=True)) == ["sara.lind@example.se"]


def test_an_agent_who_cannot_see_the_case_is_not_told(case, agent, outsider, other_team):
    services.case_note_add(case=case, author=agent, body="@otto @outsider @billing, look at this")
    assert not Notification.objects.filter(kind="mention").exists()
    assert mentioned_agents(case=case, body="@otto", author=agent) == []


def test_a_team_mention_tells_its_members_who_see_the_case(case, agent, team):
    member = AgentFactory(name="Mia Medlem", teams=[team])
    admin = AgentFactory(name="Ada Admin", role=Role.ADMIN, teams=[TeamFactory(name="Ops")])
    assert mentioned_agents(case=case, body="@support", author=agent) == [member]
    assert mentioned_agents(case=case, body="@ops", author=agent) == [admin]  # admins see every case


def test_an_ambiguous_first_name_mentions_nobody(case, agent, team):
    AgentFactory(email="a1@example.se", name="Kim Ek", teams=[team])
    AgentFactory(email="a2@example.se", name="Kim Al", teams=[team])
    assert mentioned_agents(case=case, body="@kim", author=agent) == []
    assert [a.email for a in mentioned_agents(case=case, body="@kim.al", author=agent)] == ["a2@example.se"]


class TestCandidates:
    """What the note box offers after "@": colleagues who may see the case, never others, never the author."""

    def url(self, case) -> str:  # type: ignore[no-untyped-def]
        from django.urls import reverse

        return reverse("cases:mentions", args=[case.reference])

    def test_only_those_who_may_see_the_case(self, client, case, agent, team):  # type: ignore[no-untyped-def]
        from lofte.accounts.models import Agent, Team

        sara = Agent.objects.create_user(email="sara@lofte.example", password="x", name="Sara Lind")
        team.agents.add(sara)
        other_team = Team.objects.create(name="Elsewhere")
        stranger = Agent.objects.create_user(email="sam@lofte.example", password="x", name="Sam Secret")
        other_team.agents.add(stranger)
        client.force_login(agent)
        found = client.get(self.url(case), {"q": "s"}).json()["candidates"]
        assert {"handle": "sara", "label": "Sara Lind", "kind": "agent"} in found
        assert all(c["handle"] != "sam" for c in found)  # another team's agent is never named
        assert all(c["label"] != "Elsewhere" for c in found)
        assert all(c["handle"] != agent.email.split("@")[0] for c in client.get(self.url(case)).json()["candidates"])
        by_last_name = client.get(self.url(case), {"q": "lin"}).json()["candidates"]
        assert [c["handle"] for c in by_last_name] == ["sara"]
        teams = client.get(self.url(case), {"q": team.name[:3]}).json()["candidates"]
        assert {"handle": slugify(team.name), "label": team.name, "kind": "team"} in teams

    def test_a_case_the_agent_may_not_see_answers_404(self, client, case):  # type: ignore[no-untyped-def]
        from lofte.accounts.models import Agent, Team

        outsider = Agent.objects.create_user(email="olle@lofte.example", password="x", name="Olle")
        Team.objects.create(name="Other").agents.add(outsider)
        client.force_login(outsider)
        assert client.get(self.url(case), {"q": "s"}).status_code == 404
        client.logout()
        assert client.get(self.url(case), {"q": "s"}).status_code == 302
