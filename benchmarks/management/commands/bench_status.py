"""`lofte bench_status --requests N --concurrency C [--rate R --seconds S] [--workers W] [--json]`: the public
status page (/status/ and /status.json) from the production server, with its cache warm, in a database of its
own (see benchmarks/status.py)."""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from benchmarks.command import BenchmarkCommand
from benchmarks.status import (
    LANGUAGES,
    MAX_CONCURRENCY,
    MAX_RATE,
    MAX_REQUESTS,
    MAX_SCHEDULED,
    MAX_SECONDS,
    TARGET_P95_MS,
    errors,
    format_table,
    json_figures,
    run_benchmark,
)

DEFAULT_SECONDS = 20.0


def _bounded(kind: Callable[[str], Any], low: float, high: float) -> Callable[[str], Any]:
    """An argparse type: `kind(value)` from `low` (exclusive for 0) up to `high`."""

    def parse(value: str) -> Any:
        number = kind(value)
        if not (low < number <= high if low == 0 else low <= number <= high):
            raise ValueError(value)
        return number

    parse.__name__ = kind.__name__  # argparse names the type in its message
    return parse


class Command(BenchmarkCommand):
    help = (
        "Seed a status page (12 components, an active critical incident, a planned maintenance, 60 resolved "
        "incidents over 90 days) in a fresh database of its own (never your data), start `lofte start --workers W` "
        "on it on loopback, warm the page's cache, and send N requests to /status/ and then N to /status.json "
        "(in each of --languages in turn) with C concurrent keep-alive clients: requests/s and p50/p95/p99 of "
        "each, and the queries per request with the cache warm (counted in this process). With --rate R "
        "[--seconds S], then R requests/s for S seconds on a fixed schedule (open loop, latency from the "
        f"scheduled start), and whether p95 held under {TARGET_P95_MS:g} ms. --json prints one object with the "
        "keys requests, concurrency, html_rps, html_p95_ms, json_rps, json_p95_ms, queries_per_request, and with "
        "--rate also rate_rps (the rate asked), rate_seconds, rate_p95_ms and rate_held. Any request that fails "
        "or answers another status than 200 makes the command fail after printing its figures."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--requests",
            type=_bounded(int, 1, MAX_REQUESTS),
            default=2000,
            help=f"Requests per page, after the warm-up (default 2000, at most {MAX_REQUESTS}).",
        )
        parser.add_argument(
            "--concurrency",
            type=_bounded(int, 1, MAX_CONCURRENCY),
            default=8,
            help=f"Concurrent clients, one keep-alive connection each (default 8, at most {MAX_CONCURRENCY}).",
        )
        parser.add_argument(
            "--rate",
            type=_bounded(float, 0, MAX_RATE),
            default=None,
            help=f"Then requests per second on a fixed schedule, the pages in turn (at most {MAX_RATE:g}).",
        )
        parser.add_argument(
            "--seconds",
            type=_bounded(float, 0, MAX_SECONDS),
            default=None,
            help=f"How long --rate runs, in seconds (default {DEFAULT_SECONDS:g}, at most {MAX_SECONDS:g}).",
        )
        parser.add_argument(
            "--workers", type=_bounded(int, 1, 64), default=2, help="Web server processes (default 2: one per core)."
        )
        parser.add_argument(
            "--languages",
            default=",".join(LANGUAGES),
            help=f"Comma-separated languages the requests ask for, in turn (default {','.join(LANGUAGES)}; "
            "each is a page of its own in the cache).",
        )
        self.add_json_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        rate, seconds = options["rate"], options["seconds"]
        if seconds is not None and rate is None:
            raise CommandError("--seconds is how long --rate runs: give --rate too")
        seconds = DEFAULT_SECONDS if seconds is None else seconds
        if rate is not None and rate * seconds > MAX_SCHEDULED:
            raise CommandError(f"--rate x --seconds is {rate * seconds:g} requests: at most {MAX_SCHEDULED}")
        languages = list(dict.fromkeys(code.strip() for code in options["languages"].split(",") if code.strip()))
        known = [code for code, _name in settings.LANGUAGES]
        if not languages or any(code not in known for code in languages):
            raise CommandError(f"--languages: choose from {','.join(known)}")
        failed = 0

        def run() -> dict[str, Any]:
            nonlocal failed
            result = run_benchmark(
                requests=options["requests"],
                concurrency=options["concurrency"],
                workers=options["workers"],
                rate=rate,
                seconds=seconds,
                progress=self.progress,
                languages=languages,
            )
            failed = errors(result)
            return json_figures(result) if options["json"] else result

        self.report(run, format_table, as_json=options["json"])
        if failed:
            raise CommandError(f"{failed} requests failed or answered another status than 200 (see above)")
