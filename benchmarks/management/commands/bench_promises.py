"""`lofte bench_promises --pending N --due M [--json]`: one promise tick, in a database of its own.

See benchmarks/promises.py for what is seeded and measured.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from benchmarks.command import BenchmarkCommand, count_arg, positive_arg
from benchmarks.promises import format_table, run_benchmark


class Command(BenchmarkCommand):
    help = (
        "Seed N pending promises, M of them due, in a fresh database of its own (never your data), and time "
        "one reminder/breach/escalation tick and the task around it, with their query counts."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--pending", type=positive_arg, default=100_000, help="Pending promises to seed (default 100000)."
        )
        parser.add_argument(
            "--due", type=count_arg, default=1000, help="How many of them are due: broken by the tick (default 1000)."
        )
        parser.add_argument(
            "--escalations",
            type=count_arg,
            default=None,
            help="Broken promises due for their next escalation, besides the pending ones (default due / 10).",
        )
        parser.add_argument(
            "--paused",
            type=count_arg,
            default=0,
            help="How many pending promises are paused with their due time passed while paused (default 0).",
        )
        parser.add_argument(
            "--history",
            type=count_arg,
            default=0,
            help="Promises of the past besides: kept, cancelled, or broken and escalated to the top (default 0).",
        )
        parser.add_argument(
            "--repeat", type=positive_arg, default=3, help="Ticks (and task runs) to time; the median is reported."
        )
        self.add_no_analyze_argument(parser)
        self.add_json_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        pending: int = options["pending"]
        due: int = options["due"]
        paused: int = options["paused"]
        escalations: int = options["escalations"] if options["escalations"] is not None else due // 10
        if due + paused > pending:
            raise CommandError("--due and --paused together cannot exceed --pending.")
        self.report(
            lambda: run_benchmark(
                pending=pending,
                due=due,
                paused=paused,
                escalations=escalations,
                history=options["history"],
                repeat=options["repeat"],
                analyze=not options["no_analyze"],
                progress=self.progress,
            ),
            format_table,
            as_json=options["json"],
        )
