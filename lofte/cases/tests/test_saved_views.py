"""Saved views: an agent's own or a team's, their filters checked when saved, counted in one query through each
agent's own visibility; one someone may not use is not found; the sidebar, the form and the API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lofte.accounts.models import Role
from lofte.accounts.tests.api_client import Api
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases import saved_views, services
from lofte.cases.models import SavedView
from lofte.cases.tests.factories import make_case
from lofte.core.errors import NotFound, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def lead(team):  # type: ignore[no-untyped-def]
    return AgentFactory(email="lead@example.com", name="Lea Lead", role=Role.TEAM_LEAD, teams=[team])


@pytest.fixture
def invoices(agent, team, other_team, customer):  # type: ignore[no-untyped-def]
    """Two cases tagged faktura in Support, one in Billing."""
    made = []
    for subject, where in (("Faktura 1", team), ("Faktura 2", team), ("Billing's faktura", other_team)):
        case = make_case(customer=customer, subject=subject, team=where)
        services.case_update(case=case, actor=agent, tags=["faktura"])
        made.append(case)
    return made


def names(agent) -> list[str]:  # type: ignore[no-untyped-def]
    return [v.name for v in saved_views.saved_views_for_agent(agent=agent)]


class TestService:
    def test_the_filters_are_kept_and_checked(self, agent):
        view = saved_views.saved_view_create(
            agent=agent, name="  Fakturor ", query="?view=all&tag=faktura&cursor=abc&evil=1&status="
        )
        assert (view.name, view.query, view.owner_id, view.team_id) == (
            "Fakturor",
            "view=all&tag=faktura",
            agent.pk,
            None,
        )
        with pytest.raises(ValidationFailed, match="'soon' is not a view"):
            saved_views.saved_view_create(agent=agent, name="Bad", query="view=soon")
        with pytest.raises(ValidationFailed, match="Give the view a name"):
            saved_views.saved_view_create(agent=agent, name=" ", query="view=all")
        assert SavedView.objects.count() == 1

    def test_at_most_25_each(self, agent):
        SavedView.objects.bulk_create([SavedView(name=f"V{i}", query="view=all", owner=agent) for i in range(25)])
        with pytest.raises(ValidationFailed, match="There are 25 saved views already"):
            saved_views.saved_view_create(agent=agent, name="One more", query="view=all")
        assert SavedView.objects.count() == 25

    def test_own_and_teams_only(self, agent, lead, outsider, team):
        saved_views.saved_view_create(agent=agent, name="Alma's", query="view=all")
        saved_views.saved_view_create(agent=lead, name="Support's", query="view=all", team=team)
        assert names(agent) == ["Alma's", "Support's"]
        assert names(lead) == ["Support's"]
        assert names(outsider) == []
        own = SavedView.objects.get(name="Alma's")
        with pytest.raises(NotFound):
            saved_views.saved_view_get_for_agent(agent=lead, view_id=own.pk)

    def test_only_a_lead_shares_with_their_team(self, agent, lead, team, other_team):
        with pytest.raises(PermissionDenied, match="leads and admins"):
            saved_views.saved_view_create(agent=agent, name="Shared", query="view=all", team=team)
        with pytest.raises(PermissionDenied):
            saved_views.saved_view_create(agent=lead, name="Billing's", query="view=all", team=other_team)
        assert SavedView.objects.count() == 0

    def test_members_use_the_teams_view_and_only_leads_delete_it(self, agent, lead, team):
        shared = saved_views.saved_view_create(agent=lead, name="Support's", query="view=all", team=team)
        with pytest.raises(PermissionDenied):
            saved_views.saved_view_delete(agent=agent, view=shared)
        saved_views.saved_view_delete(agent=lead, view=shared)
        assert SavedView.objects.count() == 0

    def test_a_shared_view_counts_what_each_member_sees(self, agent, lead, outsider, team, other_team, invoices):
        shared = saved_views.saved_view_create(agent=lead, name="Fakturor", query="view=all&tag=faktura", team=team)
        assert saved_views.saved_view_counts(agent=agent, views=[shared]) == {shared.pk: 2}
        outsider.teams.add(team)  # a member of both teams now sees Billing's case too
        assert saved_views.saved_view_counts(agent=outsider, views=[shared]) == {shared.pk: 3}

    def test_one_query_for_every_saved_view(self, agent, invoices):
        views = [
            saved_views.saved_view_create(agent=agent, name=f"V{i}", query=query)
            for i, query in enumerate(["view=all&tag=faktura", "view=all&status=all", "view=mine", "q=faktura"])
        ]
        saved_views.saved_view_counts(agent=agent, views=views)  # PostgreSQL reads a search's words once a process
        with CaptureQueriesContext(connection) as captured:
            counts = saved_views.saved_view_counts(agent=agent, views=views)
        assert len(captured) <= 2, [q["sql"][:200] for q in captured]  # the agent's teams, and the counts
        assert list(counts.values()) == [2, 2, 2, 2]


class TestPages:
    def test_save_from_the_inbox_and_find_it_in_the_sidebar(self, client, agent, invoices):
        client.force_login(agent)
        response = client.post(reverse("cases:view_save"), {"name": "Fakturor", "query": "view=all&tag=faktura"})
        assert response.status_code == 302 and response["Location"] == "/inbox/?view=all&tag=faktura"
        view = SavedView.objects.get()
        html = client.get(reverse("cases:views"), {"view": "all"}, HTTP_HX_REQUEST="true").content.decode()
        assert (
            '<a href="/inbox/?view=all&amp;tag=faktura"><span>Fakturor</span> <span class="count">2</span></a>' in html
        )
        assert reverse("cases:view_delete", args=[view.pk]) in html
        page = client.get(response["Location"]).content.decode()
        assert "The view Fakturor is saved." in page and "<span>Fakturor</span>" in page

    def test_an_agent_cannot_share_and_a_bad_name_is_said(self, client, agent, team):
        client.force_login(agent)
        response = client.post(reverse("cases:view_save"), {"name": "x", "query": "view=all", "team": team.pk})
        assert response.status_code == 403
        response = client.post(reverse("cases:view_save"), {"name": "", "query": "view=all"}, follow=True)
        assert "Give the view a name." in response.content.decode()
        assert SavedView.objects.count() == 0

    def test_deleting_someone_elses_is_not_found(self, client, agent, lead, team):
        theirs = saved_views.saved_view_create(agent=lead, name="Lea's", query="view=all")
        shared = saved_views.saved_view_create(agent=lead, name="Support's", query="view=all", team=team)
        client.force_login(agent)
        assert client.post(reverse("cases:view_delete", args=[theirs.pk])).status_code == 404
        assert client.post(reverse("cases:view_delete", args=[shared.pk])).status_code == 403
        assert SavedView.objects.count() == 2


class TestApi:
    def test_list_create_delete(self, agent, invoices):
        api = Api(agent)
        created = api.post("/views", {"name": "Fakturor", "query": "view=all&tag=faktura"})
        assert created.status_code == 201
        body = created.json()
        assert (body["label"], body["count"], body["query"], body["team"]) == (
            "Fakturor",
            2,
            "view=all&tag=faktura",
            None,
        )
        listed = api.get("/views").json()
        assert listed[-1]["key"] == f"saved:{body['id']}" and listed[0]["key"] == "mine"
        assert api.delete(f"/views/{body['id']}").status_code == 204
        assert SavedView.objects.count() == 0

    def test_a_bad_query_is_422_naming_the_field(self, agent):
        response = Api(agent).post("/views", {"name": "x", "query": "status=lost"})
        assert (response.status_code, response.json()["field"]) == (422, "status")

    def test_someone_elses_is_404(self, agent, lead):
        theirs = saved_views.saved_view_create(agent=lead, name="Lea's", query="view=all")
        assert Api(agent).delete(f"/views/{theirs.pk}").status_code == 404
        assert SavedView.objects.count() == 1
