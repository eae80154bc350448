"""Case tasks: shells around services; idempotent, safe to run twice at once."""

from __future__ import annotations

from django.tasks import task

from lofte.cases.acknowledgements import acknowledge_new_cases
from lofte.core import clock
from lofte.promises.tasks import promise_tick  # noqa: F401  (tasks queued before the tick moved to promises)


@task()
def acknowledge_cases() -> dict[str, int]:
    """Send new cases their acknowledgement with the predicted time they will hear from us."""
    return acknowledge_new_cases(now=clock.now())
