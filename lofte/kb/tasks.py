"""Background work of the knowledge base: embedding the passages that have none yet."""

from __future__ import annotations

from django.tasks import task

from lofte.kb.dense import embed_pending
from lofte.kb.services import search_log_prune


@task()
def kb_embed_pending() -> int:
    """Embed every passage still without an embedding (idempotent: a second run finds none)."""
    return embed_pending()


@task()
def prune_search_log() -> int:
    """Forget the help centre's old searches (lofte.kb.services.SEARCH_LOG_DAYS)."""
    return search_log_prune()
