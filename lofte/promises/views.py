"""The promise board for team leads."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lofte.accounts.selectors import agent_list_active, team_list
from lofte.core import clock
from lofte.core.htmx import is_htmx
from lofte.promises.board import board_for


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    team, owner = _int(request.GET.get("team")), _int(request.GET.get("owner"))
    data = board_for(agent=request.user, now=clock.now(), team=team, owner=owner)  # type: ignore[arg-type]
    context = {
        "board": data,
        "team": team,
        "owner": owner,
        "teams": list(team_list()),
        "agents": list(agent_list_active()),
    }
    template = "promises/partials/_board.html" if is_htmx(request) else "promises/board.html"
    return render(request, template, context)
