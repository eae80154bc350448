"""The text-understanding API: a case's suggestions, and an agent's answer to one. Thin."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from lofte.accounts.models import Agent
from lofte.cases.schemas import Reference
from lofte.cases.selectors import case_get_for_agent
from lofte.core.schemas import ErrorOut, Id
from lofte.triage import selectors
from lofte.triage.models import Suggestion
from lofte.triage.schemas import DecideIn, SuggestionOut
from lofte.triage.suggest import label_names, suggestion_decide

router = Router(tags=["text understanding"])


def _agent(request: HttpRequest) -> Agent:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _out(suggestions: list[Suggestion]) -> list[dict[str, object]]:
    names = label_names(suggestions)
    return [
        {
            "id": s.pk,
            "case": s.case.reference,
            "message_id": s.message_id,
            "field": s.field,
            "label": s.label,
            "name": names.get((s.field, s.label), s.label),
            "confidence": s.confidence,
            "state": s.state,
            "answered": s.answered,
            "answer": s.answer,
            "model_version": s.model.version if s.model is not None else None,
            "created_at": s.created_at,
            "decided_at": s.decided_at,
        }
        for s in suggestions
    ]


@router.get(
    "/cases/{reference}/suggestions",
    response={200: list[SuggestionOut], 404: ErrorOut},
    summary="What Lofte's text models suggested for a case's messages, newest first",
)
def list_suggestions(request: HttpRequest, reference: Reference) -> object:
    case = case_get_for_agent(agent=_agent(request), reference=reference)
    rows = list(
        Suggestion.objects.filter(case=case)
        .select_related("case", "model")
        .defer("model__artifact")  # a model's stored bytes are megabytes: only its version is shown
        .order_by("-created_at", "-id")[:100]
    )
    return _out(rows)


@router.post(
    "/suggestions/{suggestion_id}/decide",
    response={200: SuggestionOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Confirm a suggestion or correct it",
    description="The answer is applied to the case and kept as a training example for the field's next model.",
)
def decide(request: HttpRequest, suggestion_id: Id, data: DecideIn) -> object:
    agent = _agent(request)
    suggestion = selectors.suggestion_for_agent(agent=agent, suggestion_id=suggestion_id)
    decided = suggestion_decide(agent=agent, suggestion=suggestion, answer=data.answer)
    return _out([decided])[0]
