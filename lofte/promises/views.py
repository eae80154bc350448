"""The promise board for team leads, and the promise-kept rate."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.accounts.selectors import agent_list_active, team_list
from lofte.core import clock
from lofte.core.errors import PermissionDenied, ValidationFailed
from lofte.core.htmx import is_htmx, render_page_or_partial
from lofte.promises.board import board_for
from lofte.promises.stats import (
    GROUPINGS,
    callbacks_kept_on_time,
    eta_held_rates,
    eta_held_total,
    kept_rate_period,
    kept_rate_total,
    parse_day,
)
from lofte.promises.stats import kept_rate as kept_rate_rows


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _board_refused(request: HttpRequest) -> HttpResponse | None:
    """The board and its rates are for roles with BOARD_VIEW (every role today), scoped to what the reader sees."""
    try:
        access.require(request.user, access.Perm.BOARD_VIEW)  # type: ignore[arg-type]
    except PermissionDenied as exc:
        return HttpResponse(exc.message, status=403, content_type="text/plain; charset=utf-8")
    return None


MONTH_FIGURES_SECONDS = 60


def _month_figures(agent: Agent, *, team: int | None, now: datetime) -> tuple[dict[str, Any], list[Any]]:
    """The board's figures over the last 30 days (ETAs held, callbacks kept on time), computed at most once a
    minute per reader and team in each process: they read a month of promises, while the rest of the board
    reads only what is live (lofte.promises.board)."""
    today = timezone.localdate(now, timezone.get_default_timezone())
    # the reader's language too: the rows carry labels (channels, "No case type") in it
    key = f"lofte:board:month:{agent.pk}:{team}:{today.isoformat()}:{translation.get_language()}"
    if (cached := cache.get(key)) is not None:
        return cached  # type: ignore[no-any-return]
    start, end = kept_rate_period(date_from=None, date_to=None, today=today)
    eta_rows = eta_held_rates(agent=agent, date_from=start, date_to=end, team=team)
    callbacks = [
        row
        for row in callbacks_kept_on_time(agent=agent, since=now - timedelta(days=30))
        if team is None or row.team_id == team
    ]
    figures = ({"rows": eta_rows, "total": eta_held_total(eta_rows), "from": start, "to": end}, callbacks)
    cache.set(key, figures, MONTH_FIGURES_SECONDS)
    return figures


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    if (refused := _board_refused(request)) is not None:
        return refused
    team, owner = _int(request.GET.get("team")), _int(request.GET.get("owner"))
    now = clock.now()
    data = board_for(agent=request.user, now=now, team=team, owner=owner)  # type: ignore[arg-type]
    eta_held, callbacks = _month_figures(request.user, team=team, now=now)  # type: ignore[arg-type]
    context = {
        "board": data,
        "eta_held": eta_held,
        "callbacks_kept": callbacks,
        "team": team,
        "owner": owner,
        "teams": list(team_list()),
        "agents": list(agent_list_active()),
    }
    template = "promises/partials/_board.html" if is_htmx(request) else "promises/board.html"
    return render(request, template, context)


@login_required
@require_GET
def kept_rate(request: HttpRequest) -> HttpResponse:
    """Kept and broken promises per kind, channel, team or agent over a period; the last 30 days by default."""
    if (refused := _board_refused(request)) is not None:
        return refused
    raw_from, raw_to = request.GET.get("from", ""), request.GET.get("to", "")
    by = request.GET.get("by") or GROUPINGS[0]
    today = timezone.localdate(clock.now(), timezone.get_default_timezone())
    context: dict[str, object] = {"by": by, "groupings": GROUPINGS, "from_value": raw_from, "to_value": raw_to}
    try:
        start, end = kept_rate_period(
            date_from=parse_day(raw_from, field="from"), date_to=parse_day(raw_to, field="to"), today=today
        )
        rows = kept_rate_rows(agent=request.user, date_from=start, date_to=end, group_by=by)  # type: ignore[arg-type]
    except ValidationFailed as exc:
        context["error"] = exc
        return render_page_or_partial(
            request,
            page="promises/kept_rate.html",
            partial="promises/partials/_kept_rate.html",
            context=context,
            status=422,
        )
    context.update(
        {
            "from_value": start.isoformat(),
            "to_value": end.isoformat(),
            "rows": rows,
            "total": kept_rate_total(rows),
        }
    )
    return render_page_or_partial(
        request, page="promises/kept_rate.html", partial="promises/partials/_kept_rate.html", context=context
    )
