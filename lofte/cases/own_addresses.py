"""Lofte's own email addresses, as the apps that hold them tell (lofte.channels registers its mailboxes and the
default sender; the teams' addresses are the cases app's own to read). A forward or a copy never goes to Lofte
itself: its answer would come back as mail from Lofte, which the ingest drops as a loop, and nobody would know."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import Q

from lofte.accounts.models import Team

OwnAddresses = Callable[[], Iterable[str]]

_registered: list[OwnAddresses] = []


def register(fn: OwnAddresses) -> None:
    """Count the addresses `fn()` gives (lower-case) as Lofte's own (once per function)."""
    if fn not in _registered:
        _registered.append(fn)


def own_address(addresses: Iterable[str]) -> str:
    """The first of `addresses` that is Lofte's own (a mailbox, the default sender, a team's), or ""."""
    wanted = {a.strip().lower(): a for a in addresses if a and a.strip()}
    if not wanted:
        return ""
    own: set[str] = set()
    for fn in _registered:
        own.update(a.lower() for a in fn())
    teams = Q()
    for lowered in wanted:
        teams |= Q(email__iexact=lowered)
    own.update(e.lower() for e in Team.objects.filter(teams).values_list("email", flat=True))
    return next((original for lowered, original in wanted.items() if lowered in own), "")
