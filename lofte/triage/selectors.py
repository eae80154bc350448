"""Reads of text understanding for the admins' pages: per field, its models, examples and settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from lofte.accounts.models import Agent
from lofte.cases.models import Case
from lofte.cases.selectors import case_visible_q
from lofte.core.errors import NotFound
from lofte.triage.models import (
    Field,
    ModelState,
    Source,
    Suggestion,
    SuggestionState,
    TrainingExample,
    TriageModel,
)

LIST_FIELDS = (
    "pk",
    "field",
    "version",
    "state",
    "is_active",
    "progress",
    "progress_note",
    "examples",
    "labels",
    "left_out",
    "evaluation",
    "floor",
    "apply_at",
    "error",
    "created_at",
    "trained_at",
    "activated_at",
    "switch_on_when_trained",
)


@dataclass
class FieldOverview:
    field: str
    label: str
    active: TriageModel | None
    training: TriageModel | None
    examples: dict[str, int]  # per source
    decided: dict[str, int]  # per state, of the suggestions in the period

    @property
    def examples_total(self) -> int:
        return sum(self.examples.values())

    @property
    def suggested_total(self) -> int:
        return sum(n for state, n in self.decided.items() if state in SuggestionState.values)

    @property
    def answered(self) -> int:
        return self.decided.get("answered", 0)


def suggestion_for_agent(*, agent: Agent, suggestion_id: int) -> Suggestion:
    """The suggestion, with its case and its model's version (not the model's stored bytes), if it is on a case the
    agent may see; NotFound otherwise, the same as for one that does not exist."""
    found = (
        Suggestion.objects.filter(pk=suggestion_id, case__in=Case.objects.filter(case_visible_q(agent)))
        .select_related("case", "model")
        .defer("model__artifact")
        .first()
    )
    if found is None:
        raise NotFound(_("No such suggestion."))
    return found


def overview(*, now: datetime, days: int = 30) -> list[FieldOverview]:
    """Every field with its switched-on model, a model in training, its examples and its suggestions of the last
    `days` days: three queries."""
    models = list(TriageModel.objects.filter(Q(is_active=True) | Q(state=ModelState.TRAINING)).only(*LIST_FIELDS))
    examples: dict[str, dict[str, int]] = {}
    for field, source, n in TrainingExample.objects.values_list("field", "source").annotate(n=Count("id")).order_by():
        examples.setdefault(field, {})[source] = n
    decided: dict[str, dict[str, int]] = {}
    since = now - timedelta(days=days)
    rows = (
        Suggestion.objects.filter(created_at__gte=since)
        .values_list("field", "state", "answered")
        .annotate(n=Count("id"))
        .order_by()
    )
    for field, state, answered, n in rows:
        counts = decided.setdefault(field, {})
        counts[state] = counts.get(state, 0) + n
        if answered:
            counts["answered"] = counts.get("answered", 0) + n
    return [
        FieldOverview(
            field=field,
            label=str(label),
            active=next((m for m in models if m.field == field and m.is_active), None),
            training=next((m for m in models if m.field == field and m.state == ModelState.TRAINING), None),
            examples=examples.get(field, {}),
            decided=decided.get(field, {}),
        )
        for field, label in Field.choices
    ]


def field_models(field: str) -> list[TriageModel]:
    """The field's models, newest first (without their stored bytes)."""
    return list(TriageModel.objects.filter(field=field).select_related("created_by").only(*LIST_FIELDS, "created_by"))


def agreement(decided: dict[str, Any]) -> float | None:
    """Of the suggestions agents answered, the share they confirmed."""
    confirmed = decided.get(SuggestionState.CONFIRMED, 0)
    answered = confirmed + decided.get(SuggestionState.CORRECTED, 0)
    return confirmed / answered if answered else None


def examples_count(field: str) -> list[tuple[str, int]]:
    """How many examples of `field` there are, per source (its name), most first."""
    names = dict(Source.choices)
    rows = TrainingExample.objects.filter(field=field).values("source").annotate(n=Count("id")).order_by("-n")
    return [(str(names.get(r["source"], r["source"])), r["n"]) for r in rows]
