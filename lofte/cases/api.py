from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.accounts.selectors import team_get
from lofte.cases import selectors, services
from lofte.cases.intake import Contact, intake_receive
from lofte.cases.models import Case, CaseEvent, CaseType
from lofte.cases.schemas import (
    PRIORITY_BY_NAME,
    CaseDetailOut,
    CaseIn,
    CasePage,
    CaseTypeOut,
    CaseUpdateIn,
    EventOut,
    InboundIn,
    MessageOut,
    NoteIn,
    NoteOut,
    ReplyIn,
)
from lofte.core.errors import Conflict, NotFound
from lofte.customers.models import IdentityKind
from lofte.customers.services import identifier
from lofte.promises.schemas import PromiseIn, PromiseOut

router = Router(tags=["cases"])


def _agent(request: HttpRequest) -> Agent:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _team(team_id: int | None) -> Team | None:
    return None if team_id is None else team_get(team_id=team_id)


def _assignee(agent_id: int | None) -> Agent | None:
    return None if agent_id is None else selectors.assignee_get(agent_id=agent_id)


def _case_type(case_type_id: int | None) -> CaseType | None:
    return None if case_type_id is None else selectors.case_type_get_active(case_type_id=case_type_id)


class CaseListQuery(Schema):
    view: str = "all"
    status: list[str] = ["active"]
    team: int | None = None
    assignee: str = ""
    channel: str = ""
    case_type: int | None = None
    tag: str = ""
    q: str = ""
    sort: str = selectors.DEFAULT_SORT
    customer: int | None = None
    cursor: str | None = None
    limit: int = 25


@router.get("/case-types", response=list[CaseTypeOut], summary="List active case types")
def list_case_types(request: HttpRequest) -> object:
    return selectors.case_type_list()


@router.get("/cases", response=CasePage, summary="List cases with the inbox's filters (keyset pages)")
def list_cases(request: HttpRequest, filters: Query[CaseListQuery]) -> object:
    args = filters.model_dump()
    cursor, limit = args.pop("cursor"), args.pop("limit")
    page = selectors.case_list_for_agent(
        agent=_agent(request), filters=selectors.CaseFilters(**args), cursor=cursor, limit=limit
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


def _with_messages(case: Case) -> Any:
    case.messages_list = selectors.case_messages(case=case)  # type: ignore[attr-defined]
    return case


def _detail(agent: Agent, reference: str) -> Any:
    return _with_messages(selectors.case_get_for_agent(agent=agent, reference=reference))


class _Detail(CaseDetailOut):
    @staticmethod
    def resolve_messages(obj: Any) -> list[Any]:
        return list(obj.messages_list)


@router.post(
    "/cases",
    response={201: _Detail, 200: _Detail},
    summary="Create a case with its first message",
    description=(
        "The customer is found by the email address or phone number given, or created. What an API client "
        "passes is a claim, not a proof: an address that is new is never added to a customer who already "
        "exists (it becomes a suggestion an agent can confirm on the customer's page). `external_id` is "
        "unique among this API's messages: sending the same one again answers 200 with the case it created."
    ),
)
def create_case(request: HttpRequest, data: CaseIn) -> object:
    agent = _agent(request)
    access.require(agent, access.Perm.CASE_WORK)
    given = [
        identifier(kind, value, field=f"customer.{kind}")
        for kind, value in ((IdentityKind.EMAIL, data.customer.email), (IdentityKind.PHONE, data.customer.phone))
        if value
    ]
    received = intake_receive(
        contact=Contact(
            channel=data.channel,
            body=data.body,
            identifiers=given,
            name=data.customer.name,
            subject=data.subject,
            language=data.language,
            sender=data.sender or data.customer.email or data.customer.phone or "",
            source="api",
            external_id=data.external_id,
            case_type=_case_type(data.case_type),
            priority=PRIORITY_BY_NAME[data.priority] if data.priority else None,
            team=_team(data.team),
            assignee=_assignee(data.assignee),
            tags=data.tags,
            actor=agent,
        )
    )
    if received.outcome == "duplicate":
        # the same external id again: the case it made, if this agent may see it (else nothing about it)
        try:
            return Status(200, _detail(agent, received.case.reference))
        except NotFound:
            raise Conflict("external_id was already used for a case you cannot see.", field="external_id") from None
    # The case as written, not read again through the access check: an agent may file a case
    # for a team they are not on, and must still get it back.
    return Status(201, _with_messages(received.case))


@router.get("/cases/{reference}", response=_Detail, summary="Get a case with its messages")
def get_case(request: HttpRequest, reference: str) -> object:
    return _detail(_agent(request), reference)


@router.patch("/cases/{reference}", response=_Detail, summary="Change status, priority, team, assignee, type, tags")
def update_case(request: HttpRequest, reference: str, data: CaseUpdateIn) -> object:
    agent = _agent(request)
    case = selectors.case_get_for_agent(agent=agent, reference=reference)
    access.require(agent, access.Perm.CASE_WORK)
    given = data.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    if "subject" in given:
        changes["subject"] = given["subject"]
    if "status" in given:
        changes["status"] = given["status"]
    if "priority" in given:
        changes["priority"] = PRIORITY_BY_NAME[given["priority"]]
    if "team" in given:
        changes["team"] = _team(given["team"])
    if "assignee" in given:
        changes["assignee"] = _assignee(given["assignee"])
    if "case_type" in given:
        changes["case_type"] = _case_type(given["case_type"])
    if "tags" in given:
        changes["tags"] = given["tags"]
    case = services.case_update(case=case, actor=agent, **changes)
    # Access was checked before the change; the change itself (a move to another team) may take
    # the case out of the agent's sight, and the answer must still be the updated case, not a 404.
    return _with_messages(case)


@router.get("/cases/{reference}/messages", response=list[MessageOut], summary="List a case's messages")
def list_messages(request: HttpRequest, reference: str) -> object:
    case = selectors.case_get_for_agent(agent=_agent(request), reference=reference)
    return selectors.case_messages(case=case)


@router.post("/cases/{reference}/messages", response={201: MessageOut}, summary="Add an inbound message")
def add_inbound(request: HttpRequest, reference: str, data: InboundIn) -> object:
    agent = _agent(request)
    case = selectors.case_get_for_agent(agent=agent, reference=reference)
    access.require(agent, access.Perm.CASE_WORK)
    received = intake_receive(
        contact=Contact(
            channel=data.channel,
            body=data.body,
            customer=case.customer,
            thread=case,
            sender=data.sender,
            subject=data.subject,
            source="api",
            external_id=data.external_id,
            actor=agent,
        )
    )
    return Status(201, received.message)


@router.post("/cases/{reference}/replies", response={201: MessageOut}, summary="Send a reply to the customer")
def send_reply(request: HttpRequest, reference: str, data: ReplyIn) -> object:
    agent = _agent(request)
    case = selectors.case_get_for_agent(agent=agent, reference=reference)
    access.require(agent, access.Perm.CASE_WORK)
    message = services.case_reply(case=case, author=agent, body=data.body, status=data.status)
    return Status(201, message)


@router.get("/cases/{reference}/notes", response=list[NoteOut], summary="List internal notes")
def list_notes(request: HttpRequest, reference: str) -> object:
    case = selectors.case_get_for_agent(agent=_agent(request), reference=reference)
    return selectors.case_notes(case=case)


@router.post("/cases/{reference}/notes", response={201: NoteOut}, summary="Add an internal note")
def add_note(request: HttpRequest, reference: str, data: NoteIn) -> object:
    agent = _agent(request)
    case = selectors.case_get_for_agent(agent=agent, reference=reference)
    access.require(agent, access.Perm.CASE_WORK)
    return Status(201, services.case_note_add(case=case, author=agent, body=data.body))


@router.get("/cases/{reference}/events", response=list[EventOut], summary="The case's timeline")
def list_events(request: HttpRequest, reference: str) -> list[CaseEvent]:
    case = selectors.case_get_for_agent(agent=_agent(request), reference=reference)
    return selectors.case_timeline(case=case)


@router.get("/cases/{reference}/promises", response=list[PromiseOut], summary="A case's promises")
def list_promises(request: HttpRequest, reference: str) -> object:
    case = selectors.case_get_for_agent(agent=_agent(request), reference=reference)
    return selectors.case_promises(case=case)


@router.post("/cases/{reference}/promises", response={201: PromiseOut}, summary="Make a promise on a case")
def make_promise(request: HttpRequest, reference: str, data: PromiseIn) -> object:
    agent = _agent(request)
    case = selectors.case_get_for_agent(agent=agent, reference=reference)
    access.require(agent, access.Perm.CASE_WORK)
    promise = services.case_promise_make(
        case=case, author=agent, due_at=data.due_at, customer_text=data.customer_text, kind=data.kind
    )
    return Status(201, promise)
