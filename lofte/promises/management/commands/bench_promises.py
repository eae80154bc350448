"""`lofte bench_promises --pending N --due M [--json]`: one promise tick, in a database of its own.

See lofte/promises/bench.py for what is seeded and measured.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lofte.core.bench import count_arg as _count
from lofte.core.bench import positive_arg as _positive
from lofte.promises.bench import format_table, run_benchmark


class Command(BaseCommand):
    help = (
        "Seed N pending promises, M of them due, in a fresh database of its own (never your data), and time "
        "one reminder/breach/escalation tick and the task around it, with their query counts."
    )
    # The system checks would open the user's database (on SQLite the JSONField check connects,
    # creating an empty file where there was none); the benchmark never touches it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--pending", type=_positive, default=100_000, help="Pending promises to seed (default 100000)."
        )
        parser.add_argument(
            "--due", type=_count, default=1000, help="How many of them are due: broken by the tick (default 1000)."
        )
        parser.add_argument(
            "--escalations",
            type=_count,
            default=None,
            help="Broken promises due for their next escalation, besides the pending ones (default due / 10).",
        )
        parser.add_argument(
            "--paused",
            type=_count,
            default=0,
            help="How many pending promises are paused with their due time passed while paused (default 0).",
        )
        parser.add_argument(
            "--history",
            type=_count,
            default=0,
            help="Promises of the past besides: kept, cancelled, or broken and escalated to the top (default 0).",
        )
        parser.add_argument(
            "--repeat", type=_positive, default=3, help="Ticks (and task runs) to time; the median is reported."
        )
        parser.add_argument(
            "--no-analyze",
            action="store_true",
            help="On SQLite, do not ANALYZE after seeding (as a Lofte SQLite database never is).",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object and nothing else on stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        pending: int = options["pending"]
        due: int = options["due"]
        paused: int = options["paused"]
        escalations: int = options["escalations"] if options["escalations"] is not None else due // 10
        if due + paused > pending:
            raise CommandError("--due and --paused together cannot exceed --pending.")

        def progress(message: str) -> None:
            self.stderr.write(message, style_func=lambda text: text)

        try:
            result = run_benchmark(
                pending=pending,
                due=due,
                paused=paused,
                escalations=escalations,
                history=options["history"],
                repeat=options["repeat"],
                analyze=not options["no_analyze"],
                progress=progress,
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, separators=(",", ":"), ensure_ascii=False))
        else:
            self.stdout.write(format_table(result))
