"""`lofte bench_routing`: routes in a database of its own, prints one JSON object, never beyond capacity."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from lofte.accounts.models import Agent
from lofte.cases.models import Case
from lofte.cases.services import case_create
from lofte.customers.services import customer_create
from lofte.routing.bench import format_table

pytestmark = pytest.mark.bench


def leftovers() -> list[str]:
    """The benchmark's databases of this process that still exist."""
    pid = os.getpid()
    if connection.vendor == "sqlite":
        return [str(p) for p in Path(settings.DATA_DIR).glob(f"benchrouting_{pid}_*.sqlite3*")]
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"%\\_benchrouting\\_{pid}\\_%"])
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("concurrency", "capacity", "batch"), [(1, None, 1), (4, 2, 1), (3, 2, 7)])
def test_bench_routing_routes_in_a_database_of_its_own(concurrency, capacity, batch):
    # given: the user's (here: the test) database with one agent and one case (on PostgreSQL, a case also makes
    # the year's number sequence there, which the tests' conftest sets back after each test)
    name = connection.settings_dict["NAME"]
    Agent.objects.create(email="mine@example.com")
    customer = customer_create(name="Karin Kund", email="karin@example.se")
    mine = case_create(customer=customer, subject="Min", body="Hej!", channel="email")
    stdout, stderr = io.StringIO(), io.StringIO()
    extra = ["--capacity", str(capacity)] if capacity else []

    # when
    call_command(
        "bench_routing",
        "--agents",
        "6",
        "--cases",
        "90",
        "--concurrency",
        str(concurrency),
        "--batch",
        str(batch),
        *extra,
        "--json",
        stdout=stdout,
        stderr=stderr,
    )

    # then: one JSON object and nothing else on stdout, progress on stderr
    output = stdout.getvalue().strip()
    assert "\n" not in output
    result = json.loads(output)
    assert set(result) == {"agents", "cases", "batch", "assignments_per_s", "max_over_capacity", "load_stddev"}
    assert (result["agents"], result["cases"], result["batch"], result["max_over_capacity"]) == (6, 90, batch, 0)
    assert result["assignments_per_s"] > 0
    # room for every case (15 each), or 2 per channel, 10 per agent (60 assigned): either way an even spread
    assert result["load_stddev"] == 0.0
    assert "database:" in stderr.getvalue()
    assert f"({90 if capacity is None else 60} assigned)" in stderr.getvalue()
    # and the user's database is back and untouched; the benchmark's is gone
    assert connection.settings_dict["NAME"] == name
    assert list(Agent.objects.values_list("email", flat=True)) == ["mine@example.com"]
    assert list(Case.objects.values_list("reference", flat=True)) == [mine.reference]
    assert leftovers() == []


def test_format_table_reports_the_figures_and_the_targets():
    result = {"agents": 50, "cases": 2000, "assignments_per_s": 250.0, "max_over_capacity": 0, "load_stddev": 0.5}

    table = format_table(result)

    assert "50 agents, 2000 cases (least loaded)" in table
    assert "assignments per second: 250.0 (target >= 200 with 50 agents: ok)" in table
    assert "most over any agent's capacity: 0 (ok)" in table
    assert "MISSED" in format_table(result | {"assignments_per_s": 150.0})
    assert "50 agents, 2000 cases (least loaded), routed 50 at a time from the queue" in format_table(
        result | {"batch": 50}
    )
    assert "1 (EXCEEDED)" in format_table(result | {"max_over_capacity": 1})
