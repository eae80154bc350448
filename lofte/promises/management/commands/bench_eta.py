"""`lofte bench_eta --history N [--json]`: the ETA prediction for a new case, in a database of its own.

See lofte/promises/eta_bench.py for what is seeded and measured.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lofte.core.bench import count_arg as _count
from lofte.core.bench import positive_arg as _positive
from lofte.promises.eta_bench import format_table, run_benchmark


class Command(BaseCommand):
    help = (
        "Seed N past first responses over channels, case types and teams in a fresh database of its own "
        "(never your data), and time the ETA prediction for new cases, with its query count."
    )
    # The system checks would open the user's database; the benchmark never touches it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--history", type=_count, default=100_000, help="Past first responses to seed (default 100000)."
        )
        parser.add_argument(
            "--predictions", type=_positive, default=500, help="Predictions to time, one by one (default 500)."
        )
        parser.add_argument(
            "--no-analyze",
            action="store_true",
            help="On SQLite, do not ANALYZE after seeding (as a Lofte SQLite database never is).",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object and nothing else on stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(message: str) -> None:
            self.stderr.write(message, style_func=lambda text: text)

        try:
            result = run_benchmark(
                history=options["history"],
                predictions=options["predictions"],
                analyze=not options["no_analyze"],
                progress=progress,
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, separators=(",", ":"), ensure_ascii=False))
        else:
            self.stdout.write(format_table(result))
