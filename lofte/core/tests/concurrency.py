"""Tests' helper: work run in several threads at once, each with its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import OperationalError, connections


class Deadlock(Exception):
    """PostgreSQL broke a deadlock between two ticks by aborting one: the claims must lock in one order."""


def run_concurrently[T](workers: int, work: Callable[[], T]) -> list[T]:
    """Run `work()` in `workers` threads released at the same moment; each thread has its own connection."""
    barrier = threading.Barrier(workers)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(work())
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for error in errors:
        if isinstance(error, OperationalError) and "deadlock detected" in str(error):
            raise Deadlock(str(error)) from error
    assert errors == []
    assert len(results) == workers
    return results
