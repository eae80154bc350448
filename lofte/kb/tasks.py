"""Background work of the knowledge base: embedding the passages that have none yet."""

from __future__ import annotations

from django.tasks import task

from lofte.kb.dense import embed_pending


@task()
def kb_embed_pending() -> int:
    """Embed every passage still without an embedding (idempotent: a second run finds none)."""
    return embed_pending()
