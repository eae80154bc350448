"""Promises about more than cases: a case, a callback, a customer (a check that outlives the case). The engine
makes, keeps, cancels and ticks them all alike, asks each subject's app how to name it, and imports none of
those apps."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

from lofte.cases import services as cases
from lofte.cases.models import CaseEvent, Status
from lofte.cases.tests.factories import make_case
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.notifications.models import Notification
from lofte.promises.models import Promise, PromiseKind, PromiseState
from lofte.promises.services import (
    promise_make,
    promise_make_about,
    promises_about,
    promises_about_cancel,
    promises_about_keep,
)
from lofte.promises.subjects import subject_types
from lofte.promises.tasks import promise_tick

pytestmark = pytest.mark.django_db
PROMISES = Path(settings.BASE_DIR) / "lofte" / "promises"


def test_the_apps_register_their_subjects():
    assert {s.name for s in subject_types()} >= {"case", "customer", "callback"}


def test_a_cases_own_promises_are_about_the_case(agent, team):
    case = make_case(team=team)
    promise = promise_make(case=case, due_at=clock.now() + timedelta(hours=2), created_by=agent, now=clock.now())
    assert (promise.subject_type, promise.subject_id, promise.case_id) == ("case", case.pk, case.pk)
    assert promises_about(subject_type="case", subject_id=case.pk) == [promise]


def test_a_check_on_the_customer_outlives_the_closed_case_and_is_ticked_like_any_promise(agent, team):
    # given: a solved and closed case; the agent promises to check in two weeks that it is really solved
    case = make_case(team=team, assignee=agent)
    cases.case_transition(case=case, actor=agent, status=Status.SOLVED)
    cases.case_transition(case=case, actor=agent, status=Status.CLOSED)
    now = clock.now()
    check = promise_make_about(
        subject_type="customer",
        subject_id=case.customer_id,
        kind=PromiseKind.FOLLOW_UP,
        due_at=now + timedelta(days=14),
        now=now,
        owner_agent_id=agent.pk,
        owner_team_id=team.pk,
        customer_text="Vi hör av oss om två veckor.",
        created_by=agent,
    )
    assert (check.case_id, check.state) == (None, PromiseState.PENDING)

    # when: the tick runs a day before (reminder) and after the due time (breach)
    with clock.at(now + timedelta(days=13, hours=23, minutes=50)):
        reminded = promise_tick.call()
    with clock.at(now + timedelta(days=14, minutes=1)):
        broken = promise_tick.call()

    # then: it was reminded and broken like any promise, and its owner told, with a link to the customer
    assert (reminded["reminded"], broken["broken"], broken["notices"]) == (1, 1, 0)
    check.refresh_from_db()
    assert check.state == PromiseState.BROKEN
    notes = Notification.objects.filter(agent=agent, kind__in=["promise_reminder", "promise_broken"])
    assert sorted(n.url for n in notes) == [f"/customers/{case.customer_id}/"] * 2
    assert all(f"#{case.customer_id}" in n.text for n in notes)
    # and no case event: the case's timeline is not where a customer's promise lives
    assert not CaseEvent.objects.filter(kind="promise_broken").exists()


def test_a_subjects_promises_are_kept_or_cancelled_together_and_only_theirs(agent, team):
    now = clock.now()
    mine = [
        promise_make_about(
            subject_type="customer", subject_id=7, kind=PromiseKind.FOLLOW_UP, due_at=now + timedelta(days=d), now=now
        )
        for d in (1, 2)
    ]
    other = promise_make_about(
        subject_type="customer", subject_id=8, kind=PromiseKind.FOLLOW_UP, due_at=now + timedelta(days=1), now=now
    )
    kept = promises_about_keep(subject_type="customer", subject_id=7, now=now + timedelta(hours=1))
    assert sorted(c.promise.pk for c in kept) == sorted(p.pk for p in mine)
    assert [c.what for c in kept] == ["kept", "kept"]
    assert promises_about_cancel(subject_type="customer", subject_id=7, now=now, reason="erased") == []
    other.refresh_from_db()
    assert other.state == PromiseState.PENDING


def test_an_unknown_subject_or_a_past_time_is_refused(agent):
    now = clock.now()
    with pytest.raises(ValidationFailed, match="'survey' is not a subject of promises") as refused:
        promise_make_about(
            subject_type="survey", subject_id=1, kind=PromiseKind.FOLLOW_UP, due_at=now + timedelta(days=1), now=now
        )
    assert refused.value.field == "subject"
    with pytest.raises(ValidationFailed, match="must be due in the future"):
        promise_make_about(subject_type="customer", subject_id=1, kind=PromiseKind.FOLLOW_UP, due_at=now, now=now)
    assert not Promise.objects.exists()


def test_the_engine_names_no_case_status_and_looks_no_model_up_by_name():
    """The promises app reads statuses from lofte.core.choices and reaches the apps above through its hooks."""
    found = []
    for path in PROMISES.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "get_model":
                found.append((path.name, node.lineno, "get_model"))
            if isinstance(node, ast.Compare):
                for side in [node.left, *node.comparators]:
                    values = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
                    for v in values:
                        if isinstance(v, ast.Constant) and v.value in {s.value for s in Status}:
                            found.append((path.name, node.lineno, v.value))
    assert found == []


def test_a_broken_promise_about_a_customer_stays_on_the_board_with_a_link_to_the_customer(agent, team):
    # given: a check on a customer, owned by the agent's team, broken by the tick
    from lofte.promises.board import board_for

    now = clock.now()
    check = promise_make_about(
        subject_type="customer",
        subject_id=41,
        kind=PromiseKind.FOLLOW_UP,
        due_at=now + timedelta(hours=1),
        now=now,
        owner_team_id=team.pk,
    )
    later = now + timedelta(hours=2)
    with clock.at(later):
        promise_tick.call()

    # when
    board = board_for(agent=agent, now=later)

    # then: it is overdue (owed until settled, there being no case to close), linking to the customer
    assert [p.pk for p in board.overdue] == [check.pk]
    assert (board.overdue[0].subject_reference, board.overdue[0].subject_url) == ("#41", "/customers/41/")
    from django.template.loader import render_to_string

    html = render_to_string("promises/partials/_promise_rows.html", {"items": board.overdue, "empty_text": ""})
    assert '<a class="ref" href="/customers/41/">#41</a>' in html
