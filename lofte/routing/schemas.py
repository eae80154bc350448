"""Ninja In/Out schemas for routing."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from lofte.core.schemas import Id, InSchema
from lofte.routing.models import MAX_CAPACITY, MAX_GRACE_MINUTES

StatusValue = Literal["online", "away", "offline"]
ModeValue = Literal["manual", "round_robin", "least_loaded"]
ChannelValue = Literal["email", "web", "chat", "sms", "phone", "api", "webhook"]


class ChannelLoadOut(Schema):
    channel: str
    load: int = Field(..., description="Open cases (not solved or closed) of this channel assigned to the agent.")
    capacity: int = Field(..., description="How many routing may give the agent.")


class AgentRoutingOut(Schema):
    id: int = Field(..., alias="agent.pk")
    name: str = Field(..., alias="agent.display_name")
    status: StatusValue
    since: datetime | None
    default_capacity: int
    total_capacity: int | None
    total_load: int
    channels: list[ChannelLoadOut]
    skills: list[str] = Field(..., description="kind:value, e.g. language:sv, product:faktura, channel:phone.")
    editable: bool = Field(..., description="Whether you may change this agent's capacity and skills.")


class StatusIn(InSchema):
    status: StatusValue


class AgentRoutingIn(InSchema):
    default_capacity: int | None = Field(None, ge=0, le=MAX_CAPACITY)
    total_capacity: int | None = Field(None, ge=0, le=MAX_CAPACITY, description="null: no limit over all channels.")
    capacities: dict[ChannelValue, int] | None = Field(
        None, description="Each channel's own number of open cases (replaces them all); others take the default."
    )
    skills: list[str] | None = Field(None, max_length=50, description="Replaces the agent's skills: kind:value.")


class TeamRoutingOut(Schema):
    team: int = Field(..., alias="team_id")
    mode: ModeValue
    grace_minutes: int
    require_language: bool
    require_product: bool
    require_channel: bool
    require_tier: bool


class TeamRoutingIn(InSchema):
    mode: ModeValue
    grace_minutes: int = Field(15, ge=0, le=MAX_GRACE_MINUTES)
    require_language: bool = False
    require_product: bool = False
    require_channel: bool = False
    require_tier: bool = Field(
        False, description="Agents must have the skill tier:a, tier:b or tier:c of the case's customer."
    )


class RoutingSettingsOut(Schema):
    triage_team: int | None = Field(None, alias="triage_team_id")


class RoutingSettingsIn(InSchema):
    triage_team: Id | None = Field(None, description="The team new cases without a team go to; null: none.")


class RoutedOut(Schema):
    case: str = Field(..., description="The case's reference.")
    outcome: str = Field(
        ...,
        description="assigned (to `assignee`), queued (nobody eligible: it waits in its team's queue), manual (its "
        "team routes by hand), no_team (no team and no triage team), skipped (already assigned, or not open).",
    )
    assignee: int | None = Field(None, description="The agent it went to.")
