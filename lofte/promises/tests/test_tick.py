"""The tick at scale and under concurrency: index scans that cost O(due), never O(pending), and a conditional
UPDATE claim so two workers never remind, break or escalate the same promise twice."""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from lofte.accounts.models import Agent, Role
from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases.models import Case, CaseEvent, EventKind
from lofte.core.tasks import analyze_database
from lofte.core.tests.concurrency import Deadlock, run_concurrently
from lofte.customers.tests.factories import CustomerFactory
from lofte.notifications.models import Notification
from lofte.outbox.models import OutboxMessage
from lofte.promises import services
from lofte.promises.models import Promise, PromiseKind, PromiseOrigin, PromiseState
from lofte.promises.services import TickResult, promises_tick
from lofte.promises.tasks import promise_tick

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
LIMIT = inspect.signature(promises_tick).parameters["limit"].default
POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks: one writer holds the whole database while the others wait (busy_timeout), "
    "so ticks on SQLite never claim at the same moment; PostgreSQL's READ COMMITTED re-check of a locked row is "
    "what the conditional UPDATE claim must get right.",
)


# --- given ------------------------------------------------------------------------------------------


def tick_scans(now: datetime) -> dict[str, QuerySet[Promise, int]]:
    """The tick's three candidate scans, built as `promises_tick` builds them (checked against the SQL the tick
    runs by test_the_scans_are_the_ones_the_tick_runs)."""
    reminders = Promise.objects.filter(
        state=PromiseState.PENDING, reminded_at__isnull=True, remind_at__lte=now, paused_at__isnull=True
    ).filter(due_at__gt=now)
    breaches = Promise.objects.filter(state=PromiseState.PENDING, due_at__lte=now, paused_at__isnull=True)
    escalations = Promise.objects.filter(state=PromiseState.BROKEN, next_escalation_at__lte=now)
    return {  # in the order the tick runs them: breaches first, so the reminder scan never reads a due promise
        "breaches": breaches.order_by("due_at").values_list("id", flat=True)[:LIMIT],
        "reminders": reminders.order_by("remind_at").values_list("id", flat=True)[:LIMIT],
        "escalations": escalations.order_by("next_escalation_at").values_list("id", flat=True)[:LIMIT],
    }


INDEX_OF_SCAN = {"reminders": "promise_remind", "breaches": "promise_state_due", "escalations": "promise_escalate"}


def promise(
    *,
    now: datetime,
    due_in: timedelta,
    owner: Agent | None,
    team_id: int | None,
    case: Case | None = None,
    reminded: bool = False,
    paused: bool = False,
) -> Promise:
    """An unsaved pending promise due `due_in` from `now` (negative: overdue), reminded an hour before."""
    due = now + due_in
    remind = due - timedelta(hours=1)
    return Promise(
        kind=PromiseKind.FIRST_RESPONSE,
        case=case,
        due_at=due,
        owner_agent=owner,
        owner_team_id=team_id,
        origin=PromiseOrigin.POLICY,
        created_at=due - timedelta(hours=4),
        remind_at=remind,
        reminded_at=remind if reminded and remind <= now else None,
        paused_at=now - timedelta(days=1) if paused else None,
        remaining=timedelta(hours=2) if paused else None,
    )


def broken(*, now: datetime, owner: Agent | None, team_id: int | None, escalate_in: timedelta) -> Promise:
    """An unsaved promise broken at level 1, next escalated `escalate_in` from `now`."""
    due = now - timedelta(hours=2)
    return Promise(
        kind=PromiseKind.RESOLUTION,
        due_at=due,
        owner_agent=owner,
        owner_team_id=team_id,
        origin=PromiseOrigin.POLICY,
        created_at=due - timedelta(days=1),
        remind_at=due - timedelta(hours=1),
        reminded_at=due - timedelta(hours=1),
        state=PromiseState.BROKEN,
        broken_at=due,
        escalation_level=1,
        next_escalation_at=now + escalate_in,
    )


def seed_realistic(*, now: datetime, pending: int, due: int, paused: int, escalations: int) -> None:
    """Many pending promises due later (those within the hour already reminded), a few due now, some paused
    past their due time, some broken ones due for escalation and a history of kept ones."""
    team = TeamFactory(name="Support")
    owner = AgentFactory(teams=[team])
    rows = [
        promise(now=now, due_in=timedelta(minutes=5 + 37 * i), owner=owner, team_id=team.pk, reminded=True)
        for i in range(pending - due - paused)
    ]
    # due ones were reminded before they were due, as a running worker does (one never reminded is broken by the
    # tick before its reminder scan, which therefore never reads it)
    rows += [
        promise(now=now, due_in=-timedelta(minutes=1 + i), owner=owner, team_id=team.pk, reminded=True)
        for i in range(due)
    ]
    rows += [
        promise(now=now, due_in=-timedelta(days=2, minutes=i), owner=owner, team_id=team.pk, paused=True)
        for i in range(paused)
    ]
    rows += [
        broken(now=now, owner=owner, team_id=team.pk, escalate_in=-timedelta(minutes=1 + i)) for i in range(escalations)
    ]
    history = [
        promise(now=now, due_in=-timedelta(days=3, minutes=i), owner=owner, team_id=team.pk, reminded=True)
        for i in range(pending)
    ]
    for p in history:
        p.state, p.kept_at = PromiseState.KEPT, p.due_at - timedelta(hours=1)
    Promise.objects.bulk_create(rows + history)


def analyze() -> None:
    """Statistics for the planner, as autovacuum keeps them on PostgreSQL (and ANALYZE on SQLite).

    On PostgreSQL also no sequential scans for the rest of the test's transaction: on a table of a few
    thousand rows a seq scan costs about as much as the index, and the planner's estimate of the due rows is
    far too high (it multiplies the share of pending rows by the share of rows due in the past, most of which
    are kept ones), so its choice is a coin toss here. The checks below are that each scan uses its index as
    a range; the natural plans at 100,000 and 1,000,000 promises are in `lofte bench_promises --json`.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(Promise._meta.db_table)}")
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")


def full_scans(plan: str) -> list[str]:
    """Lines of a query plan that read the whole promise table (or the whole of an index on it)."""
    table = Promise._meta.db_table
    if connection.vendor == "postgresql":
        return [line for line in plan.splitlines() if re.search(rf"Seq Scan on {table}\b", line)]
    # SQLite: SEARCH is a range of an index; SCAN reads everything, through an index or not.
    return [line for line in plan.splitlines() if re.search(rf"\bSCAN {table}\b", line)]


def postgres_scan_nodes(queryset: QuerySet[Promise, int]) -> list[dict[str, Any]]:
    """The nodes of the executed PostgreSQL plan (EXPLAIN ANALYZE) that read the promise table or its indexes."""
    plan = json.loads(queryset.explain(format="json", analyze=True))[0]["Plan"]
    nodes, stack = [], [plan]
    while stack:
        node = stack.pop()
        stack += node.get("Plans", [])
        if node.get("Relation Name") == Promise._meta.db_table or "Index Name" in node:
            nodes.append(node)
    return nodes


def leading_column(index: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] WHERE c.relname = %s",
            [index],
        )
        return str(cursor.fetchone()[0])


# --- the query plans ------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestIndexScans:
    def test_the_scans_are_the_ones_the_tick_runs(self):
        # given
        seed_realistic(now=NOW, pending=40, due=5, paused=3, escalations=2)
        scans = tick_scans(NOW)
        with CaptureQueriesContext(connection) as ours:
            for queryset in scans.values():
                list(queryset)

        # when
        with CaptureQueriesContext(connection) as ticked:
            promises_tick(now=NOW)

        # then: the tick ran each of these SELECTs once, in this order
        tick_sql = [q["sql"] for q in ticked.captured_queries]
        assert [tick_sql.count(q["sql"]) for q in ours.captured_queries] == [1, 1, 1]
        positions = [tick_sql.index(q["sql"]) for q in ours.captured_queries]
        assert positions == sorted(positions)

    def test_each_scan_uses_its_index_and_never_reads_the_whole_table(self):
        # given: 3,000 pending promises of which 20 are due, 200 paused past their due time, 10 broken ones
        # due for escalation and 3,000 kept ones; the planner has statistics (and, on PostgreSQL, no seq
        # scans: see analyze())
        seed_realistic(now=NOW, pending=3000, due=20, paused=200, escalations=10)
        analyze()

        # when
        plans = {name: queryset.explain() for name, queryset in tick_scans(NOW).items()}

        # then
        for name, plan in plans.items():
            assert INDEX_OF_SCAN[name] in plan, f"{name}: {plan}"
            assert full_scans(plan) == [], f"{name}: {plan}"

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's plan says SEARCH for a range (above)")
    def test_on_postgresql_each_scan_is_a_range_of_its_index(self):
        # given: as above. PostgreSQL drops a qual implied by a partial index's predicate from the index
        # condition, so an index leading with such a column is read from end to end: an Index Scan that is
        # a full scan (and, at 100,000 promises, a Seq Scan). The leading column must have a condition.
        # Seq scans are off (see analyze()), so the plan shows which index PostgreSQL would read, and how.
        seed_realistic(now=NOW, pending=3000, due=20, paused=200, escalations=10)
        analyze()

        # when
        scans = {name: postgres_scan_nodes(queryset) for name, queryset in tick_scans(NOW).items()}

        # then
        for name, nodes in scans.items():
            index = INDEX_OF_SCAN[name]
            used = [n for n in nodes if n.get("Index Name") == index]
            assert used, f"{name}: {nodes}"
            assert all(leading_column(index) in n.get("Index Cond", "") for n in used), f"{name}: {used}"
            assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], f"{name}: {nodes}"

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL reports the rows it discarded")
    def test_on_postgresql_the_scans_read_no_paused_promise(self):
        # given: as above, with 200 promises paused past their due time
        seed_realistic(now=NOW, pending=3000, due=20, paused=200, escalations=10)
        analyze()

        # when
        removed = {
            name: sum(n.get("Rows Removed by Filter", 0) for n in postgres_scan_nodes(queryset))
            for name, queryset in tick_scans(NOW).items()
        }

        # then: each scan read only the rows it returned
        assert removed == {"reminders": 0, "breaches": 0, "escalations": 0}

    @pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL always has statistics (autovacuum)")
    def test_on_sqlite_each_scan_uses_its_index_after_the_workers_analyze_job(self):
        # given: as above, and the statistics the worker's analyze_database job (first run at start, then
        # hourly) keeps; without them SQLite prefers promise_state_due for reminders and escalations
        seed_realistic(now=NOW, pending=3000, due=20, paused=200, escalations=10)
        assert analyze_database.call() == "analyzed"

        # when
        plans = {name: queryset.explain() for name, queryset in tick_scans(NOW).items()}

        # then
        assert {name: INDEX_OF_SCAN[name] in plan for name, plan in plans.items()} == dict.fromkeys(plans, True), plans
        assert [line for plan in plans.values() for line in full_scans(plan)] == []


def statements(queries: CaptureQueriesContext) -> list[str]:
    """What the tick asked of the database, as the first words of each statement (the test's own transaction
    turns the tick's transactions into savepoints: left out)."""
    sql = [q["sql"] for q in queries.captured_queries]
    return [" ".join(s.split()[:4]) for s in sql if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


# --- O(due) ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_number_of_queries_depends_on_the_due_promises_only():
    # given: 20 due among 50 pending
    team = TeamFactory(name="Support")
    AgentFactory(role=Role.TEAM_LEAD, teams=[team])
    owner = AgentFactory(teams=[team])

    def seed(now: datetime, pending: int, due: int) -> None:
        """`due` promises past their due time and `due` due within the hour (their reminder is due), among
        `pending`."""
        Promise.objects.bulk_create(
            [
                promise(now=now, due_in=timedelta(hours=2, minutes=i), owner=owner, team_id=team.pk)
                for i in range(pending - 2 * due)
            ]
            + [
                promise(now=now, due_in=timedelta(minutes=30 + i), owner=None if i % 2 else owner, team_id=team.pk)
                for i in range(due)
            ]
            + [
                promise(now=now, due_in=-timedelta(minutes=1 + i), owner=None if i % 2 else owner, team_id=team.pk)
                for i in range(due)
            ]
        )

    seed(NOW, 50, 20)
    with CaptureQueriesContext(connection) as few:
        small = promises_tick(now=NOW)

    # when: 20 due (and 20 to remind) among 500 pending (a minute later, when the first 20 are not yet due for
    # escalation and the first reminders are sent)
    later = NOW + timedelta(minutes=1)
    seed(later, 500, 20)
    with CaptureQueriesContext(connection) as many:
        large = promises_tick(now=later)

    # then: the same work and the same queries; per scan: the scan, then per batch of claims the UPDATE,
    # the claimed rows, the teams' members, the teams of members and owners (for the access rule), the dedupe
    # keys, the notifications, the emails; before a batch of breaches the cases app locks their cases (on
    # PostgreSQL; SQLite has no row locks)
    assert (len(small.reminded), len(small.broken), len(small.escalated)) == (20, 20, 0)
    assert (len(large.reminded), len(large.broken), len(large.escalated)) == (20, 20, 0)
    assert statements(many) == statements(few)
    case_locks = 1 if connection.features.has_select_for_update else 0
    assert len(statements(few)) == 1 + case_locks + 7 + 1 + 7 + 1


# --- two workers at once ------------------------------------------------------------------------------------------


def due_promises_on_cases(*, now: datetime, count: int) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """`count` promises to remind (due within the hour, never reminded) and `count` due ones, one per case, owned
    by an agent, by nobody (the team's two leads hear of it) or by an agent who has left (the leads again).
    Returns, per promise to remind and per due promise, the recipients' emails."""
    team = TeamFactory(name="Support")
    leads = [AgentFactory(role=Role.TEAM_LEAD, teams=[team], email=f"lead{i}@example.com") for i in range(2)]
    agents = [AgentFactory(teams=[team], email=f"agent{i}@example.com") for i in range(3)]
    gone = AgentFactory(teams=[team], email="gone@example.com", is_active=False)
    customer = CustomerFactory()
    cases = Case.objects.bulk_create(
        [
            Case(reference=f"T-{i:04d}", subject=f"Case {i}", customer=customer, channel="email", team=team)
            for i in range(2 * count)
        ]
    )
    owners: list[Agent | None] = [*agents, None, gone]

    def due_in(i: int) -> timedelta:
        return timedelta(minutes=30 - i % 20) if i < count else -timedelta(minutes=1 + i % 20)

    rows = [
        promise(now=now, due_in=due_in(i), owner=owners[i % len(owners)], team_id=team.pk, case=c)
        for i, c in enumerate(cases)
    ]
    made = Promise.objects.bulk_create(rows)
    lead_emails = {lead.email for lead in leads}
    recipients = {
        p.pk: ({p.owner_agent.email} if p.owner_agent is not None and p.owner_agent.is_active else lead_emails)
        for p in made
    }
    return {p.pk: recipients[p.pk] for p in made[:count]}, {p.pk: recipients[p.pk] for p in made[count:]}


def expected_notifications(to_remind: dict[int, set[str]], due: dict[int, set[str]]) -> Counter[tuple[str, int, str]]:
    """One reminder per recipient of a promise to remind, one breach per recipient of a due one."""
    return Counter(
        (what, pk, email)
        for what, recipients in (("reminder", to_remind), ("broken", due))
        for pk, emails in recipients.items()
        for email in emails
    )


def assert_each_promise_handled_once(
    to_remind: dict[int, set[str]],
    due: dict[int, set[str]],
    results: list[TickResult],
    *,
    now: datetime,
    outbox_before: int,
) -> None:
    # each promise reminded or broken by exactly one worker (a due one is broken, never reminded)
    reminded = [pk for r in results for pk in r.reminded]
    breaches = [pk for r in results for pk in r.broken]
    assert sorted(reminded) == sorted(to_remind)
    assert sorted(breaches) == sorted(due)
    assert set(
        Promise.objects.filter(pk__in=to_remind).values_list("state", "broken_at", "reminded_at", "escalation_level")
    ) == {(PromiseState.PENDING, None, now, 0)}
    assert set(
        Promise.objects.filter(pk__in=due).values_list("state", "broken_at", "reminded_at", "escalation_level")
    ) == {(PromiseState.BROKEN, now, None, 1)}
    # one notification per recipient, and one email each
    expected = expected_notifications(to_remind, due)
    notified = Counter(
        (n.kind.removeprefix("promise_"), int(n.dedupe_key.split(":")[1]), n.agent.email)
        for n in Notification.objects.select_related("agent")
    )
    assert notified == expected
    reference_of = dict(Promise.objects.filter(pk__in=[*to_remind, *due]).values_list("pk", "case__reference"))
    expected_emails = Counter((email, reference_of[pk]) for what, pk, email in expected.elements())
    sent = Counter(
        (m.to, re.search(r"T-\d{4}", m.payload["subject"]).group(0))  # type: ignore[union-attr]
        for m in OutboxMessage.objects.filter(pk__gt=outbox_before)
    )
    assert sent == expected_emails


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("batch", [services.TICK_BATCH, 7], ids=["one batch", "batches of 7"])
def test_workers_ticking_at_once_never_handle_a_promise_twice(monkeypatch, batch):
    # given: 200 promises to remind and 200 due; with batches of 7 the workers' claims interleave
    monkeypatch.setattr(services, "TICK_BATCH", batch)
    to_remind, due = due_promises_on_cases(now=NOW, count=200)
    outbox_before = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    # when: three workers tick at the same moment, each on its own connection
    results = run_concurrently(3, lambda: promises_tick(now=NOW))

    # then
    assert_each_promise_handled_once(to_remind, due, results, now=NOW, outbox_before=outbox_before)


@POSTGRES_ONLY
@pytest.mark.django_db(transaction=True)
def test_two_lofte_workers_at_once_never_handle_a_promise_twice(tmp_path: Path):
    # given: 200 promises due now (the workers read the real clock) and two promise ticks waiting for workers
    now = datetime.now(UTC).replace(microsecond=0)
    to_remind, due = due_promises_on_cases(now=now, count=200)
    outbox_before = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    promise_tick.enqueue()
    promise_tick.enqueue()
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = os.environ | {"DATABASE_URL": url, "LOFTE_DATA_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "config.manage", "worker", "--once", "--no-schedule"]

    # when: two `lofte worker --once` at the same time
    workers = [
        subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=120)[0].decode() for w in workers]

    # then: both ticks ran, and between them every promise was reminded or broken once, with one
    # notification and one email per recipient and one timeline event per breach
    assert [w.returncode for w in workers] == [0, 0], outputs
    ticks = DBTaskResult.objects.filter(task_path=promise_tick.module_path)
    for traceback in ticks.filter(status="FAILED").values_list("traceback", flat=True):
        if "deadlock detected" in traceback:
            raise Deadlock(traceback)
    assert list(ticks.values_list("status", flat=True)) == ["SUCCESSFUL", "SUCCESSFUL"]
    promises = Promise.objects.filter(pk__in=due)
    assert set(promises.values_list("state", "escalation_level", "reminded_at")) == {(PromiseState.BROKEN, 1, None)}
    reminded = Promise.objects.filter(pk__in=to_remind)
    assert set(reminded.values_list("state", "escalation_level")) == {(PromiseState.PENDING, 0)}
    assert reminded.filter(reminded_at__isnull=True).count() == 0
    expected = expected_notifications(to_remind, due)
    notified = Counter(
        (n.kind.removeprefix("promise_"), int(n.dedupe_key.split(":")[1]), n.agent.email)
        for n in Notification.objects.select_related("agent")
    )
    assert notified == expected
    assert OutboxMessage.objects.filter(pk__gt=outbox_before).count() == sum(expected.values())
    events = Counter(CaseEvent.objects.filter(kind=EventKind.PROMISE_BROKEN).values_list("case_id", flat=True))
    assert events == Counter(promises.values_list("case_id", flat=True))
