"""Reads for agents and teams."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from lofte.accounts.models import Agent, ApiToken, Team
from lofte.core.errors import ValidationFailed


def team_list() -> QuerySet[Team]:
    return Team.objects.order_by("name")


def agent_list_active() -> QuerySet[Agent]:
    return Agent.objects.filter(is_active=True).order_by("name", "email")


def agent_team_ids(*, agent: Agent) -> list[int]:
    """The ids of the agent's teams, cached on the agent object for the request."""
    cached: list[int] | None = getattr(agent, "_team_ids", None)
    if cached is None:
        cached = list(agent.teams.values_list("id", flat=True))
        agent._team_ids = cached  # type: ignore[attr-defined]
    return cached


def api_token_list_for_agent(*, agent: Agent) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(agent=agent).order_by("-created_at")


def team_get(*, team_id: int, field: str = "team") -> Team:
    """A team by id; a missing one is a validation error naming the field that referred to it."""
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ValidationFailed(_("There is no team %(id)s.") % {"id": team_id}, field=field)
    return team


def agent_get_active(*, agent_id: int, field: str = "assignee") -> Agent:
    agent = Agent.objects.filter(pk=agent_id, is_active=True).first()
    if agent is None:
        raise ValidationFailed(_("There is no active agent %(id)s.") % {"id": agent_id}, field=field)
    return agent
