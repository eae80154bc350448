"""Team settings: a team's leads (and admins) change their team's reply address, business hours and callback
capacity here; nobody else's (lofte.accounts.access.require_team). Thin: each part is its app's service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.accounts.services import team_update
from lofte.callbacks.models import CallbackCapacity
from lofte.callbacks.services import callback_capacity_set
from lofte.core.errors import DomainError, PermissionDenied
from lofte.promises.calendars import team_calendar_set
from lofte.promises.selectors import team_calendar
from lofte.teams.forms import TeamSettingsForm


def _agent(request: HttpRequest) -> Agent:
    return request.user  # type: ignore[return-value]


@login_required
@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    """The teams whose settings the reader may change (a lead's own, every team for an admin)."""
    teams = access.managed_teams(_agent(request))
    capacities = {c.team_id: c for c in CallbackCapacity.objects.filter(team__in=teams).select_related("calendar")}
    rows = [{"team": t, "capacity": capacities.get(t.pk)} for t in teams]
    return render(request, "teams/team_list.html", {"rows": rows})


def _team(agent: Agent, team_id: int) -> Team:
    """The team, if the agent may change its settings: 404 for no such team, 403 (with the reason) for a team
    that is not theirs to change (every agent sees the teams' names, in the inbox's filters and the API)."""
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise Http404(_("Team not found."))
    access.require_team(agent, team.pk)
    return team


def _initial(team: Team) -> dict[str, Any]:
    capacity = CallbackCapacity.objects.filter(team=team).select_related("calendar").first()
    hours = team_calendar(team_id=team.pk) or (capacity.calendar if capacity else None)
    return {
        "email": team.email,
        "callbacks_offered": capacity.is_active if capacity else False,
        "per_slot": capacity.per_slot if capacity else 2,
        "slot_minutes": capacity.slot_minutes if capacity else 15,
        "calendar": hours,
    }


@login_required
@require_http_methods(["GET", "POST"])
def team_settings(request: HttpRequest, team_id: int) -> HttpResponse:
    agent = _agent(request)
    try:
        team = _team(agent, team_id)
    except PermissionDenied as exc:
        return render(request, "403.html", {"reason": exc.message}, status=403)
    status = 200
    if request.method == "POST":
        form = TeamSettingsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    team_update(team=team, email=data["email"] or "")
                    team_calendar_set(team=team, calendar=data["calendar"])
                    if data["calendar"] is not None:
                        callback_capacity_set(
                            team=team,
                            per_slot=data["per_slot"],
                            slot_minutes=data["slot_minutes"],
                            calendar=data["calendar"],
                            is_active=data["callbacks_offered"],
                        )
                    else:
                        CallbackCapacity.objects.filter(team=team).update(is_active=False)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The settings of %(team)s are saved.") % {"team": team.name})
                return redirect("teams:settings", team_id=team.pk)
        status = 422
    else:
        form = TeamSettingsForm(initial=_initial(team))
    return render(request, "teams/team_settings.html", {"team": team, "form": form}, status=status)
