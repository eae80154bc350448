"""Complaints' tasks: shells around services."""

from __future__ import annotations

from django.tasks import task

from lofte.complaints.checks import checks_run
from lofte.core import clock


@task()
def run_temperature_checks() -> dict[str, int]:
    """Schedule, send and expire temperature checks (idempotent; the worker runs it every minute)."""
    return checks_run(now=clock.now())
