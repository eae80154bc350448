"""Two agents change one case at once (L07, row locks): the second decides on the row the first committed.

Each agent is a thread with its own connection, as two requests are. Both load the case first (a barrier), as
two open case pages do; then agent A's change runs inside a transaction that the test holds open, and agent B's
change starts only after A's service has returned, with the case as B loaded it, now stale. B must wait for A
(the case's row is locked) and, once A commits, decide on the committed row: a transition checked against the
new status, nothing of A's overwritten, nothing counted twice.

The interleaving is forced, not timed: A commits only when PostgreSQL reports B's backend waiting on a lock
(pg_stat_activity), or when B has finished without ever waiting, which fails the test by itself. Every wait is
bounded (TIMEOUT), and a backend left behind is terminated, so a deadlock fails the test instead of hanging CI.

Each test compares one dictionary of what happened with what must happen, so a failure shows every difference.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from lofte.accounts.models import Agent
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import Case, CaseEvent, Direction, EventKind, Message, Status
from lofte.cases.services import case_assign, case_create, case_reply, case_transition, case_update
from lofte.core.errors import DomainError
from lofte.outbox.models import OutboxMessage
from lofte.promises.models import Promise, PromiseKind, PromiseState, QueueStat, ResponseTimeStat
from lofte.promises.policies import policy_create

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks need PostgreSQL: SQLite lets one writer hold the whole database while the others wait, "
        "so two agents' changes never overlap there",
    ),
]

TIMEOUT = 10.0  # seconds: the longest any one wait of a test may take


# --- the race ---------------------------------------------------------------------------------------------------


@dataclass
class Race:
    """What each agent's service returned, or the exception it raised; whether B waited on a lock of A's."""

    first: Any = None
    second: Any = None
    second_waited: bool = False
    pids: dict[str, int] = field(default_factory=dict)


def race(case_pk: int, first: Callable[[Case], object], second: Callable[[Case], object]) -> Race:
    """Agent A runs `first` and agent B `second`, each on the case as they loaded it before either wrote.

    A's change is made and held uncommitted; B's starts then; A commits once B waits on a lock (or has
    finished without waiting). Returns when both are done."""
    outcome = Race()
    loaded = threading.Barrier(2, timeout=TIMEOUT)
    first_applied = threading.Event()
    commit = threading.Event()

    def agent_a() -> None:
        try:
            case = Case.objects.get(pk=case_pk)
            outcome.pids["A"] = _backend_pid()
            loaded.wait()
            with transaction.atomic():
                outcome.first = first(case)
                first_applied.set()
                if not commit.wait(TIMEOUT):
                    raise TimeoutError("agent A was never let commit")
        except BaseException as exc:  # reported by race()
            outcome.first = exc
        finally:
            first_applied.set()
            connection.close()

    def agent_b() -> None:
        try:
            case = Case.objects.get(pk=case_pk)  # stale from the moment A writes
            outcome.pids["B"] = _backend_pid()
            loaded.wait()
            if not first_applied.wait(TIMEOUT):
                raise TimeoutError("agent A's change never returned")
            outcome.second = second(case)
        except BaseException as exc:  # the domain error B may be expected to raise, or a failure
            outcome.second = exc
        finally:
            connection.close()

    threads = {
        "A": threading.Thread(target=agent_a, name="agent-a", daemon=True),
        "B": threading.Thread(target=agent_b, name="agent-b", daemon=True),
    }
    for thread in threads.values():
        thread.start()
    try:
        if first_applied.wait(TIMEOUT) and not isinstance(outcome.first, BaseException):
            outcome.second_waited = _waits_on_a_lock(outcome.pids.get("B"), threads["B"])
    finally:
        commit.set()
        for thread in threads.values():
            thread.join(TIMEOUT)
        hung = [name for name, thread in threads.items() if thread.is_alive()]
        if hung:
            _terminate([outcome.pids[name] for name in hung if name in outcome.pids])
            for name in hung:
                threads[name].join(TIMEOUT)
    assert not hung, f"agent(s) {', '.join(hung)} still running after {TIMEOUT} s (a deadlock?)"
    if isinstance(outcome.first, BaseException):
        raise AssertionError("agent A's change failed; the race never happened") from outcome.first
    return outcome


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _waits_on_a_lock(pid: int | None, thread: threading.Thread) -> bool:
    """True once PostgreSQL reports the backend waiting on a lock; False when its thread finished first (or
    after TIMEOUT). Polled from the test's own connection, in autocommit: each query sees the activity now."""
    deadline = time.monotonic() + TIMEOUT
    with connection.cursor() as cursor:
        while pid is not None and thread.is_alive() and time.monotonic() < deadline:
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            row = cursor.fetchone()
            if row is not None and row[0] == "Lock":
                return True
            time.sleep(0.002)
    return False


def _terminate(pids: list[int]) -> None:
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def expect(observed: dict[str, object], expected: dict[str, object]) -> None:
    """Fail listing every item that differs, in the order written (pytest would cut a long dictionary diff)."""
    wrong = [
        f"{key}: {observed[key]!r}, expected {value!r}" for key, value in expected.items() if observed[key] != value
    ]
    if wrong or observed.keys() != expected.keys():
        pytest.fail("\n".join(["what the race left differs from what must be:", *wrong]), pytrace=False)


def result(value: object) -> str:
    """'ok', or the exception's class (with its text when it is no domain error: a deadlock, a bug)."""
    if not isinstance(value, BaseException):
        return "ok"
    if isinstance(value, DomainError):
        return type(value).__name__
    return f"{type(value).__name__}: {value}"


# --- given ------------------------------------------------------------------------------------------------------


@pytest.fixture
def policy(db):  # type: ignore[no-untyped-def]
    """Every case gets a first-response and a resolution promise, and each reply makes a next-update one."""
    return policy_create(
        name="Standard", first_response_minutes=60, next_update_minutes=4 * 60, resolution_minutes=24 * 60
    )


@pytest.fixture
def bertil(team):  # type: ignore[no-untyped-def]
    """The second agent of the Support team (the first is `agent`, Alma)."""
    return AgentFactory(email="bertil@example.com", name="Bertil Agent", teams=[team])


@pytest.fixture
def new_case(policy, team, customer):  # type: ignore[no-untyped-def]
    """A new case of the Support team, unassigned, with its policy's promises, never replied to."""
    return case_create(
        customer=customer,
        subject="Fel belopp på fakturan",
        body="Hej! Fakturan är fel.",
        channel="email",
        team=team,
        sender="karin@example.se",
    )


@pytest.fixture
def open_case(new_case, agent):  # type: ignore[no-untyped-def]
    return case_transition(case=new_case, actor=agent, status=Status.OPEN)


def events_after(case: Case, last_id: int, kind: str) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, pk__gt=last_id, kind=kind).order_by("pk"))


def last_event_id(case: Case) -> int:
    return CaseEvent.objects.filter(case=case).order_by("-pk").values_list("pk", flat=True).first() or 0


def promise_events_by(case: Case, last_id: int, actor: Agent) -> list[tuple[str, str]]:
    rows = CaseEvent.objects.filter(case=case, pk__gt=last_id, actor=actor, kind__startswith="promise_")
    return [(e.kind, e.data["kind"]) for e in rows.order_by("pk")]


# --- (1) a status change is checked against the status the other agent committed ----------------------------


@pytest.mark.parametrize(
    ("first_status", "second_status", "second_result", "final_status", "changes"),
    [
        pytest.param(
            Status.CLOSED,
            Status.SOLVED,
            "InvalidTransition",
            Status.CLOSED,
            [("open", "closed")],
            id="closed-then-solved: a closed case cannot be solved",
        ),
        pytest.param(
            Status.SOLVED,
            Status.WAITING_ON_CUSTOMER,
            "InvalidTransition",
            Status.SOLVED,
            [("open", "solved")],
            id="solved-then-waiting: a solved case cannot wait on the customer",
        ),
        pytest.param(
            Status.SOLVED,
            Status.SOLVED,
            "ok",
            Status.SOLVED,
            [("open", "solved")],
            id="solved-twice: the second finds it solved and changes nothing",
        ),
        pytest.param(
            Status.SOLVED,
            Status.CLOSED,
            "ok",
            Status.CLOSED,
            [("open", "solved"), ("solved", "closed")],
            id="solved-then-closed: allowed, and the timeline says from solved",
        ),
    ],
)
def test_the_second_status_change_is_checked_against_the_committed_status(
    open_case, agent, bertil, first_status, second_status, second_result, final_status, changes
):
    """Alma and Bertil both have the open case on screen. Alma's change commits first; Bertil's is checked
    against her status, not the open one he loaded (without the lock it was checked against 'open' and written
    over hers, with promise events for promises her change had already kept or cancelled)."""
    since = last_event_id(open_case)

    outcome = race(
        open_case.pk,
        lambda case: case_transition(case=case, actor=agent, status=first_status),
        lambda case: case_transition(case=case, actor=bertil, status=second_status),
    )

    case = Case.objects.get(pk=open_case.pk)
    observed = {
        "B waited for A": outcome.second_waited,
        "B's change": result(outcome.second),
        "status": case.status,
        "status changes on the timeline": [
            (e.data["from"], e.data["to"]) for e in events_after(case, since, EventKind.STATUS_CHANGED)
        ],
        "solved_at set": case.solved_at is not None,
        "closed_at set": case.closed_at is not None,
        # what A's change left of the promises, B's finds: solving or closing again keeps or cancels nothing
        "B's promise events": promise_events_by(case, since, bertil),
    }
    expect(
        observed,
        {
            "B waited for A": True,
            "B's change": second_result,
            "status": final_status,
            "status changes on the timeline": changes,
            "solved_at set": first_status == Status.SOLVED,
            "closed_at set": final_status == Status.CLOSED,
            "B's promise events": [],
        },
    )


def test_a_reply_to_a_case_the_other_agent_closed_is_refused(open_case, agent, bertil):
    """Alma closes the case while Bertil replies to it: his reply is refused as to any closed case (without the
    lock it went out, counted as the first response, and left a new next-update promise on a closed case)."""
    since = last_event_id(open_case)
    outbox_before = OutboxMessage.objects.count()

    outcome = race(
        open_case.pk,
        lambda case: case_transition(case=case, actor=agent, status=Status.CLOSED),
        lambda case: case_reply(case=case, author=bertil, body="Vi tittar på det."),
    )

    case = Case.objects.get(pk=open_case.pk)
    observed = {
        "B waited for A": outcome.second_waited,
        "B's reply": result(outcome.second),
        "status": case.status,
        "replies": Message.objects.filter(case=case, direction=Direction.OUT).count(),
        "outbox rows": OutboxMessage.objects.count() - outbox_before,
        "first_response_at set": case.first_response_at is not None,
        "pending promises": Promise.objects.filter(case=case, state=PromiseState.PENDING).count(),
        "B's events": [e.kind for e in CaseEvent.objects.filter(case=case, pk__gt=since, actor=bertil)],
    }
    expect(
        observed,
        {
            "B waited for A": True,
            "B's reply": "ValidationFailed",  # "The case is closed; it cannot be replied to."
            "status": Status.CLOSED,
            "replies": 0,
            "outbox rows": 0,
            "first_response_at set": False,
            "pending promises": 0,
            "B's events": [],
        },
    )


# --- (2) two changes of different fields: neither is lost ------------------------------------------------------


@pytest.mark.parametrize("assign_first", [True, False], ids=["assign-then-team", "team-then-assign"])
def test_an_assignment_and_a_team_change_at_once_both_stay(new_case, agent, bertil, team, other_team, assign_first):
    """One agent gives the case to Bertil while the other moves it to Billing. The case row keeps both either
    way (each service writes only its own columns); the promises must follow both too (without the lock the
    second service moved them to its stale owner: the other change was lost on every pending promise)."""
    since = last_event_id(new_case)

    def assign(case: Case) -> object:
        return case_assign(case=case, actor=agent, assignee=bertil)

    def move(case: Case) -> object:
        return case_update(case=case, actor=bertil, team=other_team)

    outcome = race(new_case.pk, *((assign, move) if assign_first else (move, assign)))

    case = Case.objects.get(pk=new_case.pk)
    observed = {
        "B waited for A": outcome.second_waited,
        "B's change": result(outcome.second),
        "assignee": case.assignee_id,
        "team": case.team_id,
        "assigned": [e.data for e in events_after(case, since, EventKind.ASSIGNED)],
        "team changed": [e.data for e in events_after(case, since, EventKind.TEAM_CHANGED)],
        # the case's promises follow it to its owner: (agent, team) of every pending one
        "promise owners": sorted(
            set(
                Promise.objects.filter(case=case, state=PromiseState.PENDING).values_list(
                    "owner_agent__name", "owner_team__name"
                )
            )
        ),
    }
    expect(
        observed,
        {
            "B waited for A": True,
            "B's change": "ok",
            "assignee": bertil.pk,
            "team": other_team.pk,
            "assigned": [{"from": None, "to": {"id": bertil.pk, "name": bertil.display_name}}],
            "team changed": [{"from": team.name, "to": other_team.name}],
            "promise owners": [(bertil.name, other_team.name)],
        },
    )


def test_a_priority_change_and_a_tag_change_at_once_both_stay(new_case, agent, bertil):
    """Alma raises the priority while Bertil tags the case: both stay, each with its event. This one holds
    without the lock as well (update_fields, and the tags are read in Bertil's transaction); it keeps a locked
    version honest, e.g. one that re-reads the row and then saves it whole."""
    since = last_event_id(new_case)

    outcome = race(
        new_case.pk,
        lambda case: case_update(case=case, actor=agent, priority=4),
        lambda case: case_update(case=case, actor=bertil, tags=["faktura"]),
    )

    case = Case.objects.get(pk=new_case.pk)
    observed = {
        "B waited for A": outcome.second_waited,
        "B's change": result(outcome.second),
        "priority": case.priority,
        "tags": sorted(t.name for t in case.tags.all()),
        "priority changed": [e.data for e in events_after(case, since, EventKind.PRIORITY_CHANGED)],
        "tags changed": [e.data for e in events_after(case, since, EventKind.TAGS_CHANGED)],
    }
    expect(
        observed,
        {
            "B waited for A": True,
            "B's change": "ok",
            "priority": 4,
            "tags": ["faktura"],
            "priority changed": [{"from": 2, "to": 4}],
            "tags changed": [{"from": [], "to": ["faktura"]}],
        },
    )


# --- (3) two replies at once: both kept, the first response counted once ------------------------------------


def test_two_replies_at_once_are_both_sent_and_the_first_response_is_the_first_reply(new_case, agent, bertil):
    """Alma and Bertil answer the new case at once: both replies go out, with their events; Alma's, committed
    first, is the first response: counted once in the response-time figures, the first-response promise kept
    once, the case opened once, and Bertil's reply keeps the next-update promise hers made (without the lock
    Bertil's reply, deciding on the new case he loaded, counted a second first response, moved
    first_response_at to his reply and opened the case a second time)."""
    since = last_event_id(new_case)
    outbox_before = OutboxMessage.objects.count()

    outcome = race(
        new_case.pk,
        lambda case: case_reply(case=case, author=agent, body="Hej! Vi tittar på fakturan."),
        lambda case: case_reply(case=case, author=bertil, body="Hej! Jag har rättat beloppet."),
    )

    case = Case.objects.get(pk=new_case.pk)
    replies = {m.author_id: m for m in Message.objects.filter(case=case, direction=Direction.OUT)}
    first_reply_at: datetime | None = replies[agent.pk].created_at if agent.pk in replies else None
    first_response = Promise.objects.get(case=case, kind=PromiseKind.FIRST_RESPONSE)
    kept = [e.data["kind"] for e in events_after(case, since, EventKind.PROMISE_KEPT)]
    observed = {
        "B waited for A": outcome.second_waited,
        "B's reply": result(outcome.second),
        "replies by": sorted(m.author.name for m in replies.values() if m.author is not None),
        "reply events": len(events_after(case, since, EventKind.MESSAGE_OUT)),
        "outbox rows": OutboxMessage.objects.count() - outbox_before,
        "status": case.status,
        "status changes on the timeline": [
            (e.data["from"], e.data["to"]) for e in events_after(case, since, EventKind.STATUS_CHANGED)
        ],
        # the first reply is the first response: B's must neither move it nor count another one
        "first_response_at is A's reply": case.first_response_at is not None
        and case.first_response_at == first_reply_at,
        "first-response promise": (first_response.state, first_response.kept_at == first_reply_at),
        "first-response promise kept events": kept.count(PromiseKind.FIRST_RESPONSE),
        "first responses counted": QueueStat.objects.aggregate(n=Sum("responses"))["n"],
        "first responses in the response times": ResponseTimeStat.objects.filter(channel="", case_type=0).aggregate(
            n=Sum("count")
        )["n"],
        # A's reply made a next-update promise; B's keeps it and makes the next one
        "next-update promise kept events": kept.count(PromiseKind.NEXT_UPDATE),
        "pending next-update promises": Promise.objects.filter(
            case=case, kind=PromiseKind.NEXT_UPDATE, state=PromiseState.PENDING
        ).count(),
    }
    expect(
        observed,
        {
            "B waited for A": True,
            "B's reply": "ok",
            "replies by": [agent.name, bertil.name],
            "reply events": 2,
            "outbox rows": 2,
            "status": Status.OPEN,
            "status changes on the timeline": [("new", "open")],
            "first_response_at is A's reply": True,
            "first-response promise": (PromiseState.KEPT, True),
            "first-response promise kept events": 1,
            "first responses counted": 1,
            "first responses in the response times": 1,
            "next-update promise kept events": 1,
            "pending next-update promises": 1,
        },
    )
