"""`{% outage_banner %}`: while an incident is active, a banner on the public pages (portal, contact form, help
centre) naming it and linking to the status page. Read from the status page's cache: no query when warm. It never
breaks the page it is on (the 500 page renders the public layout when the database may be down)."""

from __future__ import annotations

import logging
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()
logger = logging.getLogger(__name__)


@register.simple_tag(takes_context=True)
def outage_banner(context: template.Context) -> SafeString:
    from lofte.incidents.status import active_summary

    if context.get("request") is None:  # the 500 page: rendered without a request, and without the database
        return mark_safe("")
    try:
        active: list[dict[str, Any]] = active_summary()
    except Exception:  # the layout must render even when the database does not answer
        logger.exception("The outage banner could not be read")
        return mark_safe("")
    if not active:
        return mark_safe("")
    items = format_html_join("", "<li>{}</li>", ((a["title"],) for a in active))
    return format_html(
        '<aside class="outage-banner" role="status" aria-label="{}"><p><strong>{}</strong></p><ul>{}</ul>'
        '<p><a href="/status/">{}</a></p></aside>',
        _("Service status"),
        _("We know about a problem and are working on it:"),
        items,
        _("Follow it on the status page"),
    )


@register.filter
def duration_minutes(value: Any) -> str:
    """A timedelta as "7 min" or "1 h 5 min"."""
    from datetime import timedelta

    if not isinstance(value, timedelta):
        return ""
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("%(hours)d h %(minutes)d min") % {"hours": minutes // 60, "minutes": minutes % 60}


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`{{ names|get_item:value }}`: a dictionary's value (the label of a stored choice)."""
    try:
        return mapping.get(key, key)
    except AttributeError:
        return key
