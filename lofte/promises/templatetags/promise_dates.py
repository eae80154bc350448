"""`promise_when`: a due time as the reader reads it, in their time zone: the weekday alone within the past or
coming week ("Tue 14:00"), the date beyond it ("Tue 3 Nov 14:00"), and the year when it is another year's."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import formats, timezone

from lofte.core import clock

register = template.Library()

WEEK_DAYS = 6  # at most this many days away, a weekday names one day only


@register.filter
def promise_when(value: datetime | None) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value)
    today = timezone.localtime(clock.now()).date()
    if abs((local.date() - today).days) <= WEEK_DAYS:
        return str(formats.date_format(local, "D H:i"))
    if local.year == today.year:
        return str(formats.date_format(local, "D j M H:i"))
    return str(formats.date_format(local, "D j M Y H:i"))
