"""What the `lofte bench_*` commands share: argument types, progress on stderr, one JSON object or a table on stdout."""

from __future__ import annotations

import json
import math
from argparse import ArgumentParser
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class InputError(RuntimeError):
    """A line of an input file that cannot be used, named by file and line (a RuntimeError: `report` shows it as
    the command's error)."""


def percentile(values: list[float], q: float) -> float:
    """The q-th quantile by the nearest-rank method; 0.0 for no values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def count_arg(value: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


def positive_arg(value: str) -> int:
    """An argparse type: a whole number, 1 or more."""
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class BenchmarkCommand(BaseCommand):
    """A benchmark in a database of its own: progress goes to stderr, the figures to stdout."""

    # The system checks would open the user's database (on SQLite the JSONField check connects,
    # creating an empty file where there was none); the benchmark never touches it.
    requires_system_checks: list[str] = []

    @staticmethod
    def add_json_argument(parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object and nothing else on stdout.")

    @staticmethod
    def add_no_analyze_argument(parser: ArgumentParser) -> None:
        parser.add_argument(
            "--no-analyze",
            action="store_true",
            help="On SQLite, do not ANALYZE after seeding (as a Lofte SQLite database never is).",
        )

    def progress(self, message: str) -> None:
        self.stderr.write(message, style_func=lambda text: text)

    def report(
        self, run: Callable[[], dict[str, Any]], table: Callable[[dict[str, Any]], str], *, as_json: bool
    ) -> None:
        """Run the benchmark and print its figures: one JSON object, or the human-readable table."""
        try:
            result = run()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if as_json:
            self.stdout.write(json.dumps(result, separators=(",", ":"), ensure_ascii=False))
        else:
            self.stdout.write(table(result))
