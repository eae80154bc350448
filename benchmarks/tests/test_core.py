"""`lofte bench_core`: runs end to end in a database of its own and leaves the user's database untouched."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from benchmarks.core import format_table
from benchmarks.tests.helpers import bench_databases
from lofte.cases.models import Case

pytestmark = pytest.mark.bench

REQUIRED = [
    "cases",
    "create_per_s",
    "raw_insert_per_s",
    "inbox_p95_ms",
    "inbox_queries",
    "case_p95_ms",
    "case_queries",
    "api_create_p95_ms",
]
TIMINGS = [
    "create_per_s",
    "raw_insert_per_s",
    "create_ratio",
    "inbox_p50_ms",
    "inbox_p95_ms",
    "inbox_filtered_p95_ms",
    "inbox_search_p95_ms",
    "views_p95_ms",
    "case_p50_ms",
    "case_p95_ms",
    "api_create_p50_ms",
    "api_create_p95_ms",
]
QUERY_COUNTS = [
    "inbox_queries",
    "inbox_filtered_queries",
    "inbox_search_queries",
    "views_queries",
    "case_queries",
    "api_create_queries",
]


@pytest.mark.django_db(transaction=True)
def test_bench_core_measures_in_a_database_of_its_own(case):
    # given: the user's (here: the test) database with one case
    name = connection.settings_dict["NAME"]
    assert Case.objects.count() == 1
    stdout, stderr = io.StringIO(), io.StringIO()

    # when
    call_command(
        "bench_core", "--cases", "60", "--json", "--sample", "20", "--requests", "10", stdout=stdout, stderr=stderr
    )

    # then: one JSON object and nothing else on stdout, progress on stderr
    output = stdout.getvalue().strip()
    assert "\n" not in output
    result = json.loads(output)
    assert set(REQUIRED) <= set(result)
    assert result["cases"] == 60
    assert result["sample"] == 20
    assert result["requests"] == 10
    assert result["database"] == connection.vendor
    for key in TIMINGS:
        assert isinstance(result[key], float), key
        assert result[key] > 0, key
    for key in QUERY_COUNTS:
        assert isinstance(result[key], int), key
        assert result[key] > 0, key
    assert result["inbox_p95_ms"] >= result["inbox_p50_ms"]
    assert result["case_p95_ms"] >= result["case_p50_ms"]
    assert not any(key.endswith("_query_counts") for key in result), "a page's query count varied between requests"
    assert "database:" in stderr.getvalue()
    # and the user's database is back and untouched; the benchmark's is gone
    assert connection.settings_dict["NAME"] == name
    assert list(Case.objects.values_list("reference", flat=True)) == [case.reference]
    assert bench_databases("bench") == []


def test_format_table_reports_every_figure_and_the_targets():
    result = {
        "cases": 100_000,
        "database": "sqlite",
        "seed_s": 30.0,
        "seeded_messages": 385_000,
        "seeded_events": 980_000,
        "sample": 2000,
        "create_per_s": 900.0,
        "raw_insert_per_s": 2000.0,
        "create_ratio": 0.45,
        "api_create_p50_ms": 9.0,
        "api_create_p95_ms": 12.0,
        "api_create_queries": 20,
    }
    for key, p95 in [("inbox", 21.0), ("inbox_filtered", 18.0), ("inbox_search", 52.0), ("views", 7.0), ("case", 60.0)]:
        result |= {f"{key}_p50_ms": p95 - 3, f"{key}_p95_ms": p95, f"{key}_queries": 9}

    table = format_table(result)

    assert "100,000 cases on sqlite" in table
    assert "inbox p95 < 25 ms: ok (21.0 ms)" in table
    assert "inbox views' counts                     4.0      7.0        9" in table
    assert "case page p95 < 25 ms: MISSED (60.0 ms)" in table
    assert "create >= 0.5 x raw INSERT: MISSED (0.45)" in table
    assert "900 cases/s" in table
    assert "2000 cases/s" in table
