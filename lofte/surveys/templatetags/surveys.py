from django import template

from lofte.surveys.models import Reason

register = template.Library()


@register.filter
def reason_label(value: str) -> str:
    """A reason's label in the reader's language (what the timeline stored is its value)."""
    return str(dict(Reason.choices).get(value, value))
