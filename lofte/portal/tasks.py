"""Portal tasks: shells around services."""

from __future__ import annotations

from django.tasks import task

from lofte.portal.services import portal_link_send, portal_tokens_prune


@task()
def send_portal_link(*, kind: str, value: str, ip: str, language: str) -> bool:
    """Look the address up and, for a customer's, send the link (queued by the link request, so that the
    request takes the same time for any address)."""
    return portal_link_send(kind=kind, value=value, ip=ip, language=language)


@task()
def prune_portal_tokens() -> int:
    """Delete magic links that expired more than a day ago."""
    return portal_tokens_prune()
