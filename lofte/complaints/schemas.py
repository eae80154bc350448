from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from lofte.core.schemas import Id, InSchema, Text

SeverityValue = Literal["low", "medium", "high", "critical"]
OutcomeValue = Literal["upheld", "partly_upheld", "rejected", ""]
SourceValue = Literal["case_type", "agent", "detection", "customer", "api"]
StateFilter = Literal["open", "resolved", "overdue", "unflagged", "all"]


class CategoryOut(Schema):
    id: int
    name: str = Field(description="The category's name in the reader's language.")
    parent: int | None = Field(description="The main category of a sub-category; null for a main category.")
    deadline_hours: int | None
    deadline_business_hours: bool
    update_hours: int | None
    check_after_days: int | None


class RootCauseOut(Schema):
    id: int
    name: str


class ComplaintOut(Schema):
    case: str = Field(description="The case's reference.")
    subject: str
    customer: int = Field(description="The customer's id.")
    customer_tier: str
    is_active: bool = Field(description="False once an agent (or the API) said the case is not a complaint.")
    source: SourceValue
    channel: str
    received_at: datetime
    category: int | None
    subcategory: int | None
    severity: SeverityValue
    product: str
    root_cause: int | None
    owner_agent: int | None
    owner_team: int | None
    outcome: OutcomeValue
    outcome_reason: str
    deadline_at: datetime | None = Field(description="The handling deadline the customer was told.")
    case_status: str
    unflagged_at: datetime | None
    unflag_reason: str


class ComplaintPage(Schema):
    items: list[ComplaintOut]
    next_cursor: str | None


class UnflagIn(InSchema):
    reason: Text = Field("", max_length=300, description="Why the case is not a complaint.")


class ComplaintUpdateIn(InSchema):
    category: Id | None = Field(None, description="A main category's id; null to clear (clears the sub-category).")
    subcategory: Id | None = None
    severity: SeverityValue | None = None
    product: Text | None = Field(None, max_length=200)
    root_cause: Id | None = None
    owner_agent: Id | None = None
    owner_team: Id | None = None
    outcome: OutcomeValue | None = None
    outcome_reason: Text | None = Field(None, max_length=4000)


CompensationKindValue = Literal["refund", "credit", "voucher", "gift", "other"]
CompensationStateValue = Literal["proposed", "approved", "rejected", "paid", "cancelled"]


class CompensationOut(Schema):
    id: int
    case: str
    kind: CompensationKindValue
    amount: str = Field(description='A decimal number as text, two decimals ("250.00").')
    currency: str
    reason: str
    state: CompensationStateValue
    proposed_by: int
    proposed_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    decision_reason: str
    paid_at: datetime | None


class CompensationPage(Schema):
    items: list[CompensationOut]
    next_cursor: str | None


class CompensationIn(InSchema):
    kind: CompensationKindValue
    amount: Text = Field(max_length=32, description='A positive amount with at most two decimals ("250", "99.50").')
    currency: Text = Field(max_length=3, description="An ISO 4217 code Lofte is set up for (LOFTE_CURRENCIES).")
    reason: Text = Field(max_length=2000)


class ReasonIn(InSchema):
    reason: Text = Field(max_length=2000, description="Why (required to approve, reject or cancel).")


class TotalOut(Schema):
    group: str
    group_id: int | None
    currency: str
    count: int
    committed: str = Field(description="Approved or paid.")
    paid: str


class StepOut(Schema):
    id: int
    text: str = Field(description="The step in the reader's language.")
    category: int
    required_role: Literal["", "team_lead", "admin"] = Field(description="Empty: whoever works the case.")
    done: bool
    done_by: int | None
    done_at: datetime | None


class CheckOut(Schema):
    id: int
    state: Literal["scheduled", "sent", "unsent", "yes", "no", "no_answer", "cancelled"]
    solved_at: datetime = Field(description="The solving of the case it follows.")
    due_at: datetime
    sent_at: datetime | None
    channel: str
    expires_at: datetime | None
    answered_at: datetime | None
    comment: str = Field(description="The customer's comment, as plain text.")


class FigureOut(Schema):
    key: str
    title: str
    columns: list[str]
    rows: list[list[str | int | float | None]] = Field(description="The rows behind the chart, as on the page.")
    note: str
    period_from: datetime
    period_to: datetime = Field(description="The end of the period (exclusive).")
