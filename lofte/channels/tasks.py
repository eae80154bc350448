"""Channel tasks: shells around the services; safe to run twice at once (ingest recognises a message seen twice)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.tasks import task

from lofte.channels.email.imap import mailboxes_poll


@task()
def poll_mailboxes() -> list[dict[str, Any]]:
    """Fetch new mail from every active mailbox with an IMAP server; one report per mailbox."""
    return [asdict(report) for report in mailboxes_poll()]
