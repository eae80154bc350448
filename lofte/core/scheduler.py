"""The periodic scheduler run by `lofte worker`.

django.tasks has no cron, so the jobs in config/schedule.py are enqueued
from here. Each job has a ScheduledJob row; a worker enqueues a run only if
its conditional UPDATE moved `next_run_at` forward, so several workers never
enqueue the same run twice, and a job missed while no worker ran is run once
when one starts (not once per missed interval).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction

from lofte.core import clock
from lofte.core.models import ScheduledJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    task: Any  # a django.tasks Task
    every: timedelta


def _ensure_rows(jobs: list[Job]) -> None:
    known = set(ScheduledJob.objects.filter(name__in=[j.name for j in jobs]).values_list("name", flat=True))
    for job in jobs:
        if job.name not in known:
            try:
                with transaction.atomic():
                    ScheduledJob.objects.create(name=job.name, next_run_at=clock.now())
            except IntegrityError:
                pass


def tick(jobs: list[Job], *, worker: str) -> list[str]:
    """Enqueue every job that is due and that this worker claimed; returns their names."""
    _ensure_rows(jobs)
    now = clock.now()
    due = dict(
        ScheduledJob.objects.filter(name__in=[j.name for j in jobs], next_run_at__lte=now).values_list(
            "name", "next_run_at"
        )
    )
    started = []
    for job in jobs:
        if job.name not in due:
            continue
        claimed = ScheduledJob.objects.filter(name=job.name, next_run_at=due[job.name]).update(
            next_run_at=now + job.every, last_run_at=now, last_worker=worker
        )
        if not claimed:
            continue
        try:
            job.task.enqueue()
        except Exception:
            # The run did not happen: give it back, so that the next tick tries again,
            # and go on with the other jobs.
            logger.exception("could not enqueue the periodic job %s", job.name)
            ScheduledJob.objects.filter(name=job.name, next_run_at=now + job.every, last_worker=worker).update(
                next_run_at=due[job.name]
            )
            continue
        started.append(job.name)
        logger.debug("scheduled %s", job.name)
    return started
