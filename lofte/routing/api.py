"""The routing API: one's own status; agents' capacity and skills; a team's routing; the triage team. Thin."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.accounts.selectors import team_get
from lofte.cases.schemas import Reference
from lofte.cases.selectors import case_get_for_agent
from lofte.core.errors import NotFound
from lofte.core.schemas import ErrorOut, Id
from lofte.routing import selectors, services
from lofte.routing.schemas import (
    AgentRoutingIn,
    AgentRoutingOut,
    RoutedOut,
    RoutingSettingsIn,
    RoutingSettingsOut,
    StatusIn,
    TeamRoutingIn,
    TeamRoutingOut,
)

router = Router(tags=["routing"])


def _agent(request: HttpRequest) -> Agent:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _team(team_id: int) -> Team:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise NotFound(_("Team not found."))
    return team


@router.get("/routing/me", response=AgentRoutingOut, summary="Your status, load and capacity per channel, skills")
def get_me(request: HttpRequest) -> object:
    agent = _agent(request)
    return selectors.agent_row(reader=agent, agent_id=agent.pk)


@router.put("/routing/me/status", response=AgentRoutingOut, summary="Say you are online, away or offline")
def set_my_status(request: HttpRequest, data: StatusIn) -> object:
    agent = _agent(request)
    services.agent_status_set(agent=agent, status=data.status)
    return selectors.agent_row(reader=agent, agent_id=agent.pk)


@router.get(
    "/routing/agents",
    response=list[AgentRoutingOut],
    summary="Agents' status, load per channel against capacity, and skills",
    description="An admin sees every active agent; everyone else the members of their teams.",
)
def list_agents(request: HttpRequest) -> object:
    return selectors.agents_for_routing(reader=_agent(request))


@router.patch(
    "/routing/agents/{agent_id}",
    response={200: AgentRoutingOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change an agent's capacity and skills",
    description="Admins, and the leads of the agent's teams (403 for anyone else). Only the fields given change.",
)
def update_agent(request: HttpRequest, agent_id: Id, data: AgentRoutingIn) -> object:
    actor = _agent(request)
    agent = selectors.agent_get(agent_id=agent_id)
    given = data.model_dump(exclude_unset=True)
    for key in ("default_capacity", "skills", "capacities"):
        if key in given and given[key] is None:
            del given[key]  # null for these means "leave as it is"
    services.agent_routing_update(actor=actor, agent=agent, **given)
    # whoever may change an agent sees them (an admin everyone, a lead their teams' members)
    return selectors.agent_row(reader=actor, agent_id=agent.pk)


@router.get(
    "/routing/teams/{team_id}",
    response={200: TeamRoutingOut, 403: ErrorOut, 404: ErrorOut},
    summary="A team's routing",
    description="The team's leads and admins (403 for anyone else); 404 when there is no such team.",
)
def get_team_routing(request: HttpRequest, team_id: Id) -> object:
    team = _team(team_id)
    access.require_team(_agent(request), team.pk)
    return selectors.team_routing(team=team)


@router.put(
    "/routing/teams/{team_id}",
    response={200: TeamRoutingOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change a team's routing: manual, round-robin or least-loaded, grace, skills asked",
    description="The team's leads and admins (403 for anyone else); 404 when there is no such team.",
)
def set_team_routing(request: HttpRequest, team_id: Id, data: TeamRoutingIn) -> object:
    return services.team_routing_set(actor=_agent(request), team=_team(team_id), **data.model_dump())


@router.get("/routing/settings", response=RoutingSettingsOut, summary="The triage team for cases without a team")
def get_settings(request: HttpRequest) -> object:
    return selectors.routing_settings()


@router.put(
    "/routing/settings",
    response={200: RoutingSettingsOut, 403: ErrorOut},
    summary="Choose the triage team (admins)",
    description="An unknown team is a 422 naming triage_team.",
)
def set_settings(request: HttpRequest, data: RoutingSettingsIn) -> object:
    actor = _agent(request)
    access.require(actor, access.Perm.CONFIGURE)
    team = team_get(team_id=data.triage_team, field="triage_team") if data.triage_team else None
    return services.triage_team_set(actor=actor, team=team)


@router.post(
    "/cases/{reference}/route",
    response={200: RoutedOut, 403: ErrorOut, 404: ErrorOut},
    tags=["cases"],
    summary="Route a case now, by its team's routing",
    description="An unassigned open case goes to an eligible agent of its team (online, with the skills, with room), "
    "or waits in the team's queue; an assigned one is left alone.",
)
def route_case(request: HttpRequest, reference: Reference) -> object:
    agent = _agent(request)
    case = case_get_for_agent(agent=agent, reference=reference)
    routed = services.case_route(case=case, actor=agent)
    return {
        "case": case.reference,
        "outcome": routed.outcome,
        "assignee": routed.assignee.pk if routed.assignee else None,
    }
