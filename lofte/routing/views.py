"""Routing pages: one's own status; the routing overview (teams one leads, the triage team, the agents' table);
a team's routing; an agent's capacity and skills. Thin: each form calls one service."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lofte.accounts import access
from lofte.accounts.decorators import forbidden
from lofte.accounts.models import Agent, Team
from lofte.cases.models import Channel
from lofte.core.errors import DomainError, NotFound, PermissionDenied
from lofte.routing import selectors, services
from lofte.routing.forms import AgentRoutingForm, StatusForm, TeamRoutingForm, TriageForm
from lofte.routing.models import RoutingMode


def _agent(request: HttpRequest) -> Agent:
    return request.user  # type: ignore[return-value]


@login_required
@require_http_methods(["GET"])
def routing_home(request: HttpRequest) -> HttpResponse:
    """Teams the reader leads with their routing, the triage team (admins change it), and the agents' table."""
    agent = _agent(request)
    teams = access.managed_teams(agent)
    team_rows = [{"team": t, "routing": r} for t, r in selectors.team_routings(teams=teams)]
    settings_row = selectors.routing_settings()
    context = {
        "team_rows": team_rows,
        "agents": selectors.agents_for_routing(reader=agent),
        "channels": Channel.choices,
        "triage": settings_row.triage_team,
        "triage_form": TriageForm(initial={"triage_team": settings_row.triage_team}),
        "can_configure": access.can(agent, access.Perm.CONFIGURE),
        "me": selectors.availability_of(agent=agent),
        "manual": RoutingMode.MANUAL,
    }
    return render(request, "routing/home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def my_status(request: HttpRequest) -> HttpResponse:
    """The agent's own status: online (routing may give them cases), away or offline."""
    agent = _agent(request)
    status = 200
    if request.method == "POST":
        form = StatusForm(request.POST)
        if form.is_valid():
            availability = services.agent_status_set(agent=agent, status=form.cleaned_data["status"])
            messages.success(request, _("Your status: %(status)s.") % {"status": availability.get_status_display()})
            # back to the page it was changed on: `next`, or (the page header's control, which does not repeat
            # the page's address in every page) the Referer, when it is this site's
            target = request.POST.get("next") or ""
            if not target and request.POST.get("back"):
                referer = urlsplit(request.headers.get("Referer", ""))
                if referer.netloc == request.get_host():
                    target = urlunsplit(("", "", referer.path, referer.query, ""))
            if target.startswith("/") and url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(target)
            return redirect("routing:status")
        status = 422
    else:
        form = StatusForm(initial={"status": selectors.availability_of(agent=agent).status})
    return render(
        request,
        "routing/status.html",
        {"form": form, "me": selectors.availability_of(agent=agent)},
        status=status,
    )


def _team(agent: Agent, team_id: int) -> Team:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise Http404(_("Team not found."))
    access.require_team(agent, team.pk)
    return team


@login_required
@require_http_methods(["GET", "POST"])
def team_routing(request: HttpRequest, team_id: int) -> HttpResponse:
    agent = _agent(request)
    try:
        team = _team(agent, team_id)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    status = 200
    if request.method == "POST":
        form = TeamRoutingForm(request.POST)
        if form.is_valid():
            try:
                services.team_routing_set(actor=agent, team=team, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The routing of %(team)s is saved.") % {"team": team.name})
                return redirect("routing:team", team_id=team.pk)
        status = 422
    else:
        routing = selectors.team_routing(team=team)
        form = TeamRoutingForm(
            initial={
                "mode": routing.mode,
                "grace_minutes": routing.grace_minutes,
                "require_language": routing.require_language,
                "require_product": routing.require_product,
                "require_channel": routing.require_channel,
                "require_tier": routing.require_tier,
            }
        )
    return render(request, "routing/team.html", {"team": team, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def agent_routing(request: HttpRequest, agent_id: int) -> HttpResponse:
    """An agent's capacity and skills: their teams' leads and admins change them."""
    actor = _agent(request)
    try:
        target = selectors.agent_get(agent_id=agent_id)
        services.require_edit_agent(actor, target)
        row = selectors.agent_row(reader=actor, agent_id=target.pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        return forbidden(request, exc)
    status = 200
    if request.method == "POST":
        form = AgentRoutingForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.agent_routing_update(
                    actor=actor,
                    agent=target,
                    default_capacity=data["default_capacity"],
                    total_capacity=data["total_capacity"],
                    capacities=form.capacities(),
                    skills=form.skill_list(),
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The capacity and skills of %(name)s are saved.") % {"name": target})
                return redirect("routing:agent", agent_id=target.pk)
        status = 422
    else:
        initial: dict[str, object] = {
            "default_capacity": row.default_capacity,
            "total_capacity": row.total_capacity,
            "skills": ", ".join(row.skills),
        }
        initial |= {f"capacity_{channel}": value for channel, value in row.capacities.items()}
        form = AgentRoutingForm(initial=initial)
    return render(request, "routing/agent.html", {"row": row, "form": form}, status=status)


@login_required
@require_POST
def triage(request: HttpRequest) -> HttpResponse:
    """Admins choose the triage team."""
    actor = _agent(request)
    if not access.can(actor, access.Perm.CONFIGURE):
        return render(request, "403.html", {"reason": _("Only admins can change this.")}, status=403)
    form = TriageForm(request.POST)
    if form.is_valid():
        services.triage_team_set(actor=actor, team=form.cleaned_data["triage_team"])
        messages.success(request, _("The triage team is saved."))
    else:
        messages.error(request, " ".join(str(e) for e in form.errors.get("triage_team", [])))
    return redirect("routing:home")
