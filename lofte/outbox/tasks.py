"""Outbox tasks: shells around the services; idempotent, safe to run twice at once."""

from __future__ import annotations

from django.tasks import task

from lofte.outbox.services import outbox_deliver_due


@task()
def deliver_outbox() -> dict[str, int]:
    return outbox_deliver_due()
