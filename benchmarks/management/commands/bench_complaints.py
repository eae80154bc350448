"""`lofte bench_complaints --complaints N [--json]`: the complaint register, the analysis page and the register's
CSV export at N complaints, in a database of its own. See benchmarks/complaints.py."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from benchmarks.command import BenchmarkCommand, positive_arg
from benchmarks.complaints import bench, bench_table


class Command(BenchmarkCommand):
    help = (
        "Seed N complaints over two years in a fresh database of its own (never your data) and time the complaint "
        "register, the analysis page and the CSV export of the whole register."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--complaints", type=positive_arg, default=100_000, help="Complaints to seed (default 100000)."
        )
        parser.add_argument("--repeat", type=positive_arg, default=40, help="Page loads to time (default 40).")
        self.add_no_analyze_argument(parser)
        self.add_json_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        self.report(
            lambda: bench(
                complaints=options["complaints"],
                repeat=options["repeat"],
                analyze=not options["no_analyze"],
                progress=self.progress,
            ),
            bench_table,
            as_json=options["json"],
        )
