"""The one writer of case timeline events, and typed helpers for the cases app's own events.

Every event on a case goes through `case_event` (build one, its kind checked against the registry in
lofte.cases.events) and `case_event_add` / `case_events_add` (store one or many). Another app writes its own
kinds the same way after registering them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lofte.cases.events import event_type_known
from lofte.cases.models import Case, CaseEvent, EventKind, Message, Note
from lofte.core.inserts import insert

if TYPE_CHECKING:
    from lofte.accounts.models import Agent
    from lofte.promises.services import PromiseChange


def case_event(
    *,
    case: Case,
    kind: str,
    now: datetime,
    actor: Agent | None = None,
    data: dict[str, Any] | None = None,
    message: Message | None = None,
    note: Note | None = None,
) -> CaseEvent:
    """One event, not yet stored. An unregistered kind is a programming error: it would render as its name."""
    if not event_type_known(kind):
        raise ValueError(f"The event kind {kind!r} is not registered (lofte.cases.events.event_type_register).")
    return CaseEvent(case=case, kind=kind, actor=actor, data=data or {}, message=message, note=note, created_at=now)


def case_event_add(
    *,
    case: Case,
    kind: str,
    now: datetime,
    actor: Agent | None = None,
    data: dict[str, Any] | None = None,
    message: Message | None = None,
    note: Note | None = None,
) -> CaseEvent:
    """Store one event on the case's timeline."""
    return insert(case_event(case=case, kind=kind, now=now, actor=actor, data=data, message=message, note=note))


def case_events_add(events: Iterable[CaseEvent]) -> list[CaseEvent]:
    """Store events built with `case_event`, in one statement."""
    rows = list(events)
    if not rows:
        return []
    return CaseEvent.objects.bulk_create(rows)


# --- typed helpers for the cases app's own events -----------------------------------


def status_event(case: Case, old: str, new: str, *, actor: Agent | None, now: datetime, reason: str = "") -> CaseEvent:
    data = {"from": old, "to": new}
    if reason:
        data["reason"] = reason
    return case_event(case=case, kind=EventKind.STATUS_CHANGED, actor=actor, data=data, now=now)


def change_event(case: Case, kind: str, old: Any, new: Any, *, actor: Agent | None, now: datetime) -> CaseEvent:
    """A property changed from `old` to `new` (team, priority, case type, tags, subject, assignee)."""
    return case_event(case=case, kind=kind, actor=actor, data={"from": old, "to": new}, now=now)


def promise_events(
    changes: Iterable[PromiseChange], case: Case, *, actor: Agent | None, now: datetime
) -> list[CaseEvent]:
    """What the promise engine did, one event per change (`promise_made`, `promise_kept`, ...)."""
    return [
        case_event(
            case=case,
            kind=f"promise_{change.what}",
            actor=actor,
            data={
                "promise": change.promise.pk,
                "kind": change.promise.kind,
                "due_at": change.promise.due_at.isoformat(),
                **change.data,
            },
            now=now,
        )
        for change in changes
    ]
