"""Ninja In/Out schemas for callbacks and calls."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from lofte.core.schemas import Id, InSchema, Moment

# How far ahead the free slots are listed, and how far back the kept-on-time counts go.
SLOTS_DAYS_MAX = 31  # lofte.callbacks.selectors.MAX_DAYS
KEPT_DAYS_MAX = 366


class SlotOut(Schema):
    start: datetime
    end: datetime
    free: int


class CallbackIn(InSchema):
    team: Id
    slot_start: Moment = Field(..., description="The start of a free slot, as GET /callbacks/slots lists them.")
    phone: str = Field(..., max_length=40)
    name: str = Field("", max_length=200)
    case: str | None = Field(None, max_length=32, description="An existing case's reference; empty opens a case.")


class CallbackOut(Schema):
    id: int
    team: int = Field(..., alias="team_id")
    case: str = Field(..., alias="case.reference")
    phone: str
    name: str
    slot_start: datetime
    slot_end: datetime
    state: str
    attempts: int
    next_attempt_at: datetime
    window_end: datetime
    promise: int | None = Field(None, alias="promise_id")
    customer_text: str = Field("", alias="promise.customer_text")
    source: str


class SlotFullOut(Schema):
    code: str = "slot_full"
    message: str
    field: str = "slot_start"
    next_slots: list[SlotOut]


class AttemptIn(InSchema):
    outcome: Literal["reached", "no_answer", "busy", "wrong_number", "voicemail"]
    note: str = Field("", max_length=5000)


class AttemptOut(Schema):
    id: int
    outcome: str
    note: str
    created_at: datetime
    callback: CallbackOut


class CallIn(InSchema):
    case: str | None = Field(None, max_length=32, description="The case's reference; empty opens a phone case.")
    direction: Literal["in", "out"]
    number: str = Field(..., max_length=40)
    duration_seconds: int = Field(0, ge=0, le=86400)
    notes: str = Field("", max_length=20000)
    outcome: Literal["answered", "no_answer", "busy", "wrong_number", "voicemail"]
    acknowledge: bool = Field(
        False, description="The caller agreed to get the new case's acknowledgement by SMS or email."
    )


class CallOut(Schema):
    id: int
    case: str
    direction: str
    number: str
    duration_seconds: int
    outcome: str
    notes: str
    created_at: datetime
    kept_callbacks: list[int]


class KeptOut(Schema):
    team: int | None
    name: str
    on_time: int
    late: int
    broken: int
    percent_on_time: int | None
