from __future__ import annotations

from django import template

from lofte.cases.models import Priority, Status
from lofte.customers.identities import format_phone

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return value or "—"


@register.filter
def priority_label(value: int) -> str:
    try:
        return str(Priority(value).label)
    except ValueError:
        return str(value)


@register.filter
def phone(value: str) -> str:
    return format_phone(value)
