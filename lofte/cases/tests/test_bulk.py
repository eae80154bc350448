"""Bulk work: one change over the selected cases, each through the rules of one at a time, in one transaction;
what the agent may not see is "not found" and stays as it was; the inbox's bulk form and the API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lofte.accounts.models import Role
from lofte.accounts.tests.api_client import Api
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases import services
from lofte.cases.bulk import KEEP, BulkChange, cases_bulk_update
from lofte.cases.models import Case, CaseEvent, EventKind, Status
from lofte.cases.tests.factories import make_case
from lofte.core.errors import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cases(team, customer) -> list[Case]:  # type: ignore[no-untyped-def]
    return [make_case(customer=customer, team=team, subject=f"Fråga {i}") for i in range(3)]


def state(case: Case) -> tuple:
    case = Case.objects.get(pk=case.pk)
    return (
        case.status,
        case.assignee_id,
        case.team_id,
        sorted(t.name for t in case.tags.all()),
        CaseEvent.objects.filter(case=case).count(),
    )


def refs(cases: list[Case]) -> list[str]:
    return [c.reference for c in cases]


class TestService:
    def test_each_case_changed_with_one_event_per_change(self, agent, cases, other_team):
        change = BulkChange(status=Status.OPEN, assignee=agent, team=other_team, add_tags=("Faktura",))
        result = cases_bulk_update(agent=agent, references=refs(cases), change=change)
        assert (result.updated, result.unchanged, result.skipped) == (refs(cases), [], [])
        for case in cases:
            assert state(case)[:4] == (Status.OPEN, agent.pk, other_team.pk, ["faktura"])
            kinds = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", flat=True))[-4:]
            assert sorted(kinds) == sorted(
                [EventKind.TEAM_CHANGED, EventKind.TAGS_CHANGED, EventKind.STATUS_CHANGED, EventKind.ASSIGNED]
            )

    def test_closed_unchanged_and_refused_are_told_apart(self, agent, cases):
        closed, already, fresh = cases
        services.case_update(case=closed, actor=agent, status=Status.SOLVED)
        services.case_transition(case=closed, actor=agent, status=Status.CLOSED)
        services.case_update(case=already, actor=agent, status=Status.OPEN)
        services.case_update(case=already, actor=agent, status=Status.SOLVED)
        before = [state(c) for c in (closed, already)]
        result = cases_bulk_update(agent=agent, references=refs(cases), change=BulkChange(status=Status.SOLVED))
        assert result.updated == [fresh.reference]
        assert result.unchanged == [already.reference]
        assert result.skipped == [(closed.reference, "closed")]
        assert [state(c) for c in (closed, already)] == before

    def test_a_refused_change_skips_that_case_and_changes_the_others(self, agent, cases):
        stuck, *others = cases
        services.case_update(case=stuck, actor=agent, status=Status.SOLVED)
        # solved cannot go to waiting on a third party; new and open can
        result = cases_bulk_update(
            agent=agent, references=refs(cases), change=BulkChange(status=Status.WAITING_ON_THIRD_PARTY)
        )
        assert result.updated == refs(others)
        assert result.skipped == [(stuck.reference, "A case cannot go from Solved to Waiting on third party.")]
        assert state(stuck)[0] == Status.SOLVED

    def test_cases_one_may_not_see_are_not_found_and_stay_as_they_were(self, outsider, cases, other_team):
        theirs = make_case(customer=cases[0].customer, team=other_team, subject="Billing's")
        before = [state(c) for c in cases]
        result = cases_bulk_update(
            agent=outsider,
            references=[*refs(cases), theirs.reference, "LF-1999-999999"],
            change=BulkChange(status="open"),
        )
        assert result.updated == [theirs.reference]
        assert result.skipped == [(c.reference, "not found") for c in cases] + [("LF-1999-999999", "not found")]
        assert [state(c) for c in cases] == before

    def test_tags_added_and_removed(self, agent, cases):
        services.case_update(case=cases[0], actor=agent, tags=["gammal", "vip"])
        cases_bulk_update(
            agent=agent, references=refs(cases[:2]), change=BulkChange(add_tags=("ny",), remove_tags=("gammal",))
        )
        assert state(cases[0])[3] == ["ny", "vip"]
        assert state(cases[1])[3] == ["ny"]

    @pytest.mark.parametrize(
        ("references", "change", "message"),
        [
            ([], BulkChange(status="open"), "Select at least one case."),
            (["X"] * 1 + [f"LF-{i}" for i in range(500)], BulkChange(status="open"), "at most 500 cases"),
            (["LF-1"], BulkChange(), "Choose what to change"),
            (["LF-1"], BulkChange(status="done"), "'done' is not a status."),
            (["LF-1"], BulkChange(add_tags=("a",), remove_tags=("A",)), "both added and removed: a"),
        ],
    )
    def test_bad_requests_change_nothing(self, agent, cases, references, change, message):
        before = [state(c) for c in cases]
        with pytest.raises(ValidationFailed, match=message):
            cases_bulk_update(agent=agent, references=references, change=change)
        assert [state(c) for c in cases] == before

    def test_a_reviewer_changes_nothing(self, team, cases):
        reviewer = AgentFactory(role=Role.QA_REVIEWER, teams=[team])
        before = [state(c) for c in cases]
        with pytest.raises(PermissionDenied, match="QA reviewer"):
            cases_bulk_update(agent=reviewer, references=refs(cases), change=BulkChange(status="open"))
        assert [state(c) for c in cases] == before

    def test_keep_is_not_none(self, agent, cases):
        services.case_update(case=cases[0], actor=agent, assignee=agent)
        cases_bulk_update(agent=agent, references=refs(cases[:1]), change=BulkChange(status="open", assignee=KEEP))
        assert state(cases[0])[1] == agent.pk
        cases_bulk_update(agent=agent, references=refs(cases[:1]), change=BulkChange(assignee=None))
        assert state(cases[0])[1] is None

    def test_queries_grow_by_a_bounded_number_per_case(self, agent, team, customer):
        def queries(n: int) -> int:
            selection = [make_case(customer=customer, team=team, subject=f"Q{n}-{i}") for i in range(n)]
            with CaptureQueriesContext(connection) as captured:
                cases_bulk_update(agent=agent, references=refs(selection), change=BulkChange(status="open"))
            return len(captured)

        five, fifteen = queries(5), queries(15)
        per_case = (fifteen - five) / 10
        assert per_case <= 12, per_case
        assert five - 5 * per_case <= 10  # and a fixed part for the selection


@pytest.fixture
def client_agent(client: Client, agent) -> Client:
    client.force_login(agent)
    return client


class TestInbox:
    def test_rows_have_boxes_for_the_bulk_form(self, client_agent, cases):
        html = client_agent.get(reverse("cases:inbox")).content.decode()
        assert '<form id="bulk"' in html
        assert f'<input type="checkbox" name="cases" value="{cases[0].reference}" form="bulk"' in html

    def test_a_reviewer_has_no_boxes(self, client, team, cases):
        client.force_login(AgentFactory(role=Role.QA_REVIEWER, teams=[team]))
        html = client.get(reverse("cases:inbox")).content.decode()
        assert '<form id="bulk"' not in html and 'name="cases"' not in html

    def test_the_form_answers_the_list_with_what_happened(self, client_agent, agent, cases):
        response = client_agent.post(
            reverse("cases:bulk"),
            {"cases": refs(cases[:2]), "set_assignee": "me", "set_status": "", "view": "all", "q": ""},
            **HX,
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert '<div id="case-list">' in html and "<html" not in html
        assert "2 cases updated." in html
        assert [state(c)[1] for c in cases] == [agent.pk, agent.pk, None]

    def test_without_javascript_it_redirects_to_the_inbox_with_the_filters(self, client_agent, cases):
        response = client_agent.post(reverse("cases:bulk"), {"cases": refs(cases), "set_status": "open", "view": "all"})
        assert response.status_code == 302
        assert response["Location"] == "/inbox/?view=all"
        page = client_agent.get(response["Location"]).content.decode()
        assert "3 cases updated." in page

    def test_an_error_names_it_and_changes_nothing(self, client_agent, cases):
        before = [state(c) for c in cases]
        response = client_agent.post(reverse("cases:bulk"), {"cases": refs(cases), "set_team": "999"}, **HX)
        assert response.status_code == 422
        assert "There is no team 999." in response.content.decode()
        assert [state(c) for c in cases] == before

    def test_assigning_to_a_reviewer_is_refused(self, client_agent, team, cases):
        reviewer = AgentFactory(role=Role.QA_REVIEWER, teams=[team], name="Quinn")
        response = client_agent.post(reverse("cases:bulk"), {"cases": refs(cases), "set_assignee": reviewer.pk}, **HX)
        assert response.status_code == 422
        assert "Quinn cannot be assigned cases" in response.content.decode()


class TestApi:
    def test_bulk(self, agent, cases, other_team):
        response = Api(agent).post(
            "/cases/bulk",
            {"cases": [*refs(cases), "LF-1999-999999"], "team": other_team.pk, "add_tags": ["faktura"]},
        )
        assert response.status_code == 200
        assert response.json() == {
            "updated": refs(cases),
            "unchanged": [],
            "skipped": [{"case": "LF-1999-999999", "reason": "not found"}],
        }
        assert all(state(c)[2:4] == (other_team.pk, ["faktura"]) for c in cases)

    def test_an_empty_change_is_422(self, agent, cases):
        response = Api(agent).post("/cases/bulk", {"cases": refs(cases)})
        assert response.status_code == 422
        assert response.json()["message"].startswith("Choose what to change")

    def test_a_reviewer_is_403(self, team, cases):
        before = [state(c) for c in cases]
        response = Api(AgentFactory(role=Role.QA_REVIEWER, teams=[team])).post(
            "/cases/bulk", {"cases": refs(cases), "status": "open"}
        )
        assert response.status_code == 403
        assert [state(c) for c in cases] == before
