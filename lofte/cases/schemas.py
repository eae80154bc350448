from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import field_validator

from lofte.accounts.schemas import AgentRef
from lofte.cases.intake import external_id_for_display
from lofte.cases.models import Priority
from lofte.core.schemas import Id, InSchema, Text
from lofte.customers.schemas import CustomerRef

ChannelName = Literal["email", "web", "chat", "sms", "phone", "api", "webhook"]
StatusName = Literal["new", "open", "waiting_on_customer", "waiting_on_third_party", "solved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]
# The inbox's status filter: a status, or active (all but solved and closed) or all.
StatusFilter = Literal[
    "active", "all", "new", "open", "waiting_on_customer", "waiting_on_third_party", "solved", "closed"
]

REFERENCE_MAX = 32  # Case.reference
TAG_MAX = 50  # Tag.name
TAGS_MAX = 20  # lofte.cases.services.MAX_TAGS

Reference = Annotated[
    Text, Field(max_length=REFERENCE_MAX, description="The case's reference, LF-YYYY-NNNNNN (any letter case).")
]
TagName = Annotated[str, Field(max_length=TAG_MAX)]

PRIORITY_BY_NAME = {p.name.lower(): p.value for p in Priority}
PRIORITY_NAME = {v: k for k, v in PRIORITY_BY_NAME.items()}


class NamedRef(Schema):
    id: int
    name: str


class CaseTypeOut(Schema):
    id: int
    name: str
    description: str
    default_team: NamedRef | None
    default_priority: str
    is_complaint: bool
    expected_handling_time: timedelta | None
    update_interval: timedelta | None

    @staticmethod
    def resolve_default_priority(obj: object) -> str:
        return PRIORITY_NAME[obj.default_priority]  # type: ignore[attr-defined]


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class MessageOut(Schema):
    id: int
    case: str = Field(
        ..., description="The reference of the case the message is on (a follow-up when the case was closed)."
    )
    direction: str
    channel: str
    subject: str
    body_text: str
    body_html: str
    visible_text: str = Field(
        ...,
        description="The customer's new words without quoted history and signature; empty when all the text is new.",
    )
    is_automatic: bool = Field(..., description="An automatic reply (out of office ...): never answered.")
    language: str = Field(
        ...,
        description="Inbound only: the language the message is written in, as detected (sv, da, nb, fi, en), "
        "'other' for a language Lofte does not write in, or empty when too short or unclear to tell.",
    )
    sender: str
    recipients: list[str]
    external_id: str
    author: AgentRef | None
    delivery: str | None = Field(None, description="Outbound only: pending, sent, dead (failed) or bounced.")
    attachments: list[AttachmentOut]
    created_at: datetime

    @staticmethod
    def resolve_external_id(obj: object) -> str:
        return external_id_for_display(obj.external_id)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_case(obj: object) -> str:
        return str(obj.case.reference)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_delivery(obj: object) -> str | None:
        row = getattr(obj, "outbox_message", None)
        return row.state if row is not None else None

    @staticmethod
    def resolve_attachments(obj: object) -> list[object]:
        return list(obj.attachments.all())  # type: ignore[attr-defined]


class CaseOut(Schema):
    id: int
    reference: str
    follow_up_of: str | None = Field(None, description="Reference of the closed case this one follows up.")
    subject: str
    status: str
    priority: str
    channel: str
    language: str
    customer: CustomerRef
    team: NamedRef | None
    assignee: AgentRef | None
    case_type: NamedRef | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    next_due_at: datetime | None

    @staticmethod
    def resolve_follow_up_of(obj: object) -> str | None:
        parent = obj.follow_up_of  # type: ignore[attr-defined]
        return parent.reference if parent is not None else None

    @staticmethod
    def resolve_priority(obj: object) -> str:
        return PRIORITY_NAME[obj.priority]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_tags(obj: object) -> list[str]:
        return [t.name for t in obj.tags.all()]  # type: ignore[attr-defined]


class CaseDetailOut(CaseOut):
    messages: list[MessageOut]


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None


class CustomerRefIn(InSchema):
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    name: str = Field("", max_length=200)


class CaseIn(InSchema):
    subject: str = Field(..., max_length=255)
    body: str = Field(..., min_length=1)
    channel: ChannelName = "api"
    customer: CustomerRefIn
    case_type: Id | None = None
    priority: PriorityName | None = None
    team: Id | None = None
    assignee: Id | None = None
    tags: list[TagName] = Field(default_factory=list, max_length=TAGS_MAX)
    language: Literal["", "en", "sv", "da", "nb", "fi"] = ""
    sender: str = Field("", max_length=254)
    external_id: str = Field("", max_length=255)


class CaseUpdateIn(InSchema):
    """Only the fields given are changed. team, assignee and case_type may be null (cleared); the others may not."""

    subject: str | None = Field(None, max_length=255)
    status: StatusName | None = None
    priority: PriorityName | None = None
    team: Id | None = None
    assignee: Id | None = None
    case_type: Id | None = None
    tags: list[TagName] | None = Field(None, max_length=TAGS_MAX)

    @field_validator("subject", "status", "priority", "tags", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # runs only for values the request gave: leaving a field out is fine, sending null is not
        if value is None:
            raise ValueError("may be left out, but cannot be null")
        return value


class InboundIn(InSchema):
    body: str = Field(..., min_length=1)
    channel: ChannelName = "api"
    sender: str = Field("", max_length=254)
    subject: str = Field("", max_length=255)
    external_id: str = Field("", max_length=255)


class ReplyIn(InSchema):
    body: str = Field(..., min_length=1, description="Markdown; the email carries it as text and as HTML.")
    status: StatusName | None = Field(None, description="Move the case on with the reply, e.g. waiting_on_customer.")
    cc: list[Annotated[str, Field(max_length=254)]] = Field([], max_length=10, description="Copies (email only).")
    bcc: list[Annotated[str, Field(max_length=254)]] = Field([], max_length=10, description="Blind copies (email).")
    seen_message: int | None = Field(
        None,
        description="The newest message you had read: if another came after it (not yours), nothing is sent and "
        "the answer is 409 newer_message.",
    )


class ForwardIn(InSchema):
    to: str = Field(..., max_length=254, description="An outside address, not the customer's.")
    cc: list[Annotated[str, Field(max_length=254)]] = Field([], max_length=10)
    note: str = Field("", max_length=5000, description="Your words above the conversation.")


class NoteIn(InSchema):
    body: str = Field(..., min_length=1)


class NoteOut(Schema):
    id: int
    body: str
    author: AgentRef | None
    created_at: datetime


class EventOut(Schema):
    id: int
    kind: str
    actor: AgentRef | None
    message_id: int | None
    note_id: int | None
    data: dict[str, object]
    created_at: datetime


# --- macros ------------------------------------------------------------------------------------

ReplyStatusName = Literal["waiting_on_customer", "waiting_on_third_party", "solved"]
LanguageName = Literal["", "en", "sv", "da", "nb", "fi"]


class MacroIn(InSchema):
    name: str = Field(..., min_length=1, max_length=100)
    body: str = Field(
        ...,
        min_length=1,
        max_length=20_000,
        description="The reply's text. Placeholders: {customer_name}, {customer_first_name}, {reference}, {subject}, "
        "{agent_name}, {agent_first_name}, {next_promise} (the case's next pending promise, as the customer reads "
        "times); {{ and }} are literal braces.",
    )
    language: LanguageName = Field("", description="The language of the cases it is for; empty for any.")
    scope: Literal["personal", "team", "everyone"] = Field(
        "personal",
        description="personal: yours alone; team: the team's members (its leads and admins share it); everyone: "
        "every agent (admins share it).",
    )
    team: Id | None = Field(None, description="The team it is shared with (scope team).")
    set_status: ReplyStatusName | Literal[""] = ""
    add_tags: list[str] = Field([], max_length=10)
    set_team: Id | None = Field(None, description="Move the case to this team when the reply is sent.")
    follow_up_hours: int | None = Field(None, ge=1, le=720, description="Promise to get back within these hours.")


class MacroOut(Schema):
    id: int
    name: str
    body: str
    language: str
    scope: str
    team: int | None = Field(None, alias="team_id")
    owner: int | None = Field(None, alias="owner_id")
    set_status: str
    add_tags: list[str]
    set_team: int | None = Field(None, alias="set_team_id")
    follow_up_hours: int | None
    usage_count: int
    last_used_at: datetime | None
    updated_at: datetime

    @staticmethod
    def resolve_add_tags(obj: object) -> list[str]:
        text = str(getattr(obj, "add_tags", ""))
        return [t.strip() for t in text.split(",") if t.strip()]


class MacroApplyIn(InSchema):
    body: str | None = Field(
        None, min_length=1, description="The reply as the agent edited it; empty: the macro's text, filled in."
    )
    status: ReplyStatusName | None = Field(None, description="Instead of the macro's status.")
    add_tags: bool = Field(True, description="Add the macro's tags.")
    move_team: bool = Field(True, description="Move the case to the macro's team.")


class MacroTextOut(Schema):
    text: str
    follow_up_at: datetime | None


# --- bulk ----------------------------------------------------------------------------------------


class BulkIn(InSchema):
    cases: list[Reference] = Field(..., min_length=1, max_length=500, description="The references of the cases.")
    status: StatusName | None = Field(None, description="Move each case to this status.")
    assignee: Literal["me", "none"] | Id | None = Field(None, description="me, none (unassigned) or an agent's id.")
    team: Literal["none"] | Id | None = Field(None, description="none (no team) or a team's id.")
    add_tags: list[TagName] = Field([], max_length=20)
    remove_tags: list[TagName] = Field([], max_length=20)


class BulkSkipped(Schema):
    case: str
    reason: str


class BulkOut(Schema):
    updated: list[str]
    unchanged: list[str] = Field(..., description="Cases that already were as asked.")
    skipped: list[BulkSkipped] = Field(..., description="Not found (or not yours to see), closed, or refused.")


class ViewCountOut(Schema):
    key: str = Field(..., description="A built-in view, as GET /cases?view= takes it; saved:<id> for a saved one.")
    label: str
    count: int
    id: int | None = Field(None, description="A saved view's id.")
    query: str = Field(..., description="The filters, as GET /cases takes them.")
    team: int | None = Field(None, description="The team a saved view is shared with; none: your own.")


class SavedViewIn(InSchema):
    name: str = Field(..., min_length=1, max_length=100)
    query: str = Field("", max_length=1000, description="The inbox's filters as a query string (view=...&status=...).")
    team: Id | None = Field(None, description="Share it with this team (its leads and admins may); none: your own.")


class MergeIn(InSchema):
    sources: list[Reference] = Field(
        ..., min_length=1, max_length=20, description="The cases to merge into this one (the same customer's, open)."
    )


class MergeOut(Schema):
    case: str = Field(..., description="The case that stays open, which now holds everything.")
    merged: list[str] = Field(..., description="The cases merged in, now closed with a link.")


class SplitIn(InSchema):
    message: int = Field(..., ge=1, description="The id of an inbound message on this case (not the first one).")


class LinkIn(InSchema):
    reference: Reference


class LinkOut(Schema):
    reference: str
    subject: str
    status: str
    how: Literal["related", "merged_into", "merged_from", "split_from", "split_into"]
