"""`lofte bench_core --cases N [--json]`: the core benchmark, in a database of its own (see benchmarks/core.py)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from benchmarks.command import BenchmarkCommand, positive_arg
from benchmarks.core import format_table, run_benchmark


class Command(BenchmarkCommand):
    help = (
        "Seed N cases in a fresh database of its own (never your data) and measure case creation "
        "(service against raw INSERT), the inbox and case pages (p50/p95, queries) and API create."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--cases", type=positive_arg, default=10_000, help="Cases to seed (default 10000).")
        self.add_json_argument(parser)
        parser.add_argument(
            "--sample",
            type=positive_arg,
            default=None,
            help="Cases created through the service, and again through raw SQL (default min(N, 2000), at least 200).",
        )
        parser.add_argument(
            "--requests", type=positive_arg, default=200, help="Requests per page and API measurement (default 200)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cases: int = options["cases"]
        sample: int = options["sample"] or max(200, min(cases, 2000))
        self.report(
            lambda: run_benchmark(cases=cases, sample=sample, requests=options["requests"], progress=self.progress),
            format_table,
            as_json=options["json"],
        )
