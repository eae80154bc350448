"""`lofte bench_complaints --complaints N [--json]`: the complaint register, the analysis page and the register's
CSV export at N complaints, in a database of its own (benchmarks.database), never the user's.

The seed is what a contact centre's register holds after two years: N cases, each a complaint (received over two
years, most resolved, about one in twenty still open), spread over categories, root causes, channels, severities,
outcomes and customers of tiers A/B/C; compensation on one in ten; a temperature check on the resolved ones. Rows
are written with the database's bulk load (COPY on PostgreSQL), secondary indexes built once afterwards.

Measured through the product's own pages, in-process with Django's test client as an admin (who sees everything,
the widest register): the register's first page (p95 and its query count), the analysis page (every figure of the
default period, the last twelve months), and the export of every complaint as CSV (its time, and the peak of the
Python memory it allocated while streaming: flat when it streams).
"""

from __future__ import annotations

import random
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from benchmarks.command import percentile
from benchmarks.database import bench_database
from benchmarks.seed import (
    Table,
    case_row,
    customers_plain,
    fields,
    indexes_dropped,
    next_id,
    sequences_reset,
    sqlite_cache,
    staff_seed,
    statistics,
)
from lofte.cases.models import Case
from lofte.complaints.models import Category, Compensation, Complaint, RootCause, TemperatureCheck
from lofte.core import clock
from lofte.customers.models import Customer

BATCH = 5000
CHANNELS = ("email", "email", "email", "web", "web", "phone", "sms")
SEVERITIES = ("low", "medium", "medium", "medium", "high", "critical")
OUTCOMES = ("upheld", "partly_upheld", "rejected", "upheld")
PRODUCTS = ("Broadband", "Mobile", "TV", "Invoice", "Delivery", "Insurance", "Loan", "Card")
CATEGORIES = {
    "Billing": ("Charged twice", "Wrong amount"),
    "Delivery": ("Late", "Damaged"),
    "Service": ("Rude treatment", "No callback"),
    "Product": ("Faulty", "Not as described"),
    "Outage": (),
}
CAUSES = ("Price list not updated", "Carrier delay", "Staffing", "Software error", "Unclear terms", "Supplier")

COMPLAINT_FIELDS = [
    "id",
    "case",
    "customer",
    "is_active",
    "source",
    "channel",
    "received_at",
    "category",
    "subcategory",
    "severity",
    "product",
    "root_cause",
    "owner_team",
    "outcome",
    "outcome_reason",
    "deadline_at",
    "resolved_at",
    "updated_at",
]
COMPENSATION_FIELDS = [
    "complaint",
    "kind",
    "amount",
    "currency",
    "reason",
    "state",
    "proposed_by",
    "proposed_at",
    "decided_by",
    "decided_at",
    "paid_at",
    "updated_at",
]
CHECK_FIELDS = ["complaint", "solved_at", "due_at", "state", "sent_at", "expires_at", "answered_at", "channel"]


def seed(count: int, *, now: datetime, progress: Callable[[str], None]) -> None:
    rng = random.Random(12)  # noqa: S311 - seeded test data
    staff = staff_seed()
    admin = staff.agents[-1][0]
    teams = [t.pk for t in staff.teams]
    customers = customers_plain(max(1, count // 4))
    tiers = ("A", "B", "B", "C")
    with connection.cursor() as cursor:  # tiers A, B, B, C in turn
        for i, tier in enumerate(tiers):
            cursor.execute(
                f"UPDATE {Customer._meta.db_table} SET tier = %s WHERE id %% 4 = %s",  # noqa: S608
                [tier, i],
            )
    main: list[int] = []
    subs: dict[int, list[int]] = {}
    for name, children in CATEGORIES.items():
        parent = Category.objects.create(name=name)
        main.append(parent.pk)
        subs[parent.pk] = [Category.objects.create(name=c, parent=parent).pk for c in children]
    causes = [RootCause.objects.create(name=c).pk for c in CAUSES]
    cases_t = Table(Case, fields(case_row))
    complaints_t = Table(Complaint, COMPLAINT_FIELDS)
    comp_t = Table(Compensation, COMPENSATION_FIELDS)
    checks_t = Table(TemperatureCheck, CHECK_FIELDS)
    first_case, first_complaint = next_id(Case), next_id(Complaint)
    start = now - timedelta(days=730)
    span = (now - start).total_seconds()
    tables = [Case, Complaint, Compensation, TemperatureCheck]
    with sqlite_cache(), indexes_dropped(tables):
        for offset in range(0, count, BATCH):
            cases, complaints, comps, checks = [], [], [], []
            for i in range(offset, min(count, offset + BATCH)):
                received = start + timedelta(seconds=span * i / count + rng.random() * 60)
                open_ = (received > now - timedelta(days=20) and rng.random() < 0.6) or rng.random() < 0.02
                solved = None if open_ else received + timedelta(hours=rng.choice((2, 5, 20, 30, 70, 200)))
                if solved is not None and solved >= now:
                    solved, open_ = None, True
                category = rng.choice(main)
                sub = rng.choice(subs[category]) if subs[category] and rng.random() < 0.7 else None
                team = rng.choice(teams)
                case_id, complaint_id = first_case + i, first_complaint + i
                cases.append(
                    case_row(
                        id=case_id,
                        reference=f"BC-{i + 1:07d}",
                        subject=f"Klagomål {i}",
                        customer=customers[i % len(customers)],
                        status="open" if open_ else ("solved" if rng.random() < 0.3 else "closed"),
                        priority=2,
                        team=team,
                        channel=rng.choice(CHANNELS),
                        language="sv",
                        created_at=cases_t.dt(received),
                        updated_at=cases_t.dt(solved or received),
                        solved_at=cases_t.dt(solved),
                        closed_at=None,
                    )
                )
                deadline = received + timedelta(hours=24)
                outcome = "" if open_ else rng.choice(OUTCOMES)
                complaints.append(
                    (
                        complaint_id,
                        case_id,
                        customers[i % len(customers)],
                        rng.random() > 0.03,
                        rng.choice(("case_type", "agent", "detection", "customer")),
                        rng.choice(CHANNELS),
                        complaints_t.dt(received),
                        category,
                        sub,
                        rng.choice(SEVERITIES),
                        rng.choice(PRODUCTS),
                        None if open_ or rng.random() < 0.2 else rng.choice(causes),
                        team,
                        outcome,
                        "Vi har rättat fakturan." if outcome else "",
                        complaints_t.dt(deadline),
                        complaints_t.dt(solved),
                        complaints_t.dt(solved or received),
                    )
                )
                if not open_ and rng.random() < 0.1:
                    paid = solved + timedelta(days=1) if solved else None  # type: ignore[operator]
                    comps.append(
                        (
                            complaint_id,
                            rng.choice(("refund", "credit", "voucher", "gift")),
                            Decimal(rng.choice((50, 100, 250, 500, 1200))),
                            "SEK",
                            "Ersättning för besväret",
                            "paid" if paid and paid < now else "approved",
                            admin.pk,
                            comp_t.dt(solved),
                            admin.pk,
                            comp_t.dt(solved),
                            comp_t.dt(paid if paid and paid < now else None),
                            comp_t.dt(solved),
                        )
                    )
                if solved is not None and solved + timedelta(days=14) < now:
                    sent = solved + timedelta(days=14)
                    state = rng.choice(("yes", "yes", "yes", "no", "no_answer"))
                    checks.append(
                        (
                            complaint_id,
                            checks_t.dt(solved),
                            checks_t.dt(sent),
                            state,
                            checks_t.dt(sent),
                            checks_t.dt(sent + timedelta(days=7)),
                            checks_t.dt(sent + timedelta(days=1)) if state in ("yes", "no") else None,
                            "email",
                        )
                    )
            with transaction.atomic():
                cases_t.insert(cases)
                complaints_t.insert(complaints)
                comp_t.insert(comps)
                checks_t.insert(checks)
            progress(f"seeded {min(count, offset + BATCH)} of {count} complaints")
        progress("building the indexes")
    sequences_reset(tables)


def _timed(client: Client, url: str, repeat: int) -> tuple[list[float], int]:
    took = []
    for i in range(repeat + 3):
        t0 = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        if i >= 3:  # after a warm-up
            took.append(elapsed)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return took, len(ctx.captured_queries)


def bench(*, complaints: int, repeat: int, analyze: bool, progress: Callable[[str], None]) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    with bench_database("complaints_bench"), clock.at(now):
        started = time.perf_counter()
        seed(complaints, now=now, progress=progress)
        seed_s = time.perf_counter() - started
        planner = statistics(analyze=analyze)
        from lofte.accounts.models import Agent

        client = Client()
        client.force_login(Agent.objects.get(email__startswith="admin@"))
        progress("timing the register")
        register, register_queries = _timed(client, "/complaints/?state=all", repeat)
        open_register, _q = _timed(client, "/complaints/", repeat)
        progress("timing the analysis")
        analysis_ms, analysis_queries = _timed(client, "/complaints/analysis/", max(3, repeat // 4))
        progress("exporting every complaint")
        tracemalloc.start()
        t0 = time.perf_counter()
        response = client.get("/complaints/register.csv?state=all")
        rows = sum(chunk.count(b"\n") for chunk in response.streaming_content)  # type: ignore[attr-defined]
        export_s = time.perf_counter() - t0
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if rows < complaints:
            raise RuntimeError(f"the export has {rows} lines for {complaints} complaints")
    return {
        "complaints": complaints,
        "register_p50_ms": round(percentile(register, 0.5), 2),
        "register_p95_ms": round(percentile(register, 0.95), 2),
        "register_open_p95_ms": round(percentile(open_register, 0.95), 2),
        "register_queries": register_queries,
        "analysis_p50_ms": round(percentile(analysis_ms, 0.5), 1),
        "analysis_p95_ms": round(percentile(analysis_ms, 0.95), 1),
        "analysis_queries": analysis_queries,
        "export_s": round(export_s, 2),
        "export_rows": rows - 1,
        "export_peak_mb": round(peak / 1_000_000, 1),
        "seed_s": round(seed_s, 1),
        "database": connection.vendor,
        "planner": planner,
    }


def bench_table(f: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"{f['complaints']} complaints on {f['database']} ({f['planner']}), seeded in {f['seed_s']} s",
            f"register (all)   p50 {f['register_p50_ms']:>7.1f} ms   p95 {f['register_p95_ms']:>7.1f} ms   "
            f"{f['register_queries']} queries",
            f"register (open)  p95 {f['register_open_p95_ms']:>7.1f} ms",
            f"analysis         p50 {f['analysis_p50_ms']:>7.1f} ms   p95 {f['analysis_p95_ms']:>7.1f} ms   "
            f"{f['analysis_queries']} queries",
            f"export           {f['export_rows']} rows in {f['export_s']} s, peak {f['export_peak_mb']} MB",
        ]
    )
