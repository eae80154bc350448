"""The promise-tick benchmark behind `lofte bench_promises`, in a database of its own.

`run_benchmark` creates a fresh database with Django's test-database
machinery (never the user's data), seeds N pending promises on cases owned by
agents of a handful of teams with team leads (and an admin for the top of the
escalation ladder), of which M are due, and measures one tick:

* `promises_tick(now=...)`, the engine's scan-claim-notify loop, and
* the whole task body (`promise_tick.call()`, the schedule's `promises.tick`),
  which also writes the broken promises' timeline events and moves their
  cases' next due times;

each with its query count. Between measurements the promises the tick changed
are written back as they were and its notifications, emails and events are
deleted, so every run sees the same rows; the figures are the median of
`repeat` runs.

What is seeded, at `now`:

* N - M - P promises due in the future (up to 20 days); those due within the
  reminder lead were already reminded, as a running worker would have done;
* M promises whose due time has just passed (the tick breaks them); half of
  them were never reminded, and get no reminder now that they are due (the
  breach goes out instead);
* P paused promises (cases waiting on the customer) whose due time passed
  while paused: pending, never handled by the tick (default 0);
* E broken promises (not counted in N) due for their next escalation, half at
  level 1 (to the team leads), half at level 2 (to the admins).

Every promise belongs to a case (two per case: first response and
resolution). The rows are written through `benchmarks.seed` with explicit ids
(COPY on PostgreSQL, executemany on SQLite) and the tables' secondary indexes
dropped and built again afterwards, the sequences are reset, and the planner
gets its statistics: VACUUM ANALYZE on PostgreSQL, ANALYZE on SQLite (which a
Lofte SQLite database otherwise never gets; `analyze=False` measures that
case).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext

from benchmarks import seed
from benchmarks.database import bench_database
from benchmarks.seed import Row, Staff
from lofte.cases.models import Case, CaseEvent
from lofte.cases.tasks import promise_tick
from lofte.core import clock
from lofte.core.choices import Channel, Priority, Status
from lofte.notifications.models import Notification
from lofte.outbox.models import OutboxMessage
from lofte.promises.models import Promise, PromiseKind, PromiseOrigin, PromiseState
from lofte.promises.services import promises_tick, reminder_lead

Progress = Callable[[str], None]

UNASSIGNED_SHARE = 0.2  # cases without an assignee: the team leads hear about their promises
CUSTOMERS = 50
CHUNK = 20_000  # promises per INSERT round
TARGET_TICK_S = 1.0  # for 1,000 due promises
TARGET_SPREAD = 0.2  # N = 100,000 against N = 1,000,000

# The tick's three scans, told apart by their ORDER BY.
SCANS = {"reminders": "remind_at", "breaches": "due_at", "escalations": "next_escalation_at"}


# --- putting back what a tick changed -------------------------------------------------------------------


def _delete_ids(model: type[models.Model], ids: Sequence[int]) -> None:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 5000):
            part = list(ids[start : start + 5000])
            placeholders = ", ".join(["%s"] * len(part))
            cursor.execute(
                f"DELETE FROM {qn(model._meta.db_table)} WHERE {qn(str(model._meta.pk.column))} IN ({placeholders})",  # type: ignore[union-attr]  # noqa: S608
                part,
            )


def _delete_all(tables: Sequence[type[models.Model]]) -> None:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"DELETE FROM {qn(model._meta.db_table)}")  # noqa: S608


# --- seeding ----------------------------------------------------------------------------------------

FUTURE, DUE, DUE_UNREMINDED, PAUSED, ESCALATE, HISTORY = range(6)


@dataclass
class World:
    """What the measurements need from the seeded database."""

    now: datetime
    pending: int
    due: int
    paused: int
    escalations: int
    cases: int
    history: int = 0
    # the rows the tick changes, as seeded, to write them back between runs
    touched: dict[int, Row] = field(default_factory=dict)
    reminders_due: int = 0


class _PromiseMaker:
    """Promise rows of each category, at `now`."""

    def __init__(self, *, rng: random.Random, now: datetime, table: seed.Table) -> None:
        self.rng, self.now, self.t = rng, now, table
        self.remaining = Promise._meta.get_field("remaining")
        self.interval = timedelta(minutes=settings.LOFTE_ESCALATION_INTERVAL_MINUTES)
        self.top = len(settings.LOFTE_ESCALATION_LADDER)

    def row(
        self, *, pk: int, kind: str, case_id: int, owner: int | None, team: int, category: int
    ) -> tuple[Row, datetime, datetime]:
        """The row, its due time and its creation time."""
        rng, now, dt = self.rng, self.now, self.t.dt
        state = PromiseState.PENDING
        paused = remaining = reminded = broken = next_escalation = kept = cancelled = None
        level = 0
        if category == HISTORY:  # made months ago: kept, cancelled, or broken and escalated to the top
            due = now - timedelta(seconds=rng.randint(3600, 180 * 86400))
            created = due - timedelta(seconds=rng.randint(7200, 3 * 86400))
        elif category == FUTURE:
            due = now + timedelta(seconds=rng.randint(300, 20 * 86400))
            created = now - timedelta(seconds=rng.randint(60, 3 * 86400))
        elif category == PAUSED:  # paused for longer than was left: the due time passed while paused
            due = now - timedelta(seconds=rng.randint(3600, 10 * 86400))
            created = due - timedelta(seconds=rng.randint(7200, 3 * 86400))
            paused = created + (due - created) / 2
            remaining = self.remaining.get_db_prep_save(due - paused, connection)
        else:  # just due, or broken a while ago
            due = now - timedelta(seconds=rng.randint(1, 30))
            if category == ESCALATE:
                due -= self.interval * rng.randint(1, 2)
            created = due - timedelta(seconds=rng.randint(7200, 3 * 86400))
        remind = due - reminder_lead(kind, due - created)
        if remind <= now and category not in (DUE_UNREMINDED, PAUSED):
            reminded = remind + timedelta(seconds=rng.randint(0, 29))
        if category == ESCALATE:
            state = PromiseState.BROKEN
            level = 1 + pk % 2
            broken = due + timedelta(seconds=rng.randint(0, 29))
            next_escalation = now - timedelta(seconds=rng.randint(1, 30))
        elif category == HISTORY:
            outcome = pk % 10
            if outcome == 0:
                state, cancelled, reminded = PromiseState.CANCELLED, created + (due - created) / 2, None
            elif outcome == 1:
                state, level, broken = PromiseState.BROKEN, self.top, due + timedelta(seconds=rng.randint(0, 29))
            else:
                state, kept = PromiseState.KEPT, created + (due - created) * rng.random()
                reminded = reminded if kept > remind else None
        row = seed.promise_row(
            id=pk,
            kind=kind,
            case=case_id,
            due_at=dt(due),
            owner_agent=owner,
            owner_team=team,
            state=state,
            origin=PromiseOrigin.POLICY,
            created_at=dt(created),
            paused_at=dt(paused),
            remaining=remaining,
            remind_at=dt(remind),
            reminded_at=dt(reminded),
            broken_at=dt(broken),
            kept_at=dt(kept),
            cancelled_at=dt(cancelled),
            escalation_level=level,
            next_escalation_at=dt(next_escalation),
        )
        return row, due, created


def _categories(
    rng: random.Random, *, first: int, total: int, due: int, paused: int, escalations: int
) -> dict[int, int]:
    """Which promises (by position, from `first`) are due, paused or to escalate; the others are due later."""
    special = rng.sample(range(first, total), due + paused + escalations)
    category = dict.fromkeys(special[: due // 2], DUE_UNREMINDED)
    category |= dict.fromkeys(special[due // 2 : due], DUE)
    category |= dict.fromkeys(special[due : due + paused], PAUSED)
    category |= dict.fromkeys(special[due + paused :], ESCALATE)
    return category


def world_seed(
    *,
    pending: int,
    due: int,
    paused: int = 0,
    escalations: int = 0,
    history: int = 0,
    analyze: bool = True,
    progress: Progress,
    seed_value: int = 42,
) -> World:
    """Write the promises and their cases; returns what the measurements need."""
    rng = random.Random(seed_value)  # noqa: S311 - benchmark data, not security
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    staff = seed.staff_seed()
    customer_ids = seed.customers_plain(CUSTOMERS)
    progress(
        f"seed: {len(staff.teams)} teams, {len(staff.agents)} agents (a team lead in each team, an admin), "
        f"{CUSTOMERS} customers"
    )

    total = history + pending + escalations
    category = _categories(rng, first=history, total=total, due=due, paused=paused, escalations=escalations)
    world = World(
        now=now,
        pending=pending,
        due=due,
        paused=paused,
        escalations=escalations,
        cases=(total + 1) // 2,
        history=history,
        reminders_due=due // 2,
    )
    with seed.indexes_dropped([Case, Promise]), seed.sqlite_cache():
        _write(world, rng=rng, staff=staff, customer_ids=customer_ids, category=category, progress=progress)
    progress(f"seed: indexes built ({time.perf_counter() - started:.1f} s)")
    seed.sequences_reset([Case, Promise])
    statistics_started = time.perf_counter()
    what = seed.statistics(analyze=analyze)
    progress(
        f"seed: done, {pending:,} pending promises ({due:,} due, {paused:,} paused), {escalations:,} broken "
        f"to escalate and {history:,} of the past, on {world.cases:,} cases, in {time.perf_counter() - started:.1f} s "
        f"({what}: {time.perf_counter() - statistics_started:.1f} s)"
    )
    # measure on a fresh connection, with the settings' own options (the seeding enlarged SQLite's cache)
    connection.close()
    return world


def _write(
    world: World,
    *,
    rng: random.Random,
    staff: Staff,
    customer_ids: list[int],
    category: dict[int, int],
    progress: Progress,
) -> None:
    now, total = world.now, world.history + world.pending + world.escalations
    started = time.perf_counter()
    cases_t = seed.Table(Case, seed.CASE_FIELDS)
    promises_t = seed.Table(Promise, seed.PROMISE_FIELDS)
    maker = _PromiseMaker(rng=rng, now=now, table=promises_t)
    prefix = settings.LOFTE_REFERENCE_PREFIX
    case_rows: list[Row] = []
    promise_rows: list[Row] = []
    reported = 0
    for c in range(world.cases):
        case_id = c + 1
        team = staff.teams[c % len(staff.teams)].pk
        owner = None if rng.random() < UNASSIGNED_SHARE else rng.choice(staff.members[team])
        next_due: datetime | None = None
        status = Status.OPEN
        created = now
        for j in range(2 * c, min(2 * c + 2, total)):
            what = HISTORY if j < world.history else category.get(j, FUTURE)
            kind = PromiseKind.FIRST_RESPONSE if j % 2 == 0 else PromiseKind.RESOLUTION
            row, due_at, made = maker.row(pk=j + 1, kind=kind, case_id=case_id, owner=owner, team=team, category=what)
            promise_rows.append(row)
            created = min(created, made)
            if what in (DUE, DUE_UNREMINDED, ESCALATE):
                world.touched[j + 1] = row
            if what == HISTORY:
                status = Status.CLOSED
            elif what == PAUSED:
                status = Status.WAITING_ON_CUSTOMER
            elif what != ESCALATE and (next_due is None or due_at < next_due):
                next_due = due_at
        case_rows.append(
            seed.case_row(
                id=case_id,
                reference=f"{prefix}-{now.year}-{case_id:07d}",
                subject=f"Benchmark case {case_id}",
                customer=customer_ids[c % len(customer_ids)],
                status=status,
                priority=Priority.NORMAL,
                team=team,
                assignee=owner,
                channel=Channel.EMAIL,
                language="sv",
                created_at=cases_t.dt(created),
                updated_at=cases_t.dt(created),
                next_due_at=cases_t.dt(next_due),
            )
        )
        if len(promise_rows) >= CHUNK or c == world.cases - 1:
            with transaction.atomic():
                cases_t.insert(case_rows)
                promises_t.insert(promise_rows)
            written = min(2 * c + 2, total)
            case_rows, promise_rows = [], []
            if written - reported >= 100_000 or written == total:
                reported = written
                progress(f"seed: {written:,}/{total:,} promises ({time.perf_counter() - started:.1f} s)")


# --- measuring ----------------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    queries: int
    counts: dict[str, int]
    sql: list[str]


def _reset(world: World) -> None:
    """Put back what a tick (or the task) changed, so the next run sees the seeded rows."""
    touched = list(world.touched)
    with transaction.atomic():
        _delete_ids(Promise, touched)
        seed.Table(Promise, seed.PROMISE_FIELDS).insert(list(world.touched.values()))
        _delete_all([Notification, OutboxMessage, CaseEvent])
    if connection.vendor == "postgresql":  # no dead index entries for the next run to step over
        qn = connection.ops.quote_name
        tables = ", ".join(qn(m._meta.db_table) for m in (Promise, Notification, OutboxMessage, CaseEvent))
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {tables}")


def _run(world: World, fn: Callable[[], dict[str, int]]) -> Run:
    with clock.at(world.now), CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        counts = fn()
        seconds = time.perf_counter() - started
    counts = counts | {
        "notifications": Notification.objects.count(),
        "emails": OutboxMessage.objects.count(),
    }
    return Run(seconds=seconds, queries=len(queries), counts=counts, sql=[q["sql"] for q in queries.captured_queries])


def _tick(world: World) -> dict[str, int]:
    result = promises_tick(now=world.now)
    return {"reminded": len(result.reminded), "broken": len(result.broken), "escalated": len(result.escalated)}


def scan_plans(sql: Sequence[str]) -> dict[str, str]:
    """EXPLAIN the tick's three scans as they ran (the statements captured from the tick)."""
    qn = connection.ops.quote_name
    table = qn(Promise._meta.db_table)
    plans: dict[str, str] = {}
    for name, column in SCANS.items():
        order = f"ORDER BY {table}.{qn(column)}"
        found = next((s for s in sql if s.startswith("SELECT") and order in s and "LIMIT" in s), None)
        if found is None:
            continue
        with connection.cursor() as cursor:
            explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
            cursor.execute(explain + found)
            rows = cursor.fetchall()
        plans[name] = " | ".join(str(row[-1]).strip() for row in rows)
    return plans


def measure(world: World, *, repeat: int, progress: Progress) -> tuple[list[Run], list[Run]]:
    """`repeat` ticks and `repeat` task runs, each on the seeded rows."""
    task = promise_tick
    ticks: list[Run] = []
    tasks: list[Run] = []
    for i in range(repeat):
        if i:
            _reset(world)
        ticks.append(_run(world, lambda: _tick(world)))
        progress(f"tick {i + 1}/{repeat}: {ticks[-1].seconds:.3f} s, {ticks[-1].queries} queries, {ticks[-1].counts}")
        _reset(world)
        tasks.append(_run(world, task.call))
        progress(f"task {i + 1}/{repeat}: {tasks[-1].seconds:.3f} s, {tasks[-1].queries} queries")
    return ticks, tasks


def run_benchmark(
    *,
    pending: int,
    due: int,
    paused: int = 0,
    escalations: int = 0,
    history: int = 0,
    repeat: int = 3,
    analyze: bool = True,
    progress: Progress,
) -> dict[str, Any]:
    """Seed, measure, and return the figures (the keys of `lofte bench_promises --json`)."""
    if due + paused > pending:
        raise ValueError("--due and --paused cannot together exceed --pending")
    with bench_database("benchpromises") as name:
        progress(f"database: {connection.vendor} {name}")
        started = time.perf_counter()
        world = world_seed(
            pending=pending,
            due=due,
            paused=paused,
            escalations=escalations,
            history=history,
            analyze=analyze,
            progress=progress,
        )
        seed_seconds = time.perf_counter() - started
        ticks, tasks = measure(world, repeat=repeat, progress=progress)
        plans = scan_plans(ticks[0].sql)
        vendor = connection.vendor
    result: dict[str, Any] = {
        "pending": pending,
        "due": due,
        "tick_s": round(statistics.median(r.seconds for r in ticks), 4),
        "tick_queries": ticks[0].queries,
        "task_s": round(statistics.median(r.seconds for r in tasks), 4),
        "task_queries": tasks[0].queries,
        "database": vendor,
        "analyzed": vendor == "postgresql" or analyze,
        "paused": paused,
        "escalations": escalations,
        "history": history,
        "reminders_due": world.reminders_due,
        "cases": world.cases,
        "seed_s": round(seed_seconds, 1),
        "repeat": repeat,
        "tick_s_runs": [round(r.seconds, 4) for r in ticks],
        "task_s_runs": [round(r.seconds, 4) for r in tasks],
        **ticks[0].counts,
        "plans": plans,
    }
    if len({r.queries for r in ticks}) > 1 or len({r.queries for r in tasks}) > 1:
        progress("warning: the query count varied between runs")
        result["tick_queries_runs"] = [r.queries for r in ticks]
        result["task_queries_runs"] = [r.queries for r in tasks]
    return result


def format_table(result: dict[str, Any]) -> str:
    """The human-readable report."""
    stats = (
        "VACUUM ANALYZE" if result["database"] == "postgresql" else ("ANALYZE" if result["analyzed"] else "no ANALYZE")
    )
    lines = [
        f"Lofte promise tick: {result['pending']:,} pending promises ({result['due']:,} due, "
        f"{result['paused']:,} paused), {result['escalations']:,} broken to escalate"
        + (f", {result['history']:,} of the past" if result.get("history") else "")
        + f", on {result['database']} "
        f"({stats}; seeded in {result['seed_s']} s)",
        "",
        f"{'':34}{'seconds':>9}{'queries':>9}   (median of {result['repeat']})",
        f"{'promises_tick(now=...)':34}{result['tick_s']:>9.3f}{result['tick_queries']:>9}",
        f"{'promise_tick.call() (task body)':34}{result['task_s']:>9.3f}{result['task_queries']:>9}",
        "",
        f"reminded {result['reminded']:,}, broken {result['broken']:,}, escalated {result['escalated']:,}; "
        f"{result['notifications']:,} notifications, {result['emails']:,} emails",
        "",
        "Query plans of the three scans:",
    ]
    lines += [f"  {name}: {plan}" for name, plan in result["plans"].items()]
    ok = result["tick_s"] < TARGET_TICK_S * max(result["due"], 1) / 1000
    lines += [
        "",
        "Targets:",
        f"  tick < {TARGET_TICK_S:.0f} s per 1,000 due: {'ok' if ok else 'MISSED'} ({result['tick_s']:.3f} s)",
        f"  time and queries depend on --due, not --pending: compare runs with another --pending "
        f"(within {TARGET_SPREAD:.0%})",
    ]
    return "\n".join(lines)
