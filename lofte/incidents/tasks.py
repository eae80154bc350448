"""Incident tasks: shells around services; idempotent, safe to run twice at once."""

from __future__ import annotations

from django.tasks import task

from lofte.core import clock
from lofte.incidents.services import maintenance_finish


@task()
def finish_maintenance() -> dict[str, int]:
    """Scheduled maintenance past its end is resolved with the ready "completed" update (subscribers told)."""
    return {"finished": maintenance_finish(now=clock.now())}
