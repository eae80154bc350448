"""`lofte bench_promises`: seeds and ticks in a database of its own and leaves the user's database untouched."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from benchmarks.promises import format_table
from benchmarks.tests.helpers import bench_databases
from lofte.notifications.models import Notification
from lofte.promises.models import Promise, PromiseKind, PromiseOrigin

pytestmark = pytest.mark.bench


@pytest.mark.django_db(transaction=True)
def test_bench_promises_ticks_in_a_database_of_its_own():
    # given: the user's (here: the test) database with one promise
    name = connection.settings_dict["NAME"]
    mine = Promise.objects.create(kind=PromiseKind.CALLBACK, due_at=timezone.now(), origin=PromiseOrigin.AGENT)
    stdout, stderr = io.StringIO(), io.StringIO()

    # when
    call_command("bench_promises", "--pending", "300", "--due", "50", "--json", stdout=stdout, stderr=stderr)

    # then: one JSON object and nothing else on stdout, progress on stderr
    output = stdout.getvalue().strip()
    assert "\n" not in output
    result = json.loads(output)
    assert (result["pending"], result["due"], result["escalations"], result["paused"]) == (300, 50, 5, 0)
    assert result["database"] == connection.vendor
    assert result["analyzed"] is True
    # every due promise broken (none reminded: a reminder after the due time helps nobody), the broken ones
    # escalated, and each told to someone: 50 breaches + 5 escalations, one notification and one email each
    assert (result["reminded"], result["broken"], result["escalated"]) == (0, 50, 5)
    assert result["notifications"] == result["emails"] >= 55
    assert result["cases"] == 153
    for key in ("tick_s", "task_s", "seed_s"):
        assert isinstance(result[key], float), key
        assert result[key] > 0 or key == "seed_s", key
    assert result["tick_s"] < 5
    assert len(result["tick_s_runs"]) == len(result["task_s_runs"]) == result["repeat"] == 3
    assert isinstance(result["tick_queries"], int)
    # the task body is the tick (the cases app writes its events and notices through its hook, inside it)
    assert 10 < result["tick_queries"] <= result["task_queries"] < 100
    assert "tick_queries_runs" not in result, "the tick's query count varied between runs"
    # the plans of the three scans (on 300 rows PostgreSQL rightly reads the table: test_tick checks the indexes)
    assert set(result["plans"]) == {"reminders", "breaches", "escalations"}
    assert all("promises_promise" in plan for plan in result["plans"].values())
    assert "database:" in stderr.getvalue()
    # and the user's database is back and untouched; the benchmark's is gone
    assert connection.settings_dict["NAME"] == name
    assert list(Promise.objects.values_list("pk", flat=True)) == [mine.pk]
    assert not Notification.objects.exists()
    assert bench_databases("benchpromises") == []


@pytest.mark.django_db(transaction=True)
def test_bench_promises_refuses_more_due_than_pending():
    with pytest.raises(CommandError, match="cannot exceed --pending"):
        call_command("bench_promises", "--pending", "10", "--due", "11", stdout=io.StringIO(), stderr=io.StringIO())
    assert bench_databases("benchpromises") == []


def test_format_table_reports_the_figures_and_the_target():
    result = {
        "pending": 1_000_000,
        "due": 1000,
        "paused": 0,
        "escalations": 100,
        "database": "sqlite",
        "analyzed": True,
        "seed_s": 30.0,
        "repeat": 3,
        "tick_s": 0.412,
        "tick_queries": 49,
        "task_s": 1.5,
        "task_queries": 55,
        "reminded": 500,
        "broken": 1000,
        "escalated": 100,
        "notifications": 1600,
        "emails": 1600,
        "plans": {"breaches": "SEARCH promises_promise USING INDEX promise_state_due (state=? AND due_at<?)"},
    }

    table = format_table(result)

    assert "1,000,000 pending promises (1,000 due, 0 paused), 100 broken to escalate, on sqlite (ANALYZE" in table
    assert "promises_tick(now=...)                0.412       49" in table
    assert "tick < 1 s per 1,000 due: ok (0.412 s)" in table
    assert "breaches: SEARCH promises_promise USING INDEX promise_state_due" in table
    assert "tick < 1 s per 1,000 due: MISSED (1.200 s)" in format_table(result | {"tick_s": 1.2})
