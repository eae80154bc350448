"""Seeing: every list, search, board, rate and queue shows an actor exactly what the rule lets them see, on the pages
and in the API alike (test_matrix.py checks single objects; this checks what lists leak)."""

from __future__ import annotations

from typing import Any

import pytest

from lofte.notifications.selectors import notification_list, notification_unread_count
from tests.permissions.world import (
    AB,
    ADMIN,
    AGENT_A,
    AGENT_B,
    LEAD_A,
    NONE,
    QA_A,
    STAFF,
    A,
    B,
    T,
    World,
    sees,
)

CASE_KEYS = (A, B, T)


def page(w: World, actor: str, url: str) -> str:
    response = w.client(actor).get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def api(w: World, actor: str, url: str) -> Any:
    response = w.client(actor).get(f"/api/v1{url}", headers=w.api_headers(actor))
    assert response.status_code == 200, url
    return response.json()


def shown(w: World, html: str) -> set[str]:
    """Which of the world's cases (A, B, T) a page names."""
    return {key for key in CASE_KEYS if w.cases[key].reference in html}


def visible(actor: str, keys: tuple[str, ...] = CASE_KEYS) -> set[str]:
    return {key for key in keys if sees(actor, key)}


@pytest.mark.parametrize("actor", STAFF)
def test_the_inbox_lists_the_cases_the_actor_sees(w: World, actor: str) -> None:
    html = page(w, actor, "/inbox/?view=all&status=all")
    assert shown(w, html) == visible(actor)
    assert ("Shared in A" in html, "Shared in B" in html) == (sees(actor, A), sees(actor, B))


@pytest.mark.parametrize("actor", STAFF)
def test_search_finds_only_what_the_actor_sees(w: World, actor: str) -> None:
    for key in CASE_KEYS:
        case = w.cases[key]
        email = case.customer.identities.get(kind="email").value
        for q in (case.reference, case.subject, case.customer.name, email):
            # the list itself (the full page repeats the query in the search box)
            response = w.client(actor).get(f"/inbox/?q={q}", headers={"HX-Request": "true", "HX-Target": "case-list"})
            html = response.content.decode()
            assert shown(w, html) == ({key} if sees(actor, key) else set()), (actor, q)
            found = {c["reference"] for c in api(w, actor, f"/cases?q={q}&status=all")["items"]}
            # the twin (the same customer's other case, in the same place) may match too, and only then
            twin = w.twins[key].reference
            assert found - {twin} == ({case.reference} if sees(actor, key) else set()), (actor, q)
            assert twin not in found or sees(actor, key), (actor, q)


@pytest.mark.parametrize("actor", STAFF)
def test_the_api_case_list_has_the_cases_the_actor_sees(w: World, actor: str) -> None:
    items = api(w, actor, "/cases?view=all&status=all&limit=100")["items"]
    references = {c["reference"] for c in items}
    assert {key for key in CASE_KEYS if w.cases[key].reference in references} == visible(actor)
    # each visible case's twin (the same customer's other case), and the shared customer's
    assert {c["reference"] for c in items} >= {w.twins[key].reference for key in visible(actor)}
    assert len(items) == 2 * len(visible(actor)) + sees(actor, A) + sees(actor, B)


@pytest.mark.parametrize("actor", STAFF)
def test_customers_follow_their_cases_in_the_list_and_the_api(w: World, actor: str) -> None:
    keys = (A, B, T, AB, NONE)
    expected = {w.customers[k].name for k in keys if sees(actor, k)}
    html = page(w, actor, "/customers/")
    assert {w.customers[k].name for k in keys if w.customers[k].name in html} == expected
    items = api(w, actor, "/customers?limit=100")["items"]
    assert {c["name"] for c in items} == expected
    for key in keys:  # a search by address finds another team's customer no more than the list does
        email = w.customers[key].identities.get(kind="email").value
        assert [c["name"] for c in api(w, actor, f"/customers?q={email}")["items"]] == (
            [w.customers[key].name] if sees(actor, key) else []
        )


@pytest.mark.parametrize("actor", STAFF)
def test_a_customers_page_lists_only_their_cases_the_actor_sees(w: World, actor: str) -> None:
    html = page(w, actor, f"/customers/{w.customers[AB].pk}/")
    assert ("Shared in A" in html, "Shared in B" in html) == (sees(actor, A), sees(actor, B))


@pytest.mark.parametrize("actor", STAFF)
def test_the_board_shows_the_promises_of_cases_the_actor_sees(w: World, actor: str) -> None:
    for url in ("/promises/", f"/promises/?team={w.team_b.pk}", f"/promises/?team={w.team_a.pk}"):
        assert shown(w, page(w, actor, url)) <= visible(actor)
    assert shown(w, page(w, actor, "/promises/")) == visible(actor)


KEPT_BY_TEAM = {A: (2, 2), B: (2, 2), T: (1, 1)}  # kept, broken: world._decided, per case's owning team


@pytest.mark.parametrize("actor", STAFF)
def test_kept_rates_count_only_the_promises_the_actor_sees(w: World, actor: str) -> None:
    team_ids = {A: w.team_a.pk, B: w.team_b.pk, T: None}
    rows = api(w, actor, "/promises/kept-rate?by=team")["rows"]
    assert {r["key"]: (r["kept"], r["broken"]) for r in rows} == {team_ids[k]: KEPT_BY_TEAM[k] for k in visible(actor)}
    html = page(w, actor, "/promises/kept-rate?by=team")
    assert ("Team A" in html, "Team B" in html) == (sees(actor, A), sees(actor, B))


@pytest.mark.parametrize("actor", STAFF)
def test_etas_held_count_only_the_promises_the_actor_sees(w: World, actor: str) -> None:
    n = len(visible(actor))
    total = api(w, actor, "/promises/eta-held")["total"]
    assert (total["held"], total["missed"]) == (n, n)
    of_b = api(w, actor, f"/promises/eta-held?team={w.team_b.pk}")["total"]
    assert (of_b["held"], of_b["missed"]) == ((1, 1) if sees(actor, B) else (0, 0))


@pytest.mark.parametrize("actor", STAFF)
def test_callbacks_kept_count_only_the_callbacks_the_actor_sees(w: World, actor: str) -> None:
    expected = sorted(
        (team.pk, 1, 0, 1) for key, team in ((A, w.team_a), (B, w.team_b)) if sees(actor, key)
    )  # on time, late, not reached
    from_api = api(w, actor, "/callbacks/kept")
    assert sorted((r["team"], r["on_time"], r["late"], r["broken"]) for r in from_api) == expected
    as_json = w.client(actor).get("/callbacks/kept.json").json()["teams"]
    assert sorted((r["team"], r["on_time"], r["late"], r["broken"]) for r in as_json) == expected


@pytest.mark.parametrize("actor", STAFF)
def test_the_callback_queue_lists_the_callbacks_the_actor_sees(w: World, actor: str) -> None:
    expected = visible(actor, (A, B))
    assert shown(w, page(w, actor, "/callbacks/")) == expected
    listed = {c["id"] for c in api(w, actor, "/callbacks")}
    assert listed == {w.callbacks[k].pk for k in expected}


@pytest.mark.parametrize("actor", STAFF)
def test_notifications_are_the_agents_own(w: World, actor: str) -> None:
    html = page(w, actor, "/notifications/")
    own = w.notifications[actor]
    others = [n for a, n in w.notifications.items() if a != actor]
    assert own.text in html
    assert not [n.text for n in others if n.text != own.text and n.text in html]


def test_a_notification_about_a_case_the_agent_no_longer_sees_is_not_shown(w: World) -> None:
    """Agent A was told about a promise on a case that has since gone to team B: the case's reference, kind and
    time leave with it (the bell's count too)."""
    agent = w.agents[AGENT_A]
    assert w.stale_notification is not None
    assert [n.pk for n in notification_list(agent=agent)] == [w.notifications[AGENT_A].pk]
    assert notification_unread_count(agent=agent) == 1
    html = page(w, AGENT_A, "/notifications/")
    assert w.cases[B].reference not in html
    assert '<span class="count">1</span>' in html
    # the same notification, once the case is back in sight, is there again
    w.cases[B].__class__.objects.filter(pk=w.cases[B].pk).update(assignee=agent)
    assert [n.pk for n in notification_list(agent=agent)] == [w.stale_notification.pk, w.notifications[AGENT_A].pk]
    assert notification_unread_count(agent=agent) == 2


def test_the_notification_list_costs_the_same_queries_for_5_and_50(w: World, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    from lofte.notifications.models import Notification

    agent = w.agents[AGENT_A]

    def add(n: int, start: int) -> None:
        Notification.objects.bulk_create(
            Notification(
                agent=agent,
                kind="promise_reminder",
                text=f"Reminder {i}",
                url=f"/cases/{w.cases[A if i % 2 else B].reference}/",
                dedupe_key=f"bulk:{i}",
            )
            for i in range(start, start + n)
        )

    add(5, 0)
    with django_assert_num_queries(1):
        five = notification_list(agent=agent)
    add(45, 5)
    with django_assert_num_queries(1):
        fifty = notification_list(agent=agent)
    assert (len(five), len(fifty)) == (1 + 2, 1 + 25)  # its own, and those about case A; none about B


@pytest.mark.parametrize("actor", STAFF)
def test_me_is_the_actor(w: World, actor: str) -> None:
    me = api(w, actor, "/me")
    agent = w.agents[actor]
    roles = {AGENT_A: "agent", LEAD_A: "team_lead", QA_A: "qa_reviewer", ADMIN: "admin", AGENT_B: "agent"}
    assert (me["id"], me["email"], me["role"]) == (agent.pk, agent.email, roles[actor])
    assert [t["name"] for t in me["teams"]] == [t.name for t in agent.teams.all()]
