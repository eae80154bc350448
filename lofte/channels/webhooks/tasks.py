"""Webhook tasks: shells around the services."""

from __future__ import annotations

from django.tasks import task

from lofte.channels.webhooks.services import webhook_rejections_prune


@task()
def prune_webhook_rejections() -> int:
    """Remove refusals older than LOFTE_WEBHOOK_REJECTION_DAYS; returns how many rows went."""
    return webhook_rejections_prune()
