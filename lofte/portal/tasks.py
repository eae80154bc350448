"""Portal tasks: shells around services."""

from __future__ import annotations

from django.tasks import task

from lofte.portal.services import portal_tokens_prune


@task()
def prune_portal_tokens() -> int:
    """Delete magic links that expired more than a day ago."""
    return portal_tokens_prune()
