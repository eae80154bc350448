"""The kinds of event a case timeline holds: a registry each app adds its own kinds to.

An event kind is a name, a label and the template that renders one event of that kind on the case page (the
template receives `event` and `case`). The cases app registers its own kinds below; another app registers its
kinds in its AppConfig.ready(), so adding a kind needs no change to the cases app and no migration
(`CaseEvent.kind` is a plain string). Events of a kind no app registers any more render with their kind name.

This module imports nothing of the cases app, so models and templates can read the registry.
"""

from __future__ import annotations

from dataclasses import dataclass

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

CREATED = event_type_register("created", label=_("Case created"), template="cases/events/created.html", card=True)
MESSAGE_IN = event_type_register("message_in", label=_("Message received"), template=MESSAGE_CARD, card=True)
MESSAGE_OUT = event_type_register("message_out", label=_("Reply sent"), template=MESSAGE_CARD, card=True)
AUTO_REPLY = event_type_register("auto_reply", label=_("Automatic reply received"), template=MESSAGE_CARD, card=True)
NOTE = event_type_register("note", label=_("Internal note"), template=NOTE_CARD)
STATUS_CHANGED = event_type_register(
    "status_changed", label=_("Status changed"), template="cases/events/status_changed.html"
)
ASSIGNED = event_type_register("assigned", label=_("Assigned"), template="cases/events/assigned.html")
TEAM_CHANGED = event_type_register("team_changed", label=_("Team changed"), template="cases/events/team_changed.html")
PRIORITY_CHANGED = event_type_register(
    "priority_changed", label=_("Priority changed"), template="cases/events/priority_changed.html"
)
CASE_TYPE_CHANGED = event_type_register(
    "case_type_changed", label=_("Case type changed"), template="cases/events/case_type_changed.html"
)
TAGS_CHANGED = event_type_register("tags_changed", label=_("Tags changed"), template="cases/events/tags_changed.html")
SUBJECT_CHANGED = event_type_register(
    "subject_changed", label=_("Subject changed"), template="cases/events/subject_changed.html"
)
FOLLOW_UP = event_type_register("follow_up", label=_("Follow-up case opened"), template="cases/events/follow_up.html")
DELIVERY_FAILED = event_type_register(
    "delivery_failed", label=_("Delivery failed"), template="cases/events/delivery_failed.html"
)
READ_RECEIPT = event_type_register("read_receipt", label=_("Read receipt"), template="cases/events/read_receipt.html")
for _what, _label in (
    ("made", _("Promise made")),
    ("kept", _("Promise kept")),
    ("cancelled", _("Promise cancelled")),
    ("paused", _("Promise paused")),
    ("resumed", _("Promise resumed")),
    ("broken", _("Promise broken")),
):
    event_type_register(f"promise_{_what}", label=_label, template="cases/events/promise.html")
