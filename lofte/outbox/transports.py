"""Transports deliver outbox rows on a channel. They are named in settings.LOFTE_TRANSPORTS
(channel -> dotted path) and loaded by name, so the outbox depends on no channel's code.

Whether a channel can be sent on now (`channel_on`): its transport is installed and, when the channel's app
registered a check (`channel_check_register`: SMS asks whether an admin turned a provider on, on the settings
page), the check says so. Callers that choose a route (a reply, a confirmation, a portal link) ask this, so an
SMS turned off falls back to email at once, in every process."""

from __future__ import annotations

from collections.abc import Callable
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


_checks: dict[str, Callable[[], bool]] = {}


def channel_check_register(channel: str, check: Callable[[], bool]) -> None:
    """`check()` says whether `channel` is on now (read on each question; the app keeps it cheap)."""
    _checks[channel] = check


def channel_on(channel: str) -> bool:
    """Whether a message on `channel` can be sent now: its transport is installed and its check (if any) agrees."""
    if channel not in settings.LOFTE_TRANSPORTS:
        return False
    check = _checks.get(channel)
    return check() if check is not None else True
