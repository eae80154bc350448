"""The agent's notifications: reminders, broken promises, escalations."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from lofte.core import clock
from lofte.notifications.selectors import notification_list
from lofte.notifications.services import notification_mark_read


@login_required
@require_GET
def notification_index(request: HttpRequest) -> HttpResponse:
    items = notification_list(agent=request.user)  # type: ignore[arg-type]
    return render(request, "notifications/list.html", {"notifications": items})


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("id", "")
    notification_mark_read(
        agent=request.user,  # type: ignore[arg-type]
        notification_id=int(raw) if raw.isdigit() else None,
        now=clock.now(),
    )
    target = request.POST.get("next", "")
    # only a path on this site: "/\evil.example" starts with "/" too, and browsers read it as "//evil.example"
    local = target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
    return redirect(target if local else "notifications:list")
