"""The one clock: aware datetimes only.

`clock.at(moment)` sets the time for the code inside it (demo data written
in the past, tests that need a fixed time); everything else reads `now()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_fixed: ContextVar[datetime | None] = ContextVar("lofte_clock_fixed", default=None)


def now() -> datetime:
    fixed = _fixed.get()
    return fixed if fixed is not None else timezone.now()


def fixed() -> datetime | None:
    """The time `at` set here, if any (a thread of one's own starts without it: hand it over)."""
    return _fixed.get()


@contextmanager
def at(moment: datetime) -> Iterator[datetime]:
    if timezone.is_naive(moment):
        raise ValueError("clock.at needs an aware datetime")
    token = _fixed.set(moment)
    try:
        yield moment
    finally:
        _fixed.reset(token)
