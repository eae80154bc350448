"""`lofte bench_http --cases N --clients C --seconds S [--workers W] [--json]`: the production server under load
over HTTP, in a database of its own (see benchmarks/http.py)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from benchmarks.command import BenchmarkCommand, positive_arg
from benchmarks.http import ENDPOINTS, format_table, run_benchmark


def seconds_arg(value: str) -> float:
    """An argparse type: a duration in seconds, more than 0."""
    number = float(value)
    if not number > 0:
        raise ValueError(value)
    return number


class Command(BenchmarkCommand):
    help = (
        "Seed N cases (with timelines and promise history) in a fresh database of its own (never your data), "
        "start `lofte start --workers W` on it, and drive each endpoint with C concurrent keep-alive clients for "
        "S seconds: requests/s, p50/p95/p99, errors, and the most database connections the server held."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--cases", type=positive_arg, default=10_000, help="Cases to seed (default 10000).")
        parser.add_argument("--clients", type=positive_arg, default=8, help="Concurrent clients (default 8).")
        parser.add_argument(
            "--seconds", type=seconds_arg, default=10.0, help="Seconds of load per endpoint (default 10)."
        )
        parser.add_argument("--workers", type=positive_arg, default=2, help="Web server processes (default 2).")
        parser.add_argument(
            "--endpoints",
            default=",".join(ENDPOINTS),
            help=f"Comma-separated endpoints to measure, in this order (default all: {','.join(ENDPOINTS)}).",
        )
        self.add_json_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        endpoints = [e.strip() for e in options["endpoints"].split(",") if e.strip()]
        unknown = [e for e in endpoints if e not in ENDPOINTS]
        if unknown or not endpoints:
            raise CommandError(f"unknown endpoints {unknown}; choose from {','.join(ENDPOINTS)}")
        self.report(
            lambda: run_benchmark(
                cases=options["cases"],
                clients=options["clients"],
                seconds=options["seconds"],
                workers=options["workers"],
                endpoints=list(dict.fromkeys(endpoints)),
                progress=self.progress,
            ),
            format_table,
            as_json=options["json"],
        )
