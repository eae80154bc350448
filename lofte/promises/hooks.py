"""How the apps that own a promise's subject join the tick.

The tick (lofte.promises.services.promises_tick) claims due promises in batches; for each batch, in the same
transaction as the claim and the owners' notifications, it calls every registered hook with what happened
("broken", "reminded", "escalated") and the promises. A hook writes what its app keeps about that (the case
timeline's events, the notice to the customer): if anything fails, the whole batch rolls back and the next
tick claims the same promises again, so no event is lost and no notice is sent twice.

An app registers its hook in its AppConfig.ready(); the promises app imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from lofte.promises.models import BusinessCalendar, Promise

WHATS = ("broken", "reminded", "escalated")

# (what happened, the batch's promises, now) -> figures to add to the tick's result ({"notices": 2})
TickHandler = Callable[[str, "list[Promise]", datetime], "dict[str, int] | None"]


# (what is about to happen, the ids of the batch's candidate promises): lock what the handler will change, before
# the engine claims (and so locks) the promises; then every writer takes its locks in the same order as the
# services do (the subject's row, then its promises), and none waits on another in a circle
TickLock = Callable[[str, list[int]], None]


@dataclass(frozen=True)
class TickHook:
    name: str
    handle: TickHandler
    # what it handles, and the figures it reports (each starts at 0 in every tick's result)
    whats: tuple[str, ...] = ("broken",)
    counts: tuple[str, ...] = ()
    lock: TickLock | None = None


_hooks: dict[str, TickHook] = {}


def tick_hook_register(hook: TickHook) -> TickHook:
    if unknown := set(hook.whats) - set(WHATS):
        raise ImproperlyConfigured(f"A tick hook handles {', '.join(WHATS)}, not {', '.join(sorted(unknown))}.")
    _hooks[hook.name] = hook
    return hook


def tick_hook_unregister(name: str) -> None:
    _hooks.pop(name, None)


def tick_hooks() -> list[TickHook]:
    return list(_hooks.values())


# --- what the engine asks of the apps above it ----------------------------------------
# The ETA needs the size of a team's queue, and a time told to a customer falls in the team's hours; the
# apps that know (cases, callbacks) answer through these, registered from their AppConfig.ready().

QueueSize = Callable[[int | None], int]
HoursFallback = Callable[[int], "BusinessCalendar | None"]


@dataclass
class _Answers:
    queue_size: QueueSize | None = None
    hours_fallback: HoursFallback | None = None


_answers = _Answers()


def queue_size_register(answer: QueueSize) -> None:
    """Who counts a team's open queue: its active cases without a first response (None: cases with no team)."""
    _answers.queue_size = answer


def hours_fallback_register(answer: HoursFallback) -> None:
    """Who knows a team's hours when it has no business hours of its own (the calendar its callbacks use)."""
    _answers.hours_fallback = answer


def queue_size(team_id: int | None) -> int:
    return _answers.queue_size(team_id) if _answers.queue_size is not None else 0


def hours_fallback(team_id: int) -> BusinessCalendar | None:
    return _answers.hours_fallback(team_id) if _answers.hours_fallback is not None else None
