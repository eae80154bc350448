"""How often an incident promises a public update: per severity, a list of steps (from minute M into the incident,
an update every N minutes), so the interval widens as the outage drags on. Admins change the steps
(CadenceStep); a severity without steps uses DEFAULTS."""

from __future__ import annotations

from datetime import datetime, timedelta

from lofte.incidents.models import CadenceStep, Severity

# (from minute, every minutes): e.g. a critical incident every 10 minutes in the first hour, then 20, 30, 60
DEFAULTS: dict[str, list[tuple[int, int]]] = {
    Severity.CRITICAL: [(0, 10), (60, 20), (120, 30), (240, 60)],
    Severity.MAJOR: [(0, 15), (60, 30), (180, 60)],
    Severity.MINOR: [(0, 30), (120, 60)],
}


def steps_for(severity: str) -> list[tuple[int, int]]:
    """The severity's steps, earliest first (one query)."""
    rows = list(
        CadenceStep.objects.filter(severity=severity)
        .order_by("after_minutes")
        .values_list("after_minutes", "every_minutes")
    )
    return rows or DEFAULTS.get(severity, DEFAULTS[Severity.MAJOR])


def interval(steps: list[tuple[int, int]], elapsed: timedelta) -> int:
    """Minutes to the next update at `elapsed` into the incident: the last step already begun."""
    minutes = elapsed.total_seconds() / 60
    every = steps[0][1]
    for after, step_every in steps:
        if minutes >= after:
            every = step_every
    return max(1, every)


def next_due(*, severity: str, started_at: datetime, now: datetime) -> datetime:
    """When the next public update is due, counted from now."""
    return now + timedelta(minutes=interval(steps_for(severity), now - started_at))


def steps_text(steps: list[tuple[int, int]]) -> str:
    """ "0:10 60:20 120:30": the form's way of writing the steps."""
    return " ".join(f"{after}:{every}" for after, every in steps)
