"""`lofte bench_core --cases N [--json]`: the core benchmark, in a database of its own (see lofte/cases/bench.py)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lofte.cases.bench import format_table, run_benchmark
from lofte.core.bench import positive_arg as _positive


class Command(BaseCommand):
    help = (
        "Seed N cases in a fresh database of its own (never your data) and measure case creation "
        "(service against raw INSERT), the inbox and case pages (p50/p95, queries) and API create."
    )
    # The system checks would open the user's database (on SQLite the JSONField check connects,
    # creating an empty file where there was none); the benchmark never touches it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--cases", type=_positive, default=10_000, help="Cases to seed (default 10000).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object and nothing else on stdout.")
        parser.add_argument(
            "--sample",
            type=_positive,
            default=None,
            help="Cases created through the service, and again through raw SQL (default min(N, 2000), at least 200).",
        )
        parser.add_argument(
            "--requests", type=_positive, default=200, help="Requests per page and API measurement (default 200)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cases: int = options["cases"]
        sample: int = options["sample"] or max(200, min(cases, 2000))

        def progress(message: str) -> None:
            self.stderr.write(message, style_func=lambda text: text)

        try:
            result = run_benchmark(cases=cases, sample=sample, requests=options["requests"], progress=progress)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, separators=(",", ":")))
        else:
            self.stdout.write(format_table(result))
