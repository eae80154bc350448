from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

from django import template
from django.urls import get_script_prefix, reverse

from lofte.cases.models import Message, Priority, Status
from lofte.core import clock
from lofte.customers.identities import format_phone
from lofte.promises.models import PromiseKind
from lofte.promises.templatetags.promise_dates import promise_when

register = template.Library()
# the promises app's date wording, offered here so the cases templates load only their own library
register.filter("promise_when", promise_when)


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


@register.filter
def due_class(value: datetime | None) -> str:
    """'overdue' once the time has passed, 'soon' within the hour before, else ''."""
    if value is None:
        return ""
    now = clock.now()
    if value <= now:
        return "overdue"
    if value <= now + timedelta(hours=1):
        return "soon"
    return ""


@register.filter
def promise_kind_label(value: str) -> str:
    try:
        return str(PromiseKind(value).label)
    except ValueError:
        return value or "—"


@register.filter
def parse_iso(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


# events that point at a message but are not that message arriving or leaving
ABOUT_A_MESSAGE = {"delivery_failed", "read_receipt"}


@register.filter
def message_card(message: Message | None, kind: str) -> Message | None:
    """The message to show as a card for this event, or None (the event only refers to it)."""
    return None if message is None or kind in ABOUT_A_MESSAGE else message


_CASE_HREF = "__reference__"
_case_hrefs: dict[str, str] = {}


@register.filter
def case_href(reference: str) -> str:
    """The case page's address, as `{% url 'cases:detail' reference %}` gives it, without resolving the URL
    patterns again for every row of a list (once per script prefix)."""
    prefix = get_script_prefix()
    if prefix not in _case_hrefs:
        _case_hrefs[prefix] = reverse("cases:detail", args=[_CASE_HREF])
    return _case_hrefs[prefix].replace(_CASE_HREF, quote(str(reference), safe=""))
