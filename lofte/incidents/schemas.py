"""The incidents API's schemas."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from ninja import Field, Schema

from lofte.core.schemas import Id, InSchema, Moment

KindValue = Literal["incident", "maintenance"]
SeverityValue = Literal["minor", "major", "critical"]
StatusValue = Literal["investigating", "identified", "monitoring", "resolved"]
StateValue = Literal["degraded", "partial_outage", "major_outage", "maintenance"]
Texts = dict[str, str]


class AffectedOut(Schema):
    component: int = Field(..., alias="component_id")
    state: str


class UpdateOut(Schema):
    id: int
    status: str
    public: bool = Field(..., alias="is_public")
    text: str = Field(..., alias="body")
    texts: Texts = Field(..., alias="bodies")
    ready: bool
    author: int | None = Field(None, alias="author_id")
    posted_at: datetime


class IncidentOut(Schema):
    id: int
    kind: str
    title: str
    titles: Texts
    severity: str
    status: str
    owner_agent: int | None = Field(None, alias="owner_agent_id")
    owner_team: int | None = Field(None, alias="owner_team_id")
    started_at: datetime
    resolved_at: datetime | None
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    first_update_at: datetime | None
    match_words: str
    affected: list[AffectedOut]


class MeasuresOut(Schema):
    first_update_after_minutes: float | None
    updates_promised: int
    updates_kept: int
    updates_missed: int
    cases_linked: int
    status_questions_answered: int

    @staticmethod
    def minutes(value: timedelta | None) -> float | None:
        return round(value.total_seconds() / 60, 1) if value is not None else None


class IncidentDetailOut(IncidentOut):
    updates: list[UpdateOut]
    next_update_by: datetime | None
    measures: MeasuresOut


class IncidentIn(InSchema):
    title: str = Field(..., max_length=200)
    titles: Texts | None = Field(None, description='The public title per language: {"sv": "..."}.')
    kind: KindValue = "incident"
    severity: SeverityValue = "major"
    status: Literal["investigating", "identified", "monitoring"] = "investigating"
    components: dict[Id, StateValue] | None = Field(None, description="{component id: state}.")
    owner_agent: Id | None = Field(None, description="Default: you.")
    owner_team: Id | None = None
    match_words: str = Field("", max_length=2000, description="One word or phrase per line.")
    first_update: str = Field("", max_length=5000, description="Empty: the first update is due by the cadence.")
    first_updates: Texts | None = None
    scheduled_start: Moment | None = None
    scheduled_end: Moment | None = None


class IncidentPatch(InSchema):
    title: str | None = Field(None, max_length=200)
    titles: Texts | None = None
    severity: SeverityValue | None = None
    owner_agent: Id | None = None
    owner_team: Id | None = None
    match_words: str | None = Field(None, max_length=2000)
    components: dict[Id, StateValue] | None = None


class UpdateIn(InSchema):
    text: str = Field("", max_length=5000, description="In the site's language; or give `texts`.")
    texts: Texts | None = None
    status: StatusValue | None = Field(None, description="resolved resolves the incident.")
    public: bool = True
    components: dict[Id, StateValue] | None = None
    solve_linked: bool = Field(False, description="On resolving: also solve the linked cases.")


class LinkIn(InSchema):
    case: str = Field(..., max_length=40, description="The case's reference.")


class LinkOut(Schema):
    incident: int = Field(..., alias="incident_id")
    case: str
    automatic: bool
    answered: bool
    linked_at: datetime
    final_sent_at: datetime | None


class ComponentOut(Schema):
    id: int
    name: str
    names: Texts
    group: int | None = Field(None, alias="group_id")
    position: int
    is_active: bool


class ComponentIn(InSchema):
    name: str = Field(..., min_length=1, max_length=100)
    names: Texts | None = None
    group: Id | None = None
    position: int = Field(0, ge=0, le=32767)
    is_active: bool = True
