"""`lofte bench_email [--messages N] [--seed S] [--suggestions N] [--json]`: email ingestion throughput, in a
database of its own.

See benchmarks/email_ingest.py for the mix of messages and what is measured.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from benchmarks.command import BenchmarkCommand, positive_arg
from benchmarks.email_ingest import DEFAULT_MESSAGES, TRIAGE_SAMPLE, format_table, run_benchmark


class Command(BenchmarkCommand):
    help = (
        "Generate N realistic raw emails (new, replies, case references in the subject, auto-replies, bounces) and "
        "time email_ingest over all of them in a fresh database of its own (never your data or files), against "
        "the standard library's parser alone; with the queries per message."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--messages",
            type=positive_arg,
            default=DEFAULT_MESSAGES,
            help=f"Messages to ingest (default {DEFAULT_MESSAGES}).",
        )
        parser.add_argument("--seed", type=int, default=1, help="Seed of the generated mix (default 1).")
        parser.add_argument(
            "--suggestions",
            type=int,
            default=TRIAGE_SAMPLE,
            help=f"Messages whose suggestions are timed, with Lofte's starting models trained and switched on first "
            f"(default {TRIAGE_SAMPLE}; 0: no models, no suggestions).",
        )
        self.add_json_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        self.report(
            lambda: run_benchmark(
                options["messages"], options["seed"], progress=self.progress, suggestions=max(0, options["suggestions"])
            ),
            format_table,
            as_json=options["json"],
        )
