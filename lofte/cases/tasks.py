"""Case tasks: shells around services; idempotent, safe to run twice at once."""

from __future__ import annotations

from django.tasks import task

from lofte.cases.acknowledgements import acknowledge_new_cases
from lofte.cases.services import case_breach_notices, case_promises_broken
from lofte.core import clock
from lofte.promises.services import promises_tick


@task()
def promise_tick() -> dict[str, int]:
    """Remind, break and escalate due promises; broken ones go on their cases' timelines."""
    now = clock.now()
    result = promises_tick(now=now)
    case_promises_broken(promise_ids=result.broken, now=now)
    notices = case_breach_notices(promise_ids=result.broken, now=now)
    return {
        "reminded": len(result.reminded),
        "broken": len(result.broken),
        "escalated": len(result.escalated),
        "notices": notices,
    }


@task()
def acknowledge_cases() -> dict[str, int]:
    """Send new cases their acknowledgement with the predicted time they will hear from us."""
    return acknowledge_new_cases(now=clock.now())
