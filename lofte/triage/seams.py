"""What text understanding adds to the cases app through its seams: every customer message is read after it is
filed (lofte.cases.arrived), a timeline event for what was applied, and a case-page panel with the suggestions.
Called from TriageConfig.ready(); the cases app imports nothing of this app."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lofte.accounts import access
from lofte.cases import arrived
from lofte.cases.arrived import Arrival
from lofte.cases.events import event_type_register
from lofte.cases.models import Case
from lofte.core.panels import Panel, panel_register
from lofte.triage.models import Field, Suggestion, SuggestionState, TriageModel
from lofte.triage.suggest import EVENT_APPLIED, EVENT_DECIDED, YES, choices


def message_arrived(arrival: Arrival) -> None:
    """Queue the message's suggestions for after the commit, when any model is switched on (one query)."""
    if not TriageModel.objects.filter(is_active=True).exists():
        return
    from lofte.triage.tasks import triage_message

    message_id, opened, proven = arrival.message.pk, arrival.opened, arrival.proven
    transaction.on_commit(lambda: triage_message.enqueue(message_id, opened, proven))


def case_suggestions_context(request: HttpRequest, case: Case) -> dict[str, Any] | None:
    """The case's suggestions no agent has answered yet, newest per field, with the answers to correct them with."""
    waiting = list(
        Suggestion.objects.filter(case=case, state__in=[SuggestionState.SUGGESTED, SuggestionState.APPLIED])
        .order_by("-created_at", "-id")
        .only("pk", "field", "label", "confidence", "state", "answered", "case_id")[:20]
    )
    newest: dict[str, Suggestion] = {}
    for s in waiting:
        newest.setdefault(s.field, s)
    if not newest:
        return None
    options = {field: choices(field) for field in newest}
    rows = []
    for field in Field.values:
        found = newest.get(field)
        if found is None:
            continue
        s, names = found, dict(options[field])
        rows.append(
            {
                "pk": s.pk,
                "field": Field(field).label,
                "label": s.label,
                "name": names.get(s.label, s.label),
                "percent": round(s.confidence * 100),
                "applied": s.state == SuggestionState.APPLIED,
                "answered": s.answered,
                "choices": options[field],
                "yes_no": field in YES,
            }
        )
    return {
        "case": case,
        "suggestions": rows,
        "can_work": access.can(request.user, access.Perm.CASE_WORK),  # type: ignore[arg-type]
    }


def register() -> None:
    arrived.register(message_arrived)
    event_type_register(EVENT_APPLIED, label=_("Applied by Lofte"), template="triage/events/applied.html")
    event_type_register(EVENT_DECIDED, label=_("Suggestion answered"), template="triage/events/decided.html")
    # the suggestions, and the case types or teams to correct them with (one query per such field among them)
    panel_register(
        Panel(
            slot="case",
            name="suggestions",
            template="triage/partials/_case_suggestions.html",
            context=case_suggestions_context,
            order=5,
            max_queries=6,
        )
    )
