"""Routing tasks: shells around services; idempotent, safe to run twice at once."""

from __future__ import annotations

from django.tasks import task

from lofte.core import clock
from lofte.routing.services import reroute_away, route_waiting


@task()
def reroute_away_cases() -> dict[str, int]:
    """Unanswered cases of agents away past their team's grace go back through routing; then the cases waiting
    in routed teams' queues get another try (room frees up as cases are solved and agents come online)."""
    now = clock.now()
    return {**reroute_away(now=now), **{f"waiting_{k}": v for k, v in route_waiting(now=now).items()}}
