"""Filters for the callbacks app's own templates (its timeline events, its case-page panel)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def attempt_outcome(value: str) -> str:
    """The label of a callback attempt's outcome ("no_answer" -> "No answer"), for the timeline."""
    from lofte.callbacks.models import Outcome

    try:
        return str(Outcome(value).label)
    except ValueError:
        return value
