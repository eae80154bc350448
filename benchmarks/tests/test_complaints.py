"""`lofte bench_complaints`: in a database of its own, never the user's; the figures the issue names, with the
register's and the analysis' query counts independent of the number of complaints."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from benchmarks.tests.helpers import bench_databases
from lofte.complaints.models import Complaint

pytestmark = pytest.mark.bench


def run(complaints: int) -> dict[str, object]:
    stdout = io.StringIO()
    call_command(
        "bench_complaints",
        "--complaints",
        str(complaints),
        "--repeat",
        "3",
        "--json",
        stdout=stdout,
        stderr=io.StringIO(),
    )
    return json.loads(stdout.getvalue())


@pytest.mark.django_db(transaction=True)
def test_bench_complaints_prints_its_figures_and_leaves_nothing_behind() -> None:
    Complaint.objects.all().delete()
    small, larger = run(200), run(1200)
    for key in ("complaints", "register_p95_ms", "register_queries", "analysis_p95_ms", "export_s", "export_peak_mb"):
        assert key in small, key
    assert (small["complaints"], small["export_rows"], larger["export_rows"]) == (200, 200, 1200)
    assert small["register_queries"] == larger["register_queries"]
    assert small["analysis_queries"] == larger["analysis_queries"]
    assert 0 < small["register_p50_ms"] <= small["register_p95_ms"]  # type: ignore[operator]
    assert bench_databases("complaints_bench") == []
    assert not Complaint.objects.exists()  # the user's database was never touched
