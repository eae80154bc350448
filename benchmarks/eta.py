"""The ETA-prediction benchmark behind `lofte bench_eta`, in a database of its own.

`run_benchmark` creates a fresh database (Django's test-database machinery,
never the user's data) and seeds, at `now`:

* N past cases that got their first response, spread over the last 90 days
  across channels (email, web, sms, phone), case types (8, and none) and six
  teams, closed since: the cases table as a year of use leaves it; and their
  first responses in the rolling figures (`ResponseTimeStat`, three groups
  each, and the teams' `QueueStat`), aggregated in Python and written in bulk,
  as `eta_record_first_response` would have left them. Each group's waits are
  lognormal in business minutes, with a median of its own.
* The queue now: a few dozen active cases per team without a first response
  (and some answered ones), which `eta_predict` counts.

Rows are written through `benchmarks.seed` (COPY on PostgreSQL, executemany
elsewhere) with the cases' secondary indexes dropped and built again
afterwards, then the planner gets its statistics (VACUUM ANALYZE on
PostgreSQL, ANALYZE on SQLite).

Measured: `eta_predict` for new cases of random channels, case types and
teams with an office calendar (08-17, Swedish holidays) and an SLA cap, each
call timed on its own (p50, p95, max over `predictions` calls after a warm-up),
and its query count (counted on a separate pass, so the timing carries no
capture overhead). The figures read only the window's days of three groups,
so time and queries stay the same whatever N is.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from benchmarks import seed
from benchmarks.database import bench_database
from benchmarks.seed import Row
from lofte.cases.models import Case, CaseType
from lofte.core.choices import Channel, Priority, Status
from lofte.promises.calendars import calendar_create
from lofte.promises.eta import bucket_of, eta_predict, groups_for
from lofte.promises.models import BusinessCalendar, QueueStat, ResponseTimeStat
from lofte.promises.services import due_after

Progress = Callable[[str], None]

CHANNELS = [(Channel.EMAIL, 0.5), (Channel.WEB, 0.25), (Channel.SMS, 0.15), (Channel.PHONE, 0.10)]
CASE_TYPES = ["Faktura", "Leverans", "Reklamation", "Retur", "Avtal", "Flytt", "Teknik", "Övrigt"]
UNTYPED_SHARE = 0.1
HISTORY_DAYS = 90
CUSTOMERS = 50
QUEUE_PER_TEAM = 40  # active cases without a first response now, per team (and as many answered)
TYPICAL_QUEUE = 30  # the queue the history's first responses saw, on average
CHUNK = 20_000
WARM_UP = 20
TARGET_P95_MS = 5.0
SLA_MINUTES = 16 * 60  # the cap: two business days of 8 hours


@dataclass
class World:
    """What the measurements need from the seeded database."""

    now: datetime
    calendar: BusinessCalendar
    teams: list[int]
    case_types: list[int]
    cases: int = 0
    stat_rows: int = 0
    queue_rows: int = 0
    window_rows: int = 0  # figures rows inside the prediction window
    extra: dict[str, Any] = field(default_factory=dict)


def _median_minutes(channel: str, type_index: int | None) -> float:
    """Each group's typical wait, in business minutes: chat-like channels faster, some case types slower."""
    base = {Channel.EMAIL: 180.0, Channel.WEB: 150.0, Channel.SMS: 90.0, Channel.PHONE: 240.0}[channel]  # type: ignore[index]
    return base * (1.0 + 0.25 * (type_index if type_index is not None else 2))


def world_seed(*, history: int, analyze: bool, progress: Progress, seed_value: int = 42) -> World:
    """Write the history, its figures and the queue now; returns what the measurements need."""
    rng = random.Random(seed_value)  # noqa: S311 - benchmark data, not security
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    teams = seed.staff_seed().teams
    team_ids = [t.pk for t in teams]
    type_ids = [t.pk for t in CaseType.objects.bulk_create([CaseType(name=name) for name in CASE_TYPES])]
    customer_ids = seed.customers_plain(CUSTOMERS)
    calendar = calendar_create(name="Kontor", time_zone="Europe/Stockholm", country="SE")
    world = World(now=now, calendar=calendar, teams=team_ids, case_types=type_ids)
    progress(f"seed: {len(teams)} teams, {len(type_ids)} case types, {CUSTOMERS} customers, an office calendar")

    cases_t = seed.Table(Case, seed.CASE_FIELDS)
    stats_t = seed.Table(ResponseTimeStat, seed.RESPONSE_TIME_STAT_FIELDS)
    queue_t = seed.Table(QueueStat, seed.QUEUE_STAT_FIELDS)
    counts: Counter[tuple[str, int, date, int]] = Counter()
    queues: dict[tuple[int, date], list[int]] = {}
    channels = [c for c, _ in CHANNELS]
    weights = [w for _, w in CHANNELS]
    prefix = settings.LOFTE_REFERENCE_PREFIX
    history_seconds = HISTORY_DAYS * 86400
    rows: list[Row] = []
    written = 0
    with seed.indexes_dropped([Case]), seed.sqlite_cache():
        for i in range(history):
            channel = rng.choices(channels, weights)[0]
            type_index = None if rng.random() < UNTYPED_SHARE else rng.randrange(len(type_ids))
            type_id = type_ids[type_index] if type_index is not None else None
            team = team_ids[i % len(team_ids)]
            wait = _median_minutes(channel, type_index) * math.exp(rng.gauss(0.0, 0.9))
            responded = now - timedelta(seconds=rng.randint(60, history_seconds))
            created = responded - timedelta(minutes=wait * 2.5)  # business minutes stretched over nights, roughly
            day = responded.date()
            bucket = bucket_of(wait)
            for _, group_channel, group_type in groups_for(channel, type_id):
                counts[(group_channel, group_type, day, bucket)] += 1
            figure = queues.setdefault((team, day), [0, 0])
            figure[0] += 1
            figure[1] += max(1, round(TYPICAL_QUEUE * math.exp(rng.gauss(0.0, 0.3))))
            closed = responded + timedelta(hours=rng.randint(1, 72))
            rows.append(
                seed.case_row(
                    id=i + 1,
                    reference=f"{prefix}-H-{i + 1:08d}",
                    subject=f"Past case {i + 1}",
                    customer=customer_ids[i % len(customer_ids)],
                    status=Status.CLOSED,
                    priority=Priority.NORMAL,
                    team=team,
                    case_type=type_id,
                    channel=channel,
                    language="sv",
                    created_at=cases_t.dt(created),
                    updated_at=cases_t.dt(closed),
                    first_response_at=cases_t.dt(responded),
                    solved_at=cases_t.dt(closed),
                    closed_at=cases_t.dt(closed),
                )
            )
            if len(rows) >= CHUNK or i == history - 1:
                with transaction.atomic():
                    cases_t.insert(rows)
                written += len(rows)
                rows = []
                if written % 200_000 < CHUNK or written == history:
                    progress(f"seed: {written:,}/{history:,} past cases ({time.perf_counter() - started:.1f} s)")
        # the queue now: unanswered active cases per team, and as many answered ones
        pk = history
        queue_rows = []
        for team in team_ids:
            for j in range(2 * QUEUE_PER_TEAM):
                pk += 1
                answered = j >= QUEUE_PER_TEAM
                created = now - timedelta(minutes=rng.randint(1, 3 * 24 * 60))
                queue_rows.append(
                    seed.case_row(
                        id=pk,
                        reference=f"{prefix}-Q-{pk:08d}",
                        subject=f"Open case {pk}",
                        customer=customer_ids[pk % len(customer_ids)],
                        status=Status.OPEN if answered else Status.NEW,
                        priority=Priority.NORMAL,
                        team=team,
                        case_type=type_ids[pk % len(type_ids)],
                        channel=channels[pk % len(channels)],
                        language="sv",
                        created_at=cases_t.dt(created),
                        updated_at=cases_t.dt(created),
                        first_response_at=cases_t.dt(created + timedelta(minutes=30)) if answered else None,
                    )
                )
        with transaction.atomic():
            cases_t.insert(queue_rows)
    world.cases = pk
    progress(f"seed: cases written, indexes built ({time.perf_counter() - started:.1f} s)")

    stat_rows = [
        seed.response_time_stat_row(id=pk, channel=c, case_type=t, day=stats_t.date(d), bucket=b, count=n)
        for pk, ((c, t, d, b), n) in enumerate(sorted(counts.items()), start=1)
    ]
    figures = [
        seed.queue_stat_row(id=pk, team=team, day=queue_t.date(d), responses=n, queue_sum=s)
        for pk, ((team, d), (n, s)) in enumerate(sorted(queues.items()), start=1)
    ]
    with transaction.atomic():
        for start in range(0, len(stat_rows), CHUNK):
            stats_t.insert(stat_rows[start : start + CHUNK])
        queue_t.insert(figures)
    since = now.date() - timedelta(days=settings.LOFTE_ETA_WINDOW_DAYS - 1)
    world.stat_rows, world.queue_rows = len(stat_rows), len(figures)
    world.window_rows = sum(1 for (_, _, d, _) in counts if d >= since)
    seed.sequences_reset([Case, ResponseTimeStat, QueueStat])
    statistics_started = time.perf_counter()
    what = seed.statistics(analyze=analyze)
    progress(
        f"seed: done, {history:,} past first responses in {world.stat_rows:,} figure rows "
        f"({world.window_rows:,} in the window), {world.cases:,} cases, in {time.perf_counter() - started:.1f} s "
        f"({what}: {time.perf_counter() - statistics_started:.1f} s)"
    )
    connection.close()  # measure on a fresh connection, with the settings' own options
    return world


# --- measuring ----------------------------------------------------------------------------------------


def _requests(world: World, n: int, rng: random.Random) -> list[tuple[str, int | None, int]]:
    channels: list[str] = [c for c, _ in CHANNELS]
    weights = [w for _, w in CHANNELS]
    out: list[tuple[str, int | None, int]] = []
    for _ in range(n):
        channel = rng.choices(channels, weights)[0]
        type_id = None if rng.random() < UNTYPED_SHARE else rng.choice(world.case_types)
        out.append((channel, type_id, rng.choice(world.teams)))
    return out


def _predict(world: World, cap: datetime, request: tuple[str, int | None, int]) -> str:
    channel, type_id, team = request
    return eta_predict(
        channel=channel, case_type_id=type_id, team_id=team, now=world.now, calendar=world.calendar, cap=cap
    ).basis


def measure(world: World, *, predictions: int, progress: Progress) -> dict[str, Any]:
    """Time `predictions` calls one by one (after a warm-up) and count the queries of each on a second pass."""
    rng = random.Random(7)  # noqa: S311
    calendar = BusinessCalendar.objects.get(pk=world.calendar.pk)  # as the acknowledgement reads it
    world.calendar = calendar
    cap = due_after(calendar, world.now, SLA_MINUTES)
    for request in _requests(world, WARM_UP, rng):
        _predict(world, cap, request)
    requests = _requests(world, predictions, rng)
    times: list[float] = []
    bases: Counter[str] = Counter()
    for request in requests:
        started = time.perf_counter()
        basis = _predict(world, cap, request)
        times.append((time.perf_counter() - started) * 1000)
        bases[basis] += 1
    queries: Counter[int] = Counter()
    sql: list[str] = []
    for request in requests[: min(len(requests), 100)]:
        with CaptureQueriesContext(connection) as captured:
            _predict(world, cap, request)
        queries[len(captured)] += 1
        if not sql:
            sql = [q["sql"] for q in captured.captured_queries]
    times.sort()
    progress(f"predict: {predictions} calls, p50 {_pct(times, 0.5):.3f} ms, p95 {_pct(times, 0.95):.3f} ms")
    return {
        "times": times,
        "bases": dict(sorted(bases.items())),
        "queries": queries,
        "plans": _plans(sql),
    }


def _pct(values: list[float], q: float) -> float:
    """The q-quantile of sorted values (nearest rank)."""
    if not values:
        return 0.0
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


def _plans(sql: list[str]) -> dict[str, str]:
    """EXPLAIN the prediction's three queries as they ran."""
    names = ("figures", "queue_now", "typical_queue")
    plans: dict[str, str] = {}
    for name, statement in zip(names, sql, strict=False):
        with connection.cursor() as cursor:
            cursor.execute(("EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ") + statement)
            plans[name] = " | ".join(str(row[-1]).strip() for row in cursor.fetchall())
    return plans


def run_benchmark(*, history: int, predictions: int = 500, analyze: bool = True, progress: Progress) -> dict[str, Any]:
    """Seed, measure, and return the figures (the keys of `lofte bench_eta --json`)."""
    with bench_database("bencheta") as name:
        progress(f"database: {connection.vendor} {name}")
        started = time.perf_counter()
        world = world_seed(history=history, analyze=analyze, progress=progress)
        seed_seconds = time.perf_counter() - started
        measured = measure(world, predictions=predictions, progress=progress)
        vendor = connection.vendor
    times: list[float] = measured["times"]
    queries: Counter[int] = measured["queries"]
    result: dict[str, Any] = {
        "history": history,
        "predict_ms_p95": round(_pct(times, 0.95), 3),
        "predict_queries": max(queries),
        "predict_ms_p50": round(_pct(times, 0.5), 3),
        "predict_ms_mean": round(statistics.fmean(times), 3),
        "predict_ms_max": round(times[-1], 3),
        "predictions": predictions,
        "database": vendor,
        "analyzed": vendor == "postgresql" or analyze,
        "seed_s": round(seed_seconds, 1),
        "cases": world.cases,
        "figure_rows": world.stat_rows,
        "figure_rows_in_window": world.window_rows,
        "queue_rows": world.queue_rows,
        "bases": measured["bases"],
        "plans": measured["plans"],
    }
    if len(queries) > 1:
        progress("warning: the query count varied between predictions")
        result["predict_queries_seen"] = {str(k): v for k, v in sorted(queries.items())}
    return result


def format_table(result: dict[str, Any]) -> str:
    """The human-readable report."""
    stats = (
        "VACUUM ANALYZE" if result["database"] == "postgresql" else ("ANALYZE" if result["analyzed"] else "no ANALYZE")
    )
    ok = result["predict_ms_p95"] < TARGET_P95_MS
    lines = [
        f"Lofte ETA prediction: {result['history']:,} past first responses ({result['figure_rows']:,} figure rows, "
        f"{result['figure_rows_in_window']:,} in the window; {result['cases']:,} cases), on {result['database']} "
        f"({stats}; seeded in {result['seed_s']} s)",
        "",
        f"eta_predict, {result['predictions']} calls: p50 {result['predict_ms_p50']:.3f} ms, "
        f"p95 {result['predict_ms_p95']:.3f} ms, max {result['predict_ms_max']:.3f} ms; "
        f"{result['predict_queries']} queries each",
        "bases: " + ", ".join(f"{k} {v}" for k, v in result["bases"].items()),
        "",
        "Query plans:",
    ]
    lines += [f"  {name}: {plan}" for name, plan in result["plans"].items()]
    lines += [
        "",
        "Targets:",
        f"  p95 < {TARGET_P95_MS:.0f} ms: {'ok' if ok else 'MISSED'} ({result['predict_ms_p95']:.3f} ms)",
        "  the same query count at --history 10000 and 1000000: compare the two runs",
    ]
    return "\n".join(lines)
