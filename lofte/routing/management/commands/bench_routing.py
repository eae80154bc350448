"""`lofte bench_routing --agents A --cases N [--json] [--concurrency C]`: routing in a database of its own.

See lofte/routing/bench.py for what is seeded and measured.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lofte.routing.bench import format_table, run


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Put A agents online and route N new cases to them least-loaded, in a fresh database of its own (never "
        "your data); print assignments per second, the spread of load and the most over any agent's capacity."
    )
    # the system checks would open the user's database; the benchmark never touches it
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--agents", type=_positive, default=50, help="Agents online (default 50).")
        parser.add_argument("--cases", type=_positive, default=2000, help="New cases to route (default 2000).")
        parser.add_argument(
            "--concurrency", type=_positive, default=1, help="Assigners at once, each a thread (default 1)."
        )
        parser.add_argument(
            "--capacity",
            type=_positive,
            default=None,
            help="Open cases per channel per agent (default: enough for every case, plus one).",
        )
        parser.add_argument(
            "--batch",
            type=_positive,
            default=1,
            help="Cases routed per transaction (default 1: each on its own, as every new case is routed; more: "
            "from the team's queue, as the periodic sweep routes waiting cases).",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object and nothing else on stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = run(
                agents=options["agents"],
                cases=options["cases"],
                concurrency=options["concurrency"],
                capacity=options["capacity"],
                batch=options["batch"],
                progress=lambda text: self.stderr.write(text, style_func=lambda t: t),
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, separators=(",", ":")))
        else:
            self.stdout.write(format_table(result))
