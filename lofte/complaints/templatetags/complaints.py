"""Template filters for complaints' timeline events: a stored choice value shown by its label, in the reader's
language (the event keeps the value, not a label in the writer's language)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from lofte.complaints.models import Outcome, Severity

register = template.Library()

_CHOICES = {"severity": dict(Severity.choices), "outcome": dict(Outcome.choices)}


@register.filter
def complaint_value(value: Any, field: str) -> Any:
    """`{{ change.to|complaint_value:field }}`: a severity's or outcome's label, a deadline's time (kept as ISO
    text); anything else as it is."""
    if field == "deadline" and isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    labels = _CHOICES.get(field)
    if labels is None or value in (None, ""):
        return value
    return labels.get(value, value)
