"""`lofte triage_evaluate --train FILE.csv --test FILE.csv [--complaint] [--json]`: how well Lofte's text models
learn labels from CSV rows, in a database of its own. See benchmarks/triage.py."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from benchmarks.command import BenchmarkCommand
from benchmarks.triage import evaluate_files, evaluation_table


class Command(BenchmarkCommand):
    help = (
        "Train Lofte's text model on the training rows in a database of its own (never your data), then label "
        "each test row: accuracy, macro-F1, out-of-scope recall and in-scope accuracy (rows labelled oos), "
        "training time and prediction p95. --complaint: labels complaint/other, with the flag's precision, "
        "recall and F1."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--train", type=Path, required=True, help="CSV: text,label[,language]")
        parser.add_argument("--test", type=Path, required=True, help="CSV: text,label[,language]; label oos allowed")
        parser.add_argument("--complaint", action="store_true", help="Labels complaint / other: the complaint flag.")
        self.add_json_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        self.report(
            lambda: evaluate_files(
                train_path=options["train"],
                test_path=options["test"],
                complaint=options["complaint"],
                progress=self.progress,
            ),
            evaluation_table,
            as_json=options["json"],
        )
