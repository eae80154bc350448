"""Promise tasks: shells around services; idempotent, safe to run twice at once."""

from __future__ import annotations

from django.tasks import task

from lofte.core import clock
from lofte.promises.services import promises_tick


@task()
def promise_tick() -> dict[str, int]:
    """Remind, break and escalate due promises; the subjects' apps add theirs through their tick hooks (the
    cases app: broken promises on the timeline, the notice to the customer)."""
    result = promises_tick(now=clock.now())
    return {
        "reminded": len(result.reminded),
        "broken": len(result.broken),
        "escalated": len(result.escalated),
        **result.counts,
    }
