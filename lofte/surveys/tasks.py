"""Survey tasks: shells around services; idempotent, safe to run twice at once."""

from __future__ import annotations

from django.tasks import task

from lofte.core import clock
from lofte.surveys.services import surveys_run


@task()
def run_surveys() -> dict[str, int]:
    """Schedule the surveys of cases solved lately, send those due, expire those unanswered."""
    return surveys_run(now=clock.now())
