from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import field_validator

from lofte.accounts.schemas import AgentRef
from lofte.core.schemas import Day, Id, InSchema, Moment
from lofte.promises.policies import MAX_MINUTES

ChannelCondition = Literal["", "email", "web", "chat", "sms", "phone", "api", "webhook"]
TierCondition = Literal["", "A", "B", "C"]
PriorityCondition = Literal[1, 2, 3, 4]
PausableStatus = Literal["new", "open", "waiting_on_customer", "waiting_on_third_party"]
PromiseKindName = Literal[
    "first_response", "next_update", "resolution", "callback", "follow_up", "temperature_check", "incident_update"
]


def _minutes() -> Any:
    return Field(None, ge=1, le=MAX_MINUTES, description=f"Minutes on the target's calendar: 1 to {MAX_MINUTES}.")


# The longest target (and due-time preview) the API takes: a year of wall-clock minutes. Longer ones are no
# promise anyone keeps, and the computation must stay inside datetime's range (a due time past 9999 is a 500).
ORDER_MAX = 2_147_483_647  # PositiveIntegerField's upper bound on PostgreSQL


class CalendarIn(InSchema):
    name: str = Field(..., max_length=100)
    time_zone: str = Field("Europe/Stockholm", max_length=64)
    country: str = Field("", max_length=2)
    always_open: bool = False
    opening_hours: dict[str, list[list[str]]] | None = None
    closed_on_eves: bool = True
    closed_days: list[str] = Field(default_factory=list)
    special_hours: dict[str, list[list[str]]] = Field(default_factory=dict)


class CalendarPatch(InSchema):
    """Only the fields given are changed; none may be null (closed_days [] and special_hours {} clear those)."""

    name: str | None = Field(None, max_length=100)
    time_zone: str | None = Field(None, max_length=64)
    country: str | None = Field(None, max_length=2)
    always_open: bool | None = None
    opening_hours: dict[str, list[list[str]]] | None = None
    closed_on_eves: bool | None = None
    closed_days: list[str] | None = None
    special_hours: dict[str, list[list[str]]] | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # runs only for values the request gave; the service would read null as "leave it as it is", silently
        if value is None:
            raise ValueError("may be left out, but cannot be null")
        return value


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    country: str
    always_open: bool
    opening_hours: dict[str, list[list[str]]]
    closed_on_eves: bool
    closed_days: list[str]
    special_hours: dict[str, list[list[str]]]
    updated_at: datetime


class DueOut(Schema):
    due_at: datetime


class PolicyIn(InSchema):
    name: str = Field(..., max_length=100)
    order: int = Field(100, ge=0, le=ORDER_MAX)
    is_active: bool = True
    channel: ChannelCondition = Field("", description="Only cases from this channel; empty for any.")
    priority: PriorityCondition | None = Field(None, description="Only cases of this priority (1 low to 4 urgent).")
    tier: TierCondition = Field("", description="Only customers of this tier; empty for any.")
    case_type: Id | None = None
    team: Id | None = None
    first_response_minutes: int | None = _minutes()
    first_response_calendar: Id | None = None
    next_update_minutes: int | None = _minutes()
    next_update_calendar: Id | None = None
    resolution_minutes: int | None = _minutes()
    resolution_calendar: Id | None = None
    pause_statuses: list[PausableStatus] = Field(default_factory=lambda: ["waiting_on_customer"])  # type: ignore[arg-type]
    wall_clock: bool = Field(
        False, description="Times told to customers may fall outside the team's hours (off: moved into them)."
    )


class PolicyPatch(InSchema):
    """Only the fields given are changed. The conditions, targets and calendars may be null (cleared); the others
    may not."""

    name: str | None = Field(None, max_length=100)
    order: int | None = Field(None, ge=0, le=ORDER_MAX)
    is_active: bool | None = None
    channel: ChannelCondition | None = None
    priority: PriorityCondition | None = None
    tier: TierCondition | None = None
    case_type: Id | None = None
    team: Id | None = None
    first_response_minutes: int | None = _minutes()
    first_response_calendar: Id | None = None
    next_update_minutes: int | None = _minutes()
    next_update_calendar: Id | None = None
    resolution_minutes: int | None = _minutes()
    resolution_calendar: Id | None = None
    pause_statuses: list[PausableStatus] | None = None
    wall_clock: bool | None = None

    @field_validator("name", "order", "is_active", "channel", "tier", "pause_statuses", "wall_clock", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # runs only for values the request gave: leaving a field out is fine, sending null is not
        if value is None:
            raise ValueError("may be left out, but cannot be null")
        return value


class PolicyOut(Schema):
    id: int
    name: str
    order: int
    is_active: bool
    channel: str
    priority: int | None
    tier: str
    case_type: int | None = Field(None, alias="case_type_id")
    team: int | None = Field(None, alias="team_id")
    first_response_minutes: int | None
    first_response_calendar: int | None = Field(None, alias="first_response_calendar_id")
    next_update_minutes: int | None
    next_update_calendar: int | None = Field(None, alias="next_update_calendar_id")
    resolution_minutes: int | None
    resolution_calendar: int | None = Field(None, alias="resolution_calendar_id")
    pause_statuses: list[str]
    wall_clock: bool
    created_at: datetime
    updated_at: datetime


class TeamRef(Schema):
    id: int
    name: str


class PromiseOut(Schema):
    id: int
    kind: str
    state: str
    due_at: datetime
    owner: AgentRef | None = Field(None, alias="owner_agent")
    owner_team: TeamRef | None
    customer_text: str
    origin: str
    paused: bool
    created_at: datetime
    kept_at: datetime | None
    broken_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    escalation_level: int

    @staticmethod
    def resolve_paused(obj: object) -> bool:
        return getattr(obj, "paused_at", None) is not None


class PromiseIn(InSchema):
    due_at: Moment
    customer_text: str = Field("", max_length=1000)
    kind: PromiseKindName = "follow_up"


class EtaHeldQuery(InSchema):
    date_from: Day | None = Field(None, alias="from", description="First day (YYYY-MM-DD); default: 30 days ago.")
    date_to: Day | None = Field(None, alias="to", description="First day left out; default: tomorrow.")
    team: Id | None = Field(None, description="Only the promises of this team.")


class EtaHeldRowOut(Schema):
    channel: str | None = Field(..., description="The case's channel; null for promises without a case.")
    channel_label: str
    case_type: int | None = Field(..., description="The case type's id; null for cases without one.")
    case_type_label: str
    held: int = Field(..., description="First responses by the time the acknowledgement told.")
    missed: int = Field(..., description="Broken, or kept after the time told.")
    rate: float | None = Field(..., description="held / (held + missed); null when none was decided.")


class EtaHeldOut(Schema):
    date_from: date = Field(..., alias="from")
    date_to: date = Field(..., alias="to")
    rows: list[EtaHeldRowOut]
    total: EtaHeldRowOut
