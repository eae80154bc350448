"""Small page fragments of the channels: the SMS segment count under a reply box."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from lofte.channels.sms.segments import segments


@login_required
@require_GET
def sms_segments(request: HttpRequest) -> HttpResponse:
    """ "2 SMS (GSM-7), 146 characters left" for the text in ?body= (HTMX swaps it under the reply box)."""
    count = segments(request.GET.get("body", ""))
    text = ngettext(
        "%(n)d SMS (%(encoding)s), %(left)d characters left in it",
        "%(n)d SMS (%(encoding)s), %(left)d characters left in the last",
        count.segments,
    ) % {"n": count.segments, "encoding": count.encoding, "left": count.remaining}
    return HttpResponse(text, content_type="text/plain; charset=utf-8")
