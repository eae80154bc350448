from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from django import template
from django.db.models import Choices
from django.template.defaultfilters import linebreaksbr
from django.urls import get_script_prefix, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from lofte.cases.attachments import is_image
from lofte.cases.models import Channel, Message, Priority, Status
from lofte.core import clock
from lofte.core.language import language_name as core_language_name
from lofte.core.markdown import markdown_html
from lofte.customers.identities import format_phone
from lofte.promises.models import PromiseKind, PromiseState
from lofte.promises.templatetags.promise_dates import promise_when

register = template.Library()
# the promises app's date wording, offered here so the cases templates load only their own library
register.filter("promise_when", promise_when)
register.filter("is_image", is_image)


_labels: dict[tuple[type[Choices], Any, str | None], str] = {}


def _label(choices: type[Choices], value: Any, unknown: str) -> str:
    """The label of `value` among `choices`, in the reader's language; `unknown` for a value not among them.
    Each label is translated once per language and process (a list asks for the same few again on every row)."""
    key = (choices, value, get_language())
    label = _labels.get(key)
    if label is None:
        try:
            label = _labels[key] = str(choices(value).label)
        except ValueError:
            return unknown
    return label


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
def language_name(code: str) -> str:
    """A language's name as it reads mid-sentence ("Written in Finnish", "Skrivet på finska")."""
    return core_language_name(code)


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


# --- the rows of long lists, each built here in one call rather than by a loop of template nodes: a list of 25 cases
# or a board of 100 promises spent more time in the template engine than in its queries (Django's admin builds its
# change list's rows the same way, lofte.cases.tests.test_rows compares them with the markup they replace) ------


def _case_row(case: Any, labels: dict[str, str], *, pick: bool = False) -> SafeString:
    href = case_href(case.reference)
    pick_cell = (
        format_html(
            '  <td class="c-pick"><input type="checkbox" name="cases" value="{}" form="bulk" aria-label="{}"></td>\n',
            case.reference,
            labels["select"] % {"ref": case.reference},
        )
        if pick
        else ""
    )
    assignee = (
        format_html('<div class="muted small">{}: {}</div>', labels["assignee"], case.assignee.display_name)
        if case.assignee
        else ""
    )
    tags = format_html_join("", '<span class="tag">{}</span>', ((t.name,) for t in case.tags.all()))
    return format_html(
        '<tr class="row-priority-{}" data-row data-ref="{}" data-href="{}">\n'
        "{}"
        '  <td class="c-ref"><a href="{}" class="ref">{}</a></td>\n'
        '  <td class="c-customer">{}{}</td>\n'
        '  <td class="c-subject"><a href="{}">{}</a>\n    {}</td>\n'
        '  <td class="c-channel"><span class="channel channel-{}">{}</span></td>\n'
        '  <td class="c-status"><span class="status status-{}">{}</span></td>\n'
        '  <td class="c-age" data-label="{}">{}</td>\n'
        '  <td class="c-next" data-label="{}">{}</td>\n'
        "</tr>\n",
        case.priority,
        case.reference,
        href,
        pick_cell,
        href,
        case.reference,
        case.customer.name or labels["no_name"],
        assignee,
        href,
        case.subject,
        tags,
        case.channel,
        channel_label(case.channel),
        case.status,
        status_label(case.status),
        labels["age"],
        time_since(case.created_at),
        labels["next"],
        due_time(case.next_due_at),
    )


@register.simple_tag
def case_rows(cases: Iterable[Any], selectable: bool = False) -> SafeString:
    """The inbox's rows (and a customer's cases): `<tr>` per case, with its reference, customer and assignee,
    subject and tags, channel, status, age and next promise; `selectable`: first a box that selects the case for
    the inbox's bulk form."""
    labels = {
        "assignee": _("Assignee"),
        "no_name": _("(no name)"),
        "age": _("Age"),
        "next": _("Next promise"),
        "select": _("Select %(ref)s"),
    }
    return mark_safe("".join(_case_row(case, labels, pick=selectable) for case in cases))  # noqa: S308 - each row is format_html's


def _promise_row(p: Any) -> SafeString:
    where: str
    if p.case:
        where = format_html(
            '<a class="ref" href="{}">{}</a><div class="small">{}</div>',
            case_href(p.case.reference),
            p.case.reference,
            p.case.subject,
        )
    elif getattr(p, "subject_url", ""):
        where = format_html('<a class="ref" href="{}">{}</a>', p.subject_url, p.subject_reference)
    else:
        where = ""
    kind: str = promise_kind_label(p.kind)
    if p.state == "broken":
        kind = format_html('{} <span class="state state-broken">{}</span>', kind, promise_state_label(p.state))
    owner = p.owner_agent.display_name if p.owner_agent else p.owner_team.name if p.owner_team else ""
    return format_html(
        '    <tr>\n      <td class="p-case">{}</td>\n      <td class="p-kind">{}</td>\n'
        '      <td class="p-due">{}</td>\n      <td class="p-owner">{}</td>\n    </tr>\n',
        where,
        kind,
        promise_due(p),
        owner,
    )


@register.simple_tag
def promise_rows(promises: Iterable[Any]) -> SafeString:
    """The board's rows: `<tr>` per promise, with its case (or what else it is about), kind, due time and owner."""
    return mark_safe("".join(_promise_row(p) for p in promises))  # noqa: S308 - each row is format_html's


@register.simple_tag
def message_text(message: Message, url_name: str, reference: str) -> SafeString:
    """A message's text for the timeline: as written (line breaks kept), or, for a reply that shows its files as
    images (lofte.cases.inline_images), its Markdown with each image read from the file (`url_name`: the case
    page's or the portal's address of an attachment)."""
    text = message.body_text
    if message.direction != "out" or ("](cid:" not in text and "](<cid:" not in text):
        return linebreaksbr(text, autoescape=True)
    suffix = "?inline=1" if url_name == "cases:attachment" else ""
    images = {
        a.filename: reverse(url_name, args=[reference, a.pk]) + suffix
        for a in message.attachments.all()
        if is_image(a.content_type)
    }
    return mark_safe(markdown_html(text, images=images))  # noqa: S308 (sanitised by nh3 in markdown_html)
