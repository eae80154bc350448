"""What else happens when a customer's message is filed, registered by the apps above cases (text understanding
reads it): `intake_receive` calls `message_arrived(arrival)` for every message in the customer's own words it files
(not a duplicate, not an agent's notes of a call, not a reply on an internal thread), inside its transaction. A
registered function that has slow work to do queues it for after the commit. The cases app imports none of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lofte.cases.models import Message


@dataclass(frozen=True)
class Arrival:
    message: Message
    opened: bool  # the message opened its case
    # the customer was found by an address this contact proved (or was known already: the portal), not created
    # for it and not found by a claimed address
    proven: bool


MessageArrived = Callable[[Arrival], object]

_registered: list[MessageArrived] = []


def register(fn: MessageArrived) -> None:
    """Call `fn(arrival)` for every customer message filed from now on (once per function)."""
    if fn not in _registered:
        _registered.append(fn)


def unregister(fn: MessageArrived) -> None:
    if fn in _registered:
        _registered.remove(fn)


def message_arrived(arrival: Arrival) -> None:
    """Called by lofte.cases.intake.intake_receive, inside its transaction."""
    for fn in _registered:
        fn(arrival)
