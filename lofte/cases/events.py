"""The kinds of event a case timeline holds: a registry each app adds its own kinds to.

An event kind is a name, a label and the template that renders one event of that kind on the case page (the
template receives `event` and `case`). The cases app registers its own kinds below; another app registers its
kinds in its AppConfig.ready(), so adding a kind needs no change to the cases app and no migration
(`CaseEvent.kind` is a plain string). Events of a kind no app registers any more render with their kind name.

This module imports nothing of the cases app, so models and templates can read the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise as LazyText
from django.utils.translation import gettext_lazy as _

# the card templates a message or note event renders with (the rest render one line of change)
MESSAGE_CARD = "cases/events/message.html"
NOTE_CARD = "cases/events/note.html"
CHANGE_LINE = "cases/events/change.html"


@dataclass(frozen=True)
class EventType:
    """One kind of timeline event: its name (stored in `CaseEvent.kind`), its label and its template.

    `card` is True for an event that shows a message or note as a card (the timeline styles it as the message's
    direction); any other event is one line of change."""

    kind: str
    label: str | LazyText
    template: str = CHANGE_LINE
    card: bool = False


_types: dict[str, EventType] = {}


def event_type_register(
    kind: str, *, label: str | LazyText, template: str = CHANGE_LINE, card: bool = False
) -> EventType:
    """Register an event kind (at import or in AppConfig.ready()). Registering the same kind twice the same way
    is harmless (tests reload apps); a different definition under a taken name is a programming error."""
    if not kind or len(kind) > 32:
        raise ImproperlyConfigured(f"An event kind is 1 to 32 characters, not {kind!r}.")
    wanted = EventType(kind=kind, label=label, template=template, card=card)
    if (known := _types.get(kind)) is not None and known != wanted:
        raise ImproperlyConfigured(f"The event kind {kind!r} is already registered as {known!r}.")
    _types[kind] = wanted
    return wanted


def event_type(kind: str) -> EventType:
    """The registered type of a kind; an unknown kind (its app removed) renders as its name on one line."""
    return _types.get(kind) or EventType(kind=kind, label=kind)


def event_type_known(kind: str) -> bool:
    return kind in _types


def event_types() -> list[EventType]:
    return list(_types.values())


# --- the cases app's own kinds ---------------------------------------------------


class EventKind(StrEnum):
    """The cases app's own event kinds (registered below with their labels and templates); other apps register
    theirs."""

    CREATED = "created"
    MESSAGE_IN = "message_in"
    MESSAGE_OUT = "message_out"
    NOTE = "note"
    STATUS_CHANGED = "status_changed"
    ASSIGNED = "assigned"
    TEAM_CHANGED = "team_changed"
    PRIORITY_CHANGED = "priority_changed"
    CASE_TYPE_CHANGED = "case_type_changed"
    TAGS_CHANGED = "tags_changed"
    SUBJECT_CHANGED = "subject_changed"
    FOLLOW_UP = "follow_up"
    PROMISE_MADE = "promise_made"
    PROMISE_KEPT = "promise_kept"
    PROMISE_CANCELLED = "promise_cancelled"
    PROMISE_PAUSED = "promise_paused"
    PROMISE_RESUMED = "promise_resumed"
    PROMISE_BROKEN = "promise_broken"
    AUTO_REPLY = "auto_reply"
    DELIVERY_FAILED = "delivery_failed"
    READ_RECEIPT = "read_receipt"
    MERGED = "merged"
    MERGED_INTO = "merged_into"
    SPLIT = "split"
    SPLIT_FROM = "split_from"
    LINKED = "linked"
    UNLINKED = "unlinked"
    FORWARDED = "forwarded"


_PROMISE = "cases/events/promise.html"
for _kind, _label, _template, _card in (
    (EventKind.CREATED, _("Case created"), "cases/events/created.html", True),
    (EventKind.MESSAGE_IN, _("Message received"), MESSAGE_CARD, True),
    (EventKind.MESSAGE_OUT, _("Reply sent"), MESSAGE_CARD, True),
    (EventKind.AUTO_REPLY, _("Automatic reply received"), MESSAGE_CARD, True),
    (EventKind.NOTE, _("Internal note"), NOTE_CARD, False),
    (EventKind.STATUS_CHANGED, _("Status changed"), "cases/events/status_changed.html", False),
    (EventKind.ASSIGNED, _("Assigned"), "cases/events/assigned.html", False),
    (EventKind.TEAM_CHANGED, _("Team changed"), "cases/events/team_changed.html", False),
    (EventKind.PRIORITY_CHANGED, _("Priority changed"), "cases/events/priority_changed.html", False),
    (EventKind.CASE_TYPE_CHANGED, _("Case type changed"), "cases/events/case_type_changed.html", False),
    (EventKind.TAGS_CHANGED, _("Tags changed"), "cases/events/tags_changed.html", False),
    (EventKind.SUBJECT_CHANGED, _("Subject changed"), "cases/events/subject_changed.html", False),
    (EventKind.FOLLOW_UP, _("Follow-up case opened"), "cases/events/follow_up.html", False),
    (EventKind.DELIVERY_FAILED, _("Delivery failed"), "cases/events/delivery_failed.html", False),
    (EventKind.READ_RECEIPT, _("Read receipt"), "cases/events/read_receipt.html", False),
    (EventKind.MERGED, _("Cases merged in"), "cases/events/merged.html", False),
    (EventKind.MERGED_INTO, _("Merged into another case"), "cases/events/merged_into.html", False),
    (EventKind.SPLIT, _("Message split out"), "cases/events/split.html", False),
    (EventKind.SPLIT_FROM, _("Split from another case"), "cases/events/split_from.html", False),
    (EventKind.LINKED, _("Case linked"), "cases/events/linked.html", False),
    (EventKind.UNLINKED, _("Case unlinked"), "cases/events/unlinked.html", False),
    (EventKind.FORWARDED, _("Case forwarded"), "cases/events/forwarded.html", False),
    (EventKind.PROMISE_MADE, _("Promise made"), _PROMISE, False),
    (EventKind.PROMISE_KEPT, _("Promise kept"), _PROMISE, False),
    (EventKind.PROMISE_CANCELLED, _("Promise cancelled"), _PROMISE, False),
    (EventKind.PROMISE_PAUSED, _("Promise paused"), _PROMISE, False),
    (EventKind.PROMISE_RESUMED, _("Promise resumed"), _PROMISE, False),
    (EventKind.PROMISE_BROKEN, _("Promise broken"), _PROMISE, False),
):
    event_type_register(_kind, label=_label, template=_template, card=_card)
