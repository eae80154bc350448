"""Lofte's own addresses (its mailboxes and the default sender), with the mailbox each belongs to.

Read on every inbound message (mail from Lofte itself is a loop) and every outbound email (the From
mailbox and its SMTP server; no automatic mail to Lofte itself), so it is cached per process for a
few seconds; the mailbox admin clears the cache at once.
"""

from __future__ import annotations

import time
from email.utils import parseaddr

from django.conf import settings

from lofte.channels.models import Mailbox

OWN_ADDRESSES_TTL = 10.0

_own: tuple[float, dict[str, Mailbox | None]] = (0.0, {})


def own_addresses() -> dict[str, Mailbox | None]:
    """Lofte's addresses (lower-case) and the mailbox each belongs to (None for the default sender)."""
    global _own
    loaded_at, addresses = _own
    if time.monotonic() - loaded_at > OWN_ADDRESSES_TTL:
        addresses = {m.address.lower(): m for m in Mailbox.objects.select_related("team", "case_type")}
        addresses.setdefault(parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower(), None)
        _own = (time.monotonic(), addresses)
    return addresses


def own_address_names() -> list[str]:
    """Lofte's addresses (lower-case): what lofte.cases.own_addresses asks before a forward or a copy."""
    return list(own_addresses())


def own_addresses_clear() -> None:
    global _own
    _own = (0.0, {})
