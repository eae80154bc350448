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
    from lofte.promises.models import Promise

WHATS = ("broken", "reminded", "escalated")

# (what happened, the batch's promises, now) -> figures to add to the tick's result ({"notices": 2})
TickHandler = Callable[[str, "list[Promise]", datetime], "dict[str, int] | None"]


@dataclass(frozen=True)
class TickHook:
    name: str
    handle: TickHandler
    # what it handles, and the figures it reports (each starts at 0 in every tick's result)
    whats: tuple[str, ...] = ("broken",)
    counts: tuple[str, ...] = ()


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
