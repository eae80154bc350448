"""`lofte bench_kb --articles N [--json]`: knowledge-base indexing rate and search times at N articles (each in
Swedish and English), in a database of its own. See benchmarks/kb.py."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from benchmarks.command import BenchmarkCommand, positive_arg
from benchmarks.kb import bench, bench_table


class Command(BenchmarkCommand):
    help = (
        "Seed N articles with a Swedish and an English translation in a fresh database of its own (never your "
        "data), index them with their embeddings, and time lexical, dense and fused search."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--articles", type=positive_arg, default=10_000, help="Articles to seed (default 10000).")
        parser.add_argument(
            "--searches", type=positive_arg, default=200, help="Searches to time per mode (default 200)."
        )
        self.add_json_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        self.report(
            lambda: bench(articles=options["articles"], searches=options["searches"], progress=self.progress),
            bench_table,
            as_json=options["json"],
        )
