"""`lofte kb_evaluate --articles FILE.jsonl --queries FILE.jsonl [--k 1,5,10] [--json]`: knowledge-base search
quality on labelled queries, in a database of its own. See benchmarks/kb.py."""

from __future__ import annotations

from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from benchmarks.command import BenchmarkCommand
from benchmarks.kb import evaluate, evaluation_table


def ks_arg(value: str) -> tuple[int, ...]:
    try:
        ks = tuple(sorted({int(part) for part in value.split(",") if part.strip()}))
    except ValueError as exc:
        raise ArgumentTypeError(f"'{value}' is not a list of whole numbers such as 1,5,10") from exc
    if not ks or ks[0] < 1 or ks[-1] > 50:
        raise ArgumentTypeError(f"'{value}': each k must be between 1 and 50")
    return ks


class Command(BenchmarkCommand):
    help = (
        "Load the articles into a database of its own (never your data), index them as Lofte does, run every "
        "labelled query, and print recall@k and MRR for lexical, dense and fused search, and the p95 search time."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--articles", type=Path, required=True, help='JSONL: {"id", "title", "body", "language"}')
        parser.add_argument(
            "--queries", type=Path, required=True, help='JSONL: {"query", "relevant": [ids], "language"}'
        )
        parser.add_argument("--k", type=ks_arg, default=(1, 5, 10), help="Cut-offs for recall (default 1,5,10).")
        self.add_json_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        self.report(
            lambda: evaluate(
                articles_path=options["articles"],
                queries_path=options["queries"],
                ks=options["k"],
                progress=self.progress,
            ),
            evaluation_table,
            as_json=options["json"],
        )
