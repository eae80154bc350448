"""The inbox's views: what each keeps, their counts in one query (the same cases the list shows), the sidebar and
the API; another team's cases are in no count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lofte.accounts.tests.api_client import Api
from lofte.cases import selectors, services
from lofte.cases.models import Case, Status
from lofte.cases.selectors import BUILTIN_VIEWS, CaseFilters, case_list_for_agent, view_counts
from lofte.cases.tests.factories import make_case
from lofte.core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(agent, team, other_team, customer):  # type: ignore[no-untyped-def]
    """One case for each view, and some for none."""
    now = clock.now()

    def case(subject: str, **kwargs) -> Case:  # type: ignore[no-untyped-def]
        return make_case(customer=customer, subject=subject, **kwargs)

    mine = case("Mine", team=team)
    services.case_update(case=mine, actor=agent, assignee=agent)
    team_unassigned = case("Nobody's in Support", team=team)
    triage = case("No team")
    due_soon = case("Due soon", team=team)
    services.case_promise_make(case=due_soon, author=agent, due_at=now + timedelta(minutes=30))
    broken = case("Broken", team=team)
    services.case_promise_make(case=broken, author=agent, due_at=now + timedelta(minutes=1))
    waiting = case("Waiting", team=team)
    services.case_update(case=waiting, actor=agent, status=Status.WAITING_ON_CUSTOMER)
    solved = case("Solved today", team=team)
    services.case_update(case=solved, actor=agent, status=Status.SOLVED)
    yesterday = case("Solved yesterday", team=team)
    services.case_update(case=yesterday, actor=agent, status=Status.SOLVED)
    Case.objects.filter(pk=yesterday.pk).update(solved_at=now - timedelta(days=1, hours=1))
    closed = case("Closed", team=team)
    services.case_update(case=closed, actor=agent, status=Status.SOLVED)
    services.case_transition(case=closed, actor=agent, status=Status.CLOSED)
    billing = case("Billing's", team=other_team)
    # the promise on `broken` is overdue from here on; first responses are due hours away
    Case.objects.filter(pk=broken.pk).update(next_due_at=now - timedelta(minutes=5))
    return locals()


def counts(agent) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {v.key: v.count for v in view_counts(agent=agent)}


def listed(agent, view: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {c.subject for c in case_list_for_agent(agent=agent, filters=CaseFilters(view=view), limit=100).items}


class TestViews:
    def test_each_view_keeps_its_cases(self, agent, desk):
        assert listed(agent, "team_unassigned") == {"Nobody's in Support", "Due soon", "Broken", "Waiting"}
        assert listed(agent, "triage") == {"No team"}
        assert listed(agent, "due_soon") == {"Due soon"}
        assert listed(agent, "broken") == {"Broken"}
        assert listed(agent, "waiting") == {"Waiting"}
        assert listed(agent, "solved_today") == {"Solved today"}

    def test_the_counts_are_what_the_lists_show(self, agent, desk):
        found = counts(agent)
        assert list(found) == [key for key, _label in BUILTIN_VIEWS]
        for key in found:
            assert found[key] == len(listed(agent, key)), key
        assert found["all"] == 6  # the open ones: not solved, not closed, not Billing's

    def test_another_teams_cases_are_in_no_count(self, outsider, desk):
        found = counts(outsider)
        assert found["all"] == 2  # Billing's, and the case with no team
        assert found["solved_today"] == 0 and found["waiting"] == 0

    def test_one_query_however_many_cases(self, agent, desk, team, customer):
        def queries() -> int:
            agent_fresh = type(agent).objects.get(pk=agent.pk)  # no team ids cached
            with CaptureQueriesContext(connection) as captured:
                view_counts(agent=agent_fresh)
            return len(captured)

        few = queries()
        for i in range(10):
            make_case(customer=customer, subject=f"More {i}", team=team)
        assert queries() == few <= 2  # the agent's teams, and the counts


class TestPages:
    def test_the_sidebar_links_the_views_and_fetches_their_counts(self, client, agent, desk, monkeypatch):
        client.force_login(agent)

        def not_on_the_page(**kwargs):  # type: ignore[no-untyped-def]
            raise AssertionError("the page counted the views: the list waits for them")

        monkeypatch.setattr(selectors, "view_counts", not_on_the_page)
        html = client.get(reverse("cases:inbox"), {"view": "broken"}).content.decode()
        assert (
            '<a href="/inbox/?view=broken" aria-current="page" data-view="broken"><span>Broken promises</span> '
            '<span class="count"></span></a>' in html
        )
        assert 'hx-trigger="load, every 30s, bulk-done from:body"' in html
        assert '<option value="solved_today" >Solved today</option>' in html  # and in the filters' select

    def test_the_sidebar_refreshes_itself(self, client, agent, desk):
        client.force_login(agent)
        response = client.get(reverse("cases:views"), {"view": "mine"}, HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert response.status_code == 200 and "<html" not in html
        assert 'data-view="triage"><span>No team yet</span> <span class="count">1</span>' in html

    def test_a_bulk_change_asks_the_counts_to_refresh(self, client, agent, desk):
        client.force_login(agent)
        response = client.post(
            reverse("cases:bulk"),
            {"cases": [desk["triage"].reference], "set_team": desk["team"].pk},
            HTTP_HX_REQUEST="true",
        )
        assert response["HX-Trigger"] == "bulk-done"
        assert counts(agent)["triage"] == 0


def test_the_api_lists_the_views_with_counts(agent, desk):
    body = Api(agent).get("/views").json()
    assert {v["key"]: v["count"] for v in body}["due_soon"] == 1
    assert body[0] == {
        "key": "mine",
        "label": "Mine",
        "count": counts(agent)["mine"],
        "id": None,
        "query": "view=mine",
        "team": None,
    }
    cases = Api(agent).get("/cases", {"view": "waiting"}).json()["items"]
    assert [c["subject"] for c in cases] == ["Waiting"]


def test_an_unknown_view_is_named(agent):
    with pytest.raises(Exception, match="'soon' is not a view"):
        selectors.case_list_for_agent(agent=agent, filters=CaseFilters(view="soon"))
