"""`lofte bench_eta --history N [--json]`: the ETA prediction for a new case, in a database of its own.

See benchmarks/eta.py for what is seeded and measured.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from benchmarks.command import BenchmarkCommand, count_arg, positive_arg
from benchmarks.eta import format_table, run_benchmark


class Command(BenchmarkCommand):
    help = (
        "Seed N past first responses over channels, case types and teams in a fresh database of its own "
        "(never your data), and time the ETA prediction for new cases, with its query count."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--history", type=count_arg, default=100_000, help="Past first responses to seed (default 100000)."
        )
        parser.add_argument(
            "--predictions", type=positive_arg, default=500, help="Predictions to time, one by one (default 500)."
        )
        self.add_no_analyze_argument(parser)
        self.add_json_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        self.report(
            lambda: run_benchmark(
                history=options["history"],
                predictions=options["predictions"],
                analyze=not options["no_analyze"],
                progress=self.progress,
            ),
            format_table,
            as_json=options["json"],
        )
