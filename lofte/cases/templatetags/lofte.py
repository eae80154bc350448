from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from django import template
from django.db.models import Choices
from django.urls import get_script_prefix, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from lofte.cases.models import Channel, Message, Priority, Status
from lofte.core import clock
from lofte.customers.identities import format_phone
from lofte.promises.models import PromiseKind, PromiseState
from lofte.promises.templatetags.promise_dates import promise_when

register = template.Library()
# the promises app's date wording, offered here so the cases templates load only their own library
register.filter("promise_when", promise_when)


def _label(choices: type[Choices], value: Any, unknown: str) -> str:
    """The label of `value` among `choices`, in the reader's language; `unknown` for a value not among them."""
    try:
        return str(choices(value).label)
    except ValueError:
        return unknown


@register.filter
def status_label(value: str) -> str:
    return _label(Status, value, value or "—")


@register.filter
def priority_label(value: int) -> str:
    return _label(Priority, value, str(value))


@register.filter
def channel_label(value: str) -> str:
    return _label(Channel, value, value or "—")


@register.filter
def promise_kind_label(value: str) -> str:
    return _label(PromiseKind, value, value or "—")


@register.filter
def promise_state_label(value: str) -> str:
    return _label(PromiseState, value, value or "—")


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


# --- times as lists and timelines show them, each a single filter so a row of 25 costs one call per cell ------


def _time_tag(value: datetime, text: str, css: str = "") -> str:
    local = timezone.localtime(value)
    return format_html(
        '<time{} datetime="{}" title="{}">{}</time>',
        format_html(' class="{}"', css) if css else "",
        local.isoformat(),
        formats.date_format(local, "DATETIME_FORMAT"),
        text,
    )


@register.filter
def time_since(value: datetime | None) -> str:
    """`<time>` with how long ago (the exact time in its title): "3 days, 2 hours"."""
    return _time_tag(value, timesince(value)) if value else ""


@register.filter
def time_ago(value: datetime | None) -> str:
    """`<time>` with "3 days, 2 hours ago" (the exact time in its title)."""
    return _time_tag(value, _("%(ago)s ago") % {"ago": timesince(value)}) if value else ""


@register.filter
def due_time(value: datetime | None) -> str:
    """A promise's due time as lists show it: "Tue 14:00", marked soon or overdue, and "broken" once passed."""
    if value is None:
        return ""
    due = due_class(value)
    text = promise_when(value)
    if due == "overdue":
        text = format_html('<span class="state state-broken">{}</span> {}', _("broken"), text)
    return _time_tag(value, text, f"due {due}".strip())


@register.filter
def promise_due(promise: Any) -> str:
    """A board row's due time: a pending promise marked soon or overdue, one broken always overdue."""
    due = due_class(promise.due_at) if promise.state == "pending" else "overdue"
    return _time_tag(promise.due_at, promise_when(promise.due_at), f"due {due}".strip())
