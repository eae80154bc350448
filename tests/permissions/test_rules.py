"""The edges of the rule that the matrix's single calls do not reach: who a case may be assigned to, cases filed for
another team, objects reached through another object's address, redirects, and a role without the board."""

from __future__ import annotations

import json

import pytest

from lofte.accounts import access
from lofte.accounts.models import Role
from lofte.cases.models import Case
from tests.permissions import snapshot
from tests.permissions.world import ADMIN, AGENT_A, AGENT_B, LEAD_A, QA_A, A, B, T, World


def api_send(w: World, actor: str, method: str, url: str, body: object):  # type: ignore[no-untyped-def]
    return w.client(actor).generic(
        method, f"/api/v1{url}", json.dumps(body), content_type="application/json", headers=w.api_headers(actor)
    )


# --- who a case may be assigned to ----------------------------------------------------------------


@pytest.mark.parametrize("via", ["page", "api patch", "api create"])
def test_a_case_cannot_be_assigned_to_a_qa_reviewer(w: World, via: str) -> None:
    """A QA reviewer only reads: as an assignee they would own replies and promises they may not work on."""
    qa = w.agents[QA_A]
    before = snapshot.take()
    if via == "page":
        response = w.client(AGENT_A).post(f"/cases/{w.cases[A].reference}/assign", {"assignee": str(qa.pk)})
        assert response.status_code == 422
        assert "cannot be assigned cases" in response.content.decode()
    elif via == "api patch":
        response = api_send(w, AGENT_A, "PATCH", f"/cases/{w.cases[A].reference}", {"assignee": qa.pk})
        assert (response.status_code, response.json()["field"]) == (422, "assignee")
    else:
        body = {"subject": "S", "body": "B", "customer": {"email": "x@kund.example"}, "assignee": qa.pk}
        response = api_send(w, AGENT_A, "POST", "/cases", body)
        assert (response.status_code, response.json()["field"]) == (422, "assignee")
    assert snapshot.changed(before, snapshot.take()) == []


def test_a_case_may_be_assigned_to_an_agent_of_another_team_who_then_sees_it(w: World) -> None:
    """Handing a case to a colleague elsewhere is allowed; the rule makes an assigned case visible to its assignee."""
    case = w.cases[A]
    other = w.agents[AGENT_B]
    assert w.client(AGENT_B).get(f"/cases/{case.reference}/").status_code == 404
    response = w.client(LEAD_A).post(f"/cases/{case.reference}/assign", {"assignee": str(other.pk)})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).assignee == other
    assert w.client(AGENT_B).get(f"/cases/{case.reference}/").status_code == 200


# --- a case filed for another team ----------------------------------------------------------------


def test_a_case_filed_for_a_team_the_agent_is_not_in_goes_to_the_inbox_not_a_404(w: World) -> None:
    data = {"name": "Walk In", "email": "walk.in@kund.example", "channel": "phone", "subject": "Billing question",
            "body": "About my bill.", "team": w.team_b.pk}  # fmt: skip
    response = w.client(AGENT_A).post("/cases/new/", data)
    case = Case.objects.get(subject="Billing question")
    assert (response.status_code, response["Location"], case.team) == (302, "/inbox/", w.team_b)
    assert w.client(AGENT_A).get(f"/cases/{case.reference}/").status_code == 404
    # with "assign to me" the agent keeps it in sight, and lands on its page
    response = w.client(AGENT_A).post("/cases/new/", {**data, "subject": "Mine now", "assign_to_me": "on"})
    mine = Case.objects.get(subject="Mine now")
    assert response["Location"] == f"/cases/{mine.reference}/"


def test_a_qa_reviewer_creating_a_case_is_told_why(w: World) -> None:
    before = snapshot.take()
    data = {"name": "N", "email": "n@kund.example", "channel": "phone", "subject": "S", "body": "B"}
    response = w.client(QA_A).post("/cases/new/", data)
    assert response.status_code == 403
    assert "QA reviewer" in response.content.decode()
    assert snapshot.changed(before, snapshot.take()) == []


# --- one object through another's address ---------------------------------------------------------


@pytest.mark.parametrize("decision", ["confirm", "dismiss"])
def test_another_customers_suggestion_through_a_visible_customers_address_is_not_found(w: World, decision: str) -> None:
    """Customer A is Agent A's, suggestion B is not: the pair is a 404, and nothing changes."""
    path = f"customers/{w.customers[A].pk}/suggestions/{w.suggestions[B].pk}/{decision}"
    before = snapshot.take()
    assert w.client(AGENT_A).post(f"/{path}").status_code == 404
    assert api_send(w, AGENT_A, "POST", f"/{path}", {}).status_code == 404
    assert snapshot.changed(before, snapshot.take()) == []


def test_another_cases_callback_logged_from_a_visible_case_is_not_found(w: World) -> None:
    before = snapshot.take()
    response = w.client(AGENT_B).post(f"/callbacks/{w.callbacks[A].pk}/attempt", {"outcome": "reached"})
    assert response.status_code == 404
    assert (
        api_send(w, AGENT_B, "POST", f"/callbacks/{w.callbacks[A].pk}/attempts", {"outcome": "reached"}).status_code
        == 404
    )
    assert snapshot.changed(before, snapshot.take()) == []


def test_a_call_on_a_case_the_agent_cannot_see_is_not_found_and_not_a_new_case(w: World) -> None:
    before = snapshot.take()
    data = {"direction": "out", "number": "070-444 44 44", "outcome": "answered", "case": w.cases[B].reference}
    response = w.client(AGENT_A).post("/callbacks/calls", {**data, "next": "/callbacks/"})
    assert response.status_code == 404
    assert w.cases[B].reference in response.content.decode()  # "Case … not found.", as for a mistyped one
    assert api_send(w, AGENT_A, "POST", "/calls", data).status_code == 404
    assert snapshot.changed(before, snapshot.take()) == []


# --- redirects ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/\\evil.example/", "//evil.example/", "https://evil.example/", "/\\/evil.example"])
def test_marking_read_never_sends_the_agent_to_another_site(w: World, target: str) -> None:
    response = w.client(AGENT_A).post("/notifications/read", {"next": target})
    assert (response.status_code, response["Location"]) == (302, "/notifications/")


def test_marking_read_goes_back_to_a_page_of_this_site(w: World) -> None:
    response = w.client(AGENT_A).post("/notifications/read", {"next": "/inbox/?view=all"})
    assert response["Location"] == "/inbox/?view=all"


# --- the board belongs to BOARD_VIEW -----------------------------------------------------------------


@pytest.fixture
def qa_without_board(monkeypatch):  # type: ignore[no-untyped-def]
    """Should a role lose the board, every surface of it refuses alike (all roles have it today)."""
    monkeypatch.setitem(access.ROLE_PERMS, Role.QA_REVIEWER, frozenset())


@pytest.mark.usefixtures("qa_without_board")
def test_every_board_surface_refuses_a_role_without_the_board(w: World) -> None:
    for url in ("/promises/", "/promises/kept-rate", "/callbacks/kept.json"):
        response = w.client(QA_A).get(url)
        assert response.status_code == 403, url
        assert "cannot see the promise board" in response.content.decode()
    for url in ("/promises/kept-rate", "/promises/eta-held", "/callbacks/kept"):
        response = w.client(QA_A).get(f"/api/v1{url}", headers=w.api_headers(QA_A))
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied"), url
    assert w.client(AGENT_A).get("/promises/").status_code == 200


# --- a 403 on a case action explains itself in the partial too --------------------------------------


def test_a_qa_reviewers_htmx_action_answers_403_with_the_reason(w: World) -> None:
    before = snapshot.take()
    response = w.client(QA_A).post(
        f"/cases/{w.cases[T].reference}/note", {"body": "Hi"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 403
    assert "can read cases but not change them" in response.content.decode()
    assert snapshot.changed(before, snapshot.take()) == []


def test_the_admin_sees_and_works_every_case(w: World) -> None:
    for key in (A, B, T):
        assert w.client(ADMIN).get(f"/cases/{w.cases[key].reference}/").status_code == 200


# --- the API with the browser's session answers as with a token ---------------------------------------


@pytest.mark.parametrize(
    ("actor", "method", "path", "status"),
    [
        (AGENT_A, "GET", "/cases/{B}", 404),
        (AGENT_B, "GET", "/cases/{B}", 200),
        (QA_A, "POST", "/cases/{A}/notes", 403),
        (QA_A, "POST", "/cases/{B}/notes", 404),
        (AGENT_A, "POST", "/calendars", 403),
    ],
)
def test_the_api_answers_a_session_as_it_answers_a_token(
    w: World, actor: str, method: str, path: str, status: int
) -> None:
    url = "/api/v1" + path.format(A=w.cases[A].reference, B=w.cases[B].reference)
    before = snapshot.take()
    body = json.dumps({"body": "Hi", "name": "X"})
    response = w.client(actor).generic(method, url, body, content_type="application/json")  # session cookie only
    assert response.status_code == status
    if method != "GET":
        assert snapshot.changed(before, snapshot.take()) == []


# --- the rule the team-settings rows will use ---------------------------------------------------------


def test_the_team_settings_rule_is_leads_of_the_team_and_admins() -> None:
    from tests.permissions.matrix import TEAM_SETTINGS, Row, expected
    from tests.permissions.world import ACTORS, ANON

    row = Row("POST", "/teams/<int:team_id>/settings", TEAM_SETTINGS, lambda w, o: "", objects=("A", "B"), ok=302)
    answers = {(actor, team): expected(row, actor, team).status for actor in ACTORS for team in ("A", "B")}
    assert {k for k, status in answers.items() if status == 302 and k[0] != ANON} == {
        (LEAD_A, "A"),
        (ADMIN, "A"),
        (ADMIN, "B"),
    }
    assert {status for (actor, _team), status in answers.items() if actor != ANON} == {302, 403}
