"""The tick is atomic per batch: the claim, the owners' notifications and what the subjects' apps write through
their hooks (the case's timeline event, the notice to the customer) commit together, so a crash between the
steps loses no event and tells no one twice; and the hooks are the only way the cases app hears of the tick."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.cases import seams as case_seams
from lofte.cases.models import CaseEvent, Message
from lofte.cases.tests.factories import CaseTypeFactory, make_case
from lofte.core import clock
from lofte.notifications.models import Notification
from lofte.outbox.models import OutboxMessage
from lofte.promises.calendars import calendar_create
from lofte.promises.hooks import TickHook, tick_hook_register, tick_hook_unregister, tick_hooks
from lofte.promises.models import Promise, PromiseKind, PromiseState
from lofte.promises.policies import policy_create
from lofte.promises.tasks import promise_tick

pytestmark = pytest.mark.django_db

MONDAY_9 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)  # 09:00 in Stockholm
NOON = datetime(2026, 11, 16, 11, 0, tzinfo=UTC)  # an hour after the first response was due


@pytest.fixture
def broken_soon(team, agent):  # type: ignore[no-untyped-def]
    """A case whose first response (2 business hours) breaks by noon; its case type tells the customer."""
    office = calendar_create(name="Kontor", time_zone="Europe/Stockholm", country="SE")
    policy_create(name="Standard", first_response_minutes=120, first_response_calendar=office)
    with clock.at(MONDAY_9):
        return make_case(team=team, assignee=agent, case_type=CaseTypeFactory(name="Faktura", breach_notice=True))


def what_the_tick_wrote(case) -> tuple:  # type: ignore[no-untyped-def]
    return (
        list(
            Promise.objects.filter(case=case, kind=PromiseKind.FIRST_RESPONSE, renewal_of__isnull=True).values_list(
                "state", flat=True
            )
        ),
        CaseEvent.objects.filter(case=case, kind="promise_broken").count(),
        Message.objects.filter(case=case, direction="out").count(),
        sorted(OutboxMessage.objects.values_list("to", flat=True)),
        Notification.objects.filter(kind="promise_broken").count(),
    )


def told_once(case, agent) -> tuple:  # type: ignore[no-untyped-def]
    return ([PromiseState.BROKEN], 1, 1, sorted([case.customer.identities.get().value, agent.email]), 1)


def test_the_cases_app_joins_the_tick_through_its_hook():
    assert [h.name for h in tick_hooks()] == ["cases"]
    assert tick_hooks()[0].handle is case_seams.promises_broke


def test_a_crash_after_the_timeline_event_rolls_the_whole_batch_back_and_the_next_tick_does_it_once(
    broken_soon, agent, monkeypatch
):
    # given: the process dies while telling the customer, after the promise was broken and the event written
    def crash(**kwargs):  # type: ignore[no-untyped-def]
        assert CaseEvent.objects.filter(case=broken_soon, kind="promise_broken").count() == 1  # written, then lost
        raise SystemExit("the worker was killed")

    monkeypatch.setattr(case_seams, "case_breach_notices", crash)
    before = what_the_tick_wrote(broken_soon)

    # when
    with clock.at(NOON), pytest.raises(SystemExit):
        promise_tick.call()

    # then: nothing of the batch is kept: the promise is pending again, no event, no notice, no notification
    assert what_the_tick_wrote(broken_soon) == before == ([PromiseState.PENDING], 0, 0, [], 0)

    # when: the next tick runs normally
    monkeypatch.undo()
    with clock.at(NOON):
        result = promise_tick.call()

    # then: the promise is broken once, on the timeline once, the customer told once (their new time is a new
    # promise) and the owner notified once (in Lofte and by email)
    assert result == {"reminded": 0, "broken": 1, "escalated": 0, "notices": 1}
    assert what_the_tick_wrote(broken_soon) == told_once(broken_soon, agent)
    # and a third tick finds nothing to do
    with clock.at(NOON):
        assert promise_tick.call() == {"reminded": 0, "broken": 0, "escalated": 0, "notices": 0}
    assert what_the_tick_wrote(broken_soon) == told_once(broken_soon, agent)


def test_a_failing_notification_rolls_back_the_claim_too(broken_soon, monkeypatch):
    from lofte.promises import services as engine

    def fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the notification table is locked")

    monkeypatch.setattr(engine, "notify_many", fail)
    with clock.at(NOON), pytest.raises(RuntimeError):
        promise_tick.call()
    assert what_the_tick_wrote(broken_soon) == ([PromiseState.PENDING], 0, 0, [], 0)


def test_another_app_hooks_into_the_tick_and_reports_its_figures(broken_soon):
    # given: an app that owns promises of its own registers a hook for reminders and breaches
    seen: list[tuple[str, list[int]]] = []

    def handle(what, promises, now):  # type: ignore[no-untyped-def]
        seen.append((what, [p.pk for p in promises]))
        return {"surveys": len(promises)}

    tick_hook_register(TickHook(name="example", handle=handle, whats=("broken",), counts=("surveys",)))
    try:
        with clock.at(NOON):
            result = promise_tick.call()
    finally:
        tick_hook_unregister("example")

    # then: it was called once with the broken promise, inside the tick, and its figure is in the result
    [promise] = Promise.objects.filter(case=broken_soon, state=PromiseState.BROKEN)
    assert seen == [("broken", [promise.pk])]
    assert result == {"reminded": 0, "broken": 1, "escalated": 0, "notices": 1, "surveys": 1}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_the_tick_locks_the_cases_before_it_claims_their_promises(broken_soon):
    """A reply locks its case, then its promises; the tick takes its locks in the same order, so the two never
    wait on each other in a circle (PostgreSQL would abort one of them as a deadlock)."""
    with clock.at(NOON), CaptureQueriesContext(connection) as queries:
        promise_tick.call()
    sql = [q["sql"] for q in queries]
    lock = next(i for i, q in enumerate(sql) if q.startswith("SELECT") and '"cases_case"' in q.split("WHERE")[0])
    claim = next(i for i, q in enumerate(sql) if q.startswith("UPDATE") and '"promises_promise"' in q.split("SET")[0])
    assert lock < claim
    assert "FOR UPDATE" in sql[lock]
