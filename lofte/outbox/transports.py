"""Transports deliver outbox rows on a channel. They are named in settings.LOFTE_TRANSPORTS
(channel -> dotted path) and loaded by name, so the outbox depends on no channel's code."""

from __future__ import annotations

from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from lofte.outbox.models import OutboxMessage


class PermanentFailure(Exception):
    """The delivery can never succeed (bad address, refused content): no more attempts."""


class Transport(Protocol):
    def send(self, row: OutboxMessage) -> str:
        """Deliver the row; return the provider's id (may be empty). Raise to fail the attempt."""
        ...


def get_transport(channel: str) -> Transport:
    path = settings.LOFTE_TRANSPORTS.get(channel)
    if path is None:
        raise PermanentFailure(f"No transport is configured for the channel {channel!r}.")
    return _load(path)


@cache
def _load(path: str) -> Transport:
    """One instance per dotted path (so a changed LOFTE_TRANSPORTS takes effect)."""
    transport: Transport = import_string(path)()
    return transport
