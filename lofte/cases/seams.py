"""What the cases app adds to the seams of the apps below it: its hook into the promise tick.

Called from CasesConfig.ready().
"""

from __future__ import annotations

from datetime import datetime

from lofte.cases.services import case_breach_notices, case_promises_broken
from lofte.promises.hooks import TickHook, tick_hook_register
from lofte.promises.models import Promise


def promises_broke(what: str, promises: list[Promise], now: datetime) -> dict[str, int]:
    """Broken promises of cases go on their timelines, and their customers hear of it where the case type asks;
    inside the tick's batch transaction."""
    ids = [p.pk for p in promises if p.case_id is not None]
    if not ids:
        return {"notices": 0}
    case_promises_broken(promise_ids=ids, now=now)
    return {"notices": case_breach_notices(promise_ids=ids, now=now)}


def register() -> None:
    tick_hook_register(TickHook(name="cases", handle=promises_broke, whats=("broken",), counts=("notices",)))
