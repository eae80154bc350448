"""Housekeeping tasks."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task

from lofte.core import clock

KEEP_FINISHED = timedelta(days=1)


@task()
def prune_task_results() -> int:
    """Delete finished task results older than a day; the durable state lives in domain tables."""
    from django_tasks_db.models import DBTaskResult

    from lofte.core.ratelimit import ratelimit_prune

    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=clock.now() - KEEP_FINISHED).delete()
    ratelimit_prune()
    return deleted


@task()
def analyze_database() -> str:
    """Keep SQLite's planner statistics (PostgreSQL's autovacuum does this by itself).

    Without statistics SQLite guesses, and for the promise tick it guesses an
    index that reads every pending promise instead of only the due ones.
    """
    from django.db import connection

    if connection.vendor != "sqlite":
        return "skipped"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return "analyzed"
