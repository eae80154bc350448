"""`lofte bench_email [--messages N] [--seed S] [--json]`: email ingestion throughput, in a database of its own.

See lofte/channels/bench.py for the mix of messages and what is measured.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lofte.channels.bench import DEFAULT_MESSAGES, format_table, run_benchmark
from lofte.core.bench import positive_arg as _positive


class Command(BaseCommand):
    help = (
        "Generate N realistic raw emails (new, replies, case references in the subject, auto-replies, bounces) and "
        "time email_ingest over all of them in a fresh database of its own (never your data or files), against "
        "the standard library's parser alone; with the queries per message."
    )
    # The system checks would open the user's database (on SQLite the JSONField check connects,
    # creating an empty file where there was none); the benchmark never touches it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--messages",
            type=_positive,
            default=DEFAULT_MESSAGES,
            help=f"Messages to ingest (default {DEFAULT_MESSAGES}).",
        )
        parser.add_argument("--seed", type=int, default=1, help="Seed of the generated mix (default 1).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object and nothing else on stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(message: str) -> None:
            self.stderr.write(message, style_func=lambda text: text)

        try:
            result = run_benchmark(options["messages"], options["seed"], progress=progress)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, separators=(",", ":"), ensure_ascii=False))
        else:
            self.stdout.write(format_table(result))
