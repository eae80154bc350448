from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from lofte.core.schemas import InSchema, Text

FieldValue = Literal["case_type", "team", "priority", "complaint", "status_question"]
StateValue = Literal["suggested", "applied", "confirmed", "corrected"]


class SuggestionOut(Schema):
    id: int
    case: str = Field(description="The case's reference.")
    message_id: int = Field(description="The customer's message the suggestion was made of.")
    field: FieldValue
    label: str = Field(
        description="What the model suggests: a case type's or team's id, a priority (1-4), 'complaint', or 'status'."
    )
    name: str = Field(description="The suggestion as an agent reads it (the case type's name ...).")
    confidence: float = Field(ge=0, le=1)
    state: StateValue = Field(description="applied: Lofte set it on the case itself; suggested: it waits for an agent.")
    answered: bool = Field(description="A status question Lofte answered with the case's open promise.")
    answer: str = Field(description="The agent's answer (the label, or what they corrected it to); empty until then.")
    model_version: int | None
    created_at: datetime
    decided_at: datetime | None


class DecideIn(InSchema):
    answer: Text = Field(
        max_length=64,
        description="The suggestion's label to confirm it, or the right value to correct it (one of the field's "
        "answers: a case type's or team's id, a priority 1-4, 'complaint' or 'other', 'status' or 'other').",
    )
