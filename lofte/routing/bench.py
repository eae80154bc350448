"""`lofte bench_routing`: A agents online, N new cases, routed least-loaded by C assigners at once, in a database of
its own (created, migrated, dropped; never the user's). Measures assignments per second and how evenly the load
spread, and checks that no agent got more than their capacity.

The throwaway database is made as benchmarks/database.py makes it (lofte may not import benchmarks).
"""

from __future__ import annotations

import itertools
import math
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections

from lofte.accounts.models import Agent, Team
from lofte.cases.models import ACTIVE_STATUSES, Case
from lofte.cases.services import case_create
from lofte.customers.services import customer_create
from lofte.routing.models import AgentStatus, Availability, RoutingMode, TeamRouting
from lofte.routing.services import ASSIGNED, route_case, route_queue

CHANNELS = ("email", "web", "chat", "sms", "phone")
# each run's database has a name of its own, also within one process: a process remembers which databases have
# a year's case-number sequence (lofte.cases.numbering), and a new database under an old name has none
_runs = itertools.count(1)


@contextmanager
def own_database(label: str) -> Iterator[str]:
    """Switch the default connection to a fresh, migrated database named for this process; drop it afterwards."""
    settings_dict = connection.settings_dict
    old_name = settings_dict["NAME"]
    _closed()
    test_settings = settings_dict.setdefault("TEST", {})
    old_test_name = test_settings.get("NAME")
    own = f"{label}_{os.getpid()}_{next(_runs)}"
    if connection.vendor == "sqlite":
        test_settings["NAME"] = str(Path(settings.DATA_DIR) / f"{own}.sqlite3")
    else:
        test_settings["NAME"] = f"{old_name}_{own}"[-63:].lstrip("_")
    try:
        try:
            name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        except BaseException:
            if connection.settings_dict["NAME"] != old_name:
                connection.creation.destroy_test_db(old_name, verbosity=0)
            raise
        try:
            yield name
        finally:
            connections.close_all()
            connection.creation.destroy_test_db(old_name, verbosity=0)
            if connection.vendor == "sqlite":
                for suffix in ("-wal", "-shm", "-journal", "-writer"):
                    Path(name + suffix).unlink(missing_ok=True)
    finally:
        test_settings["NAME"] = old_test_name
        _closed()


def _closed() -> None:
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()


def seed(*, agents: int, cases: int, capacity: int) -> tuple[Team, list[int]]:
    """One team of `agents` online agents with `capacity` open cases per channel, and `cases` new cases of it
    (opened while the team routes by hand, so that the benchmark times the routing alone)."""
    team = Team.objects.create(name="Bench")
    people = Agent.objects.bulk_create(
        [Agent(email=f"bench{i}@example.com", name=f"Bench {i}", password="!") for i in range(agents)]  # noqa: S106 (unusable)
    )
    team.agents.add(*people)
    Availability.objects.bulk_create(
        [Availability(agent=a, status=AgentStatus.ONLINE, default_capacity=capacity) for a in people]
    )
    customer = customer_create(name="Bench Kund", email="bench@example.se", language="sv")
    ids = [
        case_create(
            customer=customer, subject=f"Case {i}", body="Hej!", channel=CHANNELS[i % len(CHANNELS)], team=team
        ).pk
        for i in range(cases)
    ]
    return team, ids


def run(
    *,
    agents: int,
    cases: int,
    concurrency: int = 1,
    capacity: int | None = None,
    batch: int = 1,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """Route the cases; `batch` 1: each with route_case, in a transaction of its own, as every new case is routed;
    more: `batch` at a time with route_queue, as the periodic sweep routes a team's waiting cases."""
    capacity = capacity if capacity is not None else math.ceil(cases / agents / len(CHANNELS)) + 1
    with own_database("benchrouting") as name:
        progress(f"database: {connection.vendor} {name}")
        start = time.perf_counter()
        team, ids = seed(agents=agents, cases=cases, capacity=capacity)
        progress(f"seeded {agents} agents and {cases} cases in {time.perf_counter() - start:.1f} s")
        TeamRouting.objects.create(team=team, mode=RoutingMode.LEAST_LOADED)
        # planner statistics, as a Lofte database has them: SQLite's from the hourly database.analyze job,
        # PostgreSQL's from autovacuum (which would analyze the freshly seeded tables within its next minute)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        # the new cases, read in one query as a router reads its queue (each assigner routes the ones it takes)
        cases_by_id = Case.objects.in_bulk(ids)
        connections.close_all()  # the assigners open their own
        queue = itertools.count()
        lock = threading.Lock()
        assigned: list[int] = []
        errors: list[BaseException] = []

        def assigner() -> None:
            try:
                while True:
                    with lock:
                        i = next(queue) * batch
                    if i >= len(ids):
                        return
                    if batch == 1:
                        routed = [route_case(cases_by_id[ids[i]])]
                    else:
                        routed = route_queue(team_id=team.pk, cases=[cases_by_id[pk] for pk in ids[i : i + batch]])
                    mine = [r.case.pk for r in routed if r.outcome == ASSIGNED]
                    with lock:
                        assigned.extend(mine)
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                connections.close_all()

        start = time.perf_counter()
        if concurrency == 1:
            assigner()
        else:
            threads = [threading.Thread(target=assigner) for _ in range(concurrency)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        seconds = time.perf_counter() - start
        if errors:
            raise RuntimeError(f"an assigner failed: {errors[0]!r}")
        progress(f"routed {cases} cases with {concurrency} assigners in {seconds:.2f} s ({len(assigned)} assigned)")
        return {
            "agents": agents,
            "cases": cases,
            "batch": batch,
            "assignments_per_s": round(len(assigned) / seconds, 1) if seconds else 0.0,
            **load_figures(team=team, capacity=capacity),
        }


def load_figures(*, team: Team, capacity: int) -> dict[str, Any]:
    """The worst excess over any agent's capacity in any channel (0: none), and the spread of open cases."""
    per_channel: dict[tuple[int, str], int] = {}
    totals: dict[int, int] = dict.fromkeys(team.agents.values_list("pk", flat=True), 0)
    for assignee, channel in Case.objects.filter(
        team=team, status__in=ACTIVE_STATUSES, assignee__isnull=False
    ).values_list("assignee_id", "channel"):
        per_channel[(assignee, channel)] = per_channel.get((assignee, channel), 0) + 1
        totals[assignee] += 1
    over = max((n - capacity for n in per_channel.values()), default=0)
    return {
        "max_over_capacity": max(over, 0),
        "load_stddev": round(statistics.pstdev(totals.values()), 3) if totals else 0.0,
    }


def format_table(result: dict[str, Any]) -> str:
    target = "ok" if result["assignments_per_s"] >= 200 else "MISSED"
    capped = "ok" if result["max_over_capacity"] == 0 else "EXCEEDED"
    return "\n".join(
        [
            f"{result['agents']} agents, {result['cases']} cases (least loaded)"
            + (f", routed {result['batch']} at a time from the queue" if result.get("batch", 1) > 1 else ""),
            f"assignments per second: {result['assignments_per_s']:,.1f} (target >= 200 with 50 agents: {target})",
            f"load spread (standard deviation of open cases per agent): {result['load_stddev']}",
            f"most over any agent's capacity: {result['max_over_capacity']} ({capped})",
        ]
    )
