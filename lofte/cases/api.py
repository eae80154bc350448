from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.accounts.selectors import team_get
from lofte.cases import bulk, macros, merge, saved_views, selectors, services
from lofte.cases.delivery import follow_up_sentence
from lofte.cases.intake import Contact, Received, intake_receive
from lofte.cases.macros import MacroInput
from lofte.cases.models import Attachment, Case, CaseEvent, CaseType, SavedView, Tag
from lofte.cases.schemas import (
    PRIORITY_BY_NAME,
    BulkIn,
    BulkOut,
    CaseDetailOut,
    CaseIn,
    CasePage,
    CaseTypeOut,
    CaseUpdateIn,
    EventOut,
    ForwardIn,
    InboundIn,
    LanguageName,
    LinkIn,
    LinkOut,
    MacroApplyIn,
    MacroIn,
    MacroOut,
    MacroTextOut,
    MergeIn,
    MergeOut,
    MessageOut,
    NoteIn,
    NoteOut,
    Reference,
    ReplyIn,
    SavedViewIn,
    SplitIn,
    StatusFilter,
    TagName,
    ViewCountOut,
)
from lofte.core import clock
from lofte.core.errors import Conflict, NotFound
from lofte.core.schemas import ErrorOut, Id, InSchema
from lofte.customers.models import IdentityKind
from lofte.customers.schemas import CURSOR_MAX, PAGE_MAX, SEARCH_MAX
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


class CaseListQuery(InSchema):
    view: Literal[
        "mine", "all", "unassigned", "team_unassigned", "triage", "due_soon", "broken", "waiting", "solved_today"
    ] = Field(
        "all",
        description="mine: assigned to you, or nobody's in your teams or in no team; team_unassigned: nobody's in "
        "your teams; triage: in no team; due_soon: a promise due within the hour; broken: a promise overdue; "
        "waiting: waiting on the customer; solved_today: solved since midnight (the last two ignore status).",
    )
    status: list[StatusFilter] = Field(
        ["active"], description="Any of these; active is every status but solved and closed."
    )
    team: Id | None = None
    assignee: str = Field(
        "", pattern=r"^(me|none|[1-9][0-9]{0,17})?$", description="me, none (unassigned) or an agent's id."
    )
    channel: Literal["", "email", "web", "chat", "sms", "phone", "api", "webhook"] = ""
    case_type: Id | None = None
    tag: TagName = ""
    q: str = Field(
        "",
        max_length=SEARCH_MAX,
        description="A reference, an identity, or words: each matches the beginning of a word (or its stem) in the "
        "subject, the messages and replies, or the customer's name.",
    )
    sort: Literal["-updated_at", "updated_at", "-created_at", "created_at", "next_due_at", "-priority", "relevance"] = (
        selectors.DEFAULT_SORT  # type: ignore[assignment]
    )
    customer: Id | None = None
    cursor: str | None = Field(None, max_length=CURSOR_MAX, description="next_cursor of the page before.")
    limit: int = Field(25, ge=1, le=PAGE_MAX)


@router.get("/case-types", response=list[CaseTypeOut], summary="List active case types")
def list_case_types(request: HttpRequest) -> object:
    return selectors.case_type_list()


@router.get("/cases", response={200: CasePage}, summary="List cases with the inbox's filters (keyset pages)")
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


def _as_written(received: Received, *, tagged: bool) -> Any:
    """A new case as it was just written, without reading it back: its one message, which has no attachments
    (the JSON API takes none), and no tags unless some were given."""
    case, message = received.case, received.message
    case.messages_list = [message]  # type: ignore[attr-defined]
    message._prefetched_objects_cache = {"attachments": Attachment.objects.none()}  # type: ignore[attr-defined]
    if not tagged:
        case._prefetched_objects_cache = {"tags": Tag.objects.none()}  # type: ignore[attr-defined]
    return case


def _detail(agent: Agent, reference: str) -> Any:
    return _with_messages(selectors.case_get_for_agent(agent=agent, reference=reference))


class _Detail(CaseDetailOut):
    @staticmethod
    def resolve_messages(obj: Any) -> list[Any]:
        return list(obj.messages_list)


@router.post(
    "/cases",
    response={201: _Detail, 200: _Detail, 404: ErrorOut, 409: ErrorOut},
    summary="Create a case with its first message",
    description=(
        "The customer is found by the email address or phone number given, or created. What an API client "
        "passes is a claim, not a proof: an address that is new is never added to a customer who already "
        "exists (it becomes a suggestion an agent can confirm on the customer's page). `external_id` is "
        "unique among this API's messages: sending the same one again answers 200 with the case it created "
        "(409 when that case is one you cannot see). 404 when the team, assignee or case type given does not "
        "exist (or is inactive)."
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
    if received.outcome == "created":
        return Status(201, _as_written(received, tagged=bool(data.tags)))
    return Status(201, _with_messages(received.case))


@router.post(
    "/cases/bulk",
    response={200: BulkOut, 403: ErrorOut},
    summary="Change several cases at once",
    description="One change (status, assignee, team, tags) over the cases, each through the same rules as one at a "
    "time, in one transaction. A case you cannot see is skipped as not found, a closed one as closed, one that "
    "cannot take the change with the reason; the others are changed.",
)
def bulk_update(request: HttpRequest, data: BulkIn) -> object:
    agent = _agent(request)
    access.require(agent, access.Perm.CASE_WORK)
    change = bulk.bulk_change(
        agent=agent,
        status=data.status,
        assignee=data.assignee,
        team=data.team,
        add_tags=data.add_tags,
        remove_tags=data.remove_tags,
    )
    result = bulk.cases_bulk_update(agent=agent, references=data.cases, change=change)
    return {
        "updated": result.updated,
        "unchanged": result.unchanged,
        "skipped": [{"case": ref, "reason": why} for ref, why in result.skipped],
    }


@router.get("/cases/{reference}", response={200: _Detail, 404: ErrorOut}, summary="Get a case with its messages")
def get_case(request: HttpRequest, reference: Reference) -> object:
    return _detail(_agent(request), reference)


@router.patch(
    "/cases/{reference}",
    response={200: _Detail, 404: ErrorOut, 409: ErrorOut},
    summary="Change status, priority, team, assignee, type, tags",
    description="Only the fields given are changed; `{}` changes nothing and answers the case. A status change the "
    "transition table does not allow is 409 invalid_transition; an unknown team, assignee or case type is 404.",
)
def update_case(request: HttpRequest, reference: Reference, data: CaseUpdateIn) -> object:
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


@router.get(
    "/cases/{reference}/messages", response={200: list[MessageOut], 404: ErrorOut}, summary="List a case's messages"
)
def list_messages(request: HttpRequest, reference: Reference) -> object:
    case = selectors.case_get_for_agent(agent=_agent(request), reference=reference)
    return selectors.case_messages(case=case)


@router.post("/cases/{reference}/messages", response={201: MessageOut, 404: ErrorOut}, summary="Add an inbound message")
def add_inbound(request: HttpRequest, reference: Reference, data: InboundIn) -> object:
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


@router.post(
    "/cases/{reference}/replies",
    response={201: MessageOut, 404: ErrorOut, 409: ErrorOut},
    summary="Send a reply to the customer",
    description="A status the transition table does not allow after the reply is 409 invalid_transition.",
)
def send_reply(request: HttpRequest, reference: Reference, data: ReplyIn) -> object:
    agent = _agent(request)
    case = selectors.case_get_for_agent(agent=agent, reference=reference)
    access.require(agent, access.Perm.CASE_WORK)
    if data.seen_message is not None and (
        newer := selectors.case_newer_message(case=case, seen=data.seen_message, agent=agent)
    ):
        raise Conflict(
            f"Message {newer.pk} came in on the case after message {data.seen_message}; read it, then send again.",
            code="newer_message",
        )
    message = services.case_reply(case=case, author=agent, body=data.body, status=data.status, cc=data.cc, bcc=data.bcc)
    return Status(201, message)


@router.post(
    "/cases/{reference}/forward",
    response={201: MessageOut, 403: ErrorOut, 404: ErrorOut},
    summary="Forward the case to an outside address",
    description="The conversation and its files by email to a third party (a supplier); their answer comes back "
    "onto the case, and neither is ever shown to the customer.",
)
def forward_case(request: HttpRequest, reference: Reference, data: ForwardIn) -> object:
    agent = _agent(request)
    case = selectors.case_get_for_agent(agent=agent, reference=reference)
    access.require(agent, access.Perm.CASE_WORK)
    return Status(201, services.case_forward(case=case, author=agent, to=data.to, note=data.note, cc=data.cc))


@router.get("/cases/{reference}/notes", response={200: list[NoteOut], 404: ErrorOut}, summary="List internal notes")
def list_notes(request: HttpRequest, reference: Reference) -> object:
    case = selectors.case_get_for_agent(agent=_agent(request), reference=reference)
    return selectors.case_notes(case=case)


@router.post("/cases/{reference}/notes", response={201: NoteOut, 404: ErrorOut}, summary="Add an internal note")
def add_note(request: HttpRequest, reference: Reference, data: NoteIn) -> object:
    agent = _agent(request)
    case = selectors.case_get_for_agent(agent=agent, reference=reference)
    access.require(agent, access.Perm.CASE_WORK)
    return Status(201, services.case_note_add(case=case, author=agent, body=data.body))


@router.get("/cases/{reference}/events", response={200: list[EventOut], 404: ErrorOut}, summary="The case's timeline")
def list_events(request: HttpRequest, reference: Reference) -> list[CaseEvent]:
    case = selectors.case_get_for_agent(agent=_agent(request), reference=reference)
    return selectors.case_timeline(case=case)


@router.get("/cases/{reference}/promises", response={200: list[PromiseOut], 404: ErrorOut}, summary="A case's promises")
def list_promises(request: HttpRequest, reference: Reference) -> object:
    case = selectors.case_get_for_agent(agent=_agent(request), reference=reference)
    return selectors.case_promises(case=case)


@router.post(
    "/cases/{reference}/promises", response={201: PromiseOut, 404: ErrorOut}, summary="Make a promise on a case"
)
def make_promise(request: HttpRequest, reference: Reference, data: PromiseIn) -> object:
    agent = _agent(request)
    case = selectors.case_get_for_agent(agent=agent, reference=reference)
    access.require(agent, access.Perm.CASE_WORK)
    promise = services.case_promise_make(
        case=case, author=agent, due_at=data.due_at, customer_text=data.customer_text, kind=data.kind
    )
    return Status(201, promise)


# --- merge, split, links ------------------------------------------------------------------------


@router.post(
    "/cases/{reference}/merge",
    response={200: MergeOut, 403: ErrorOut, 404: ErrorOut},
    summary="Merge other cases into this one",
    description="All or nothing: messages, notes, events, promises and attachments of the merged cases move to this "
    "one, which must be open; they are closed with a link. Only one customer's open cases merge. A promise this case "
    "already makes (first response, next update, resolution) is not carried over twice: the merged case's is "
    "cancelled.",
)
def merge_cases(request: HttpRequest, reference: Reference, data: MergeIn) -> object:
    into, merged = merge.cases_merge(agent=_agent(request), target=reference, sources=data.sources)
    return {"case": into.reference, "merged": [c.reference for c in merged]}


@router.post(
    "/cases/{reference}/split",
    response={201: _Detail, 403: ErrorOut, 404: ErrorOut},
    summary="Move a customer's message into a new case",
)
def split_case(request: HttpRequest, reference: Reference, data: SplitIn) -> object:
    agent = _agent(request)
    case = selectors.case_get_for_agent(agent=agent, reference=reference)
    access.require(agent, access.Perm.CASE_WORK)
    new = merge.case_split(agent=agent, case=case, message_id=data.message)
    return Status(201, _detail(agent, new.reference))


def _links(agent: Agent, case: Case) -> list[dict[str, str]]:
    return [
        {"reference": other.reference, "subject": other.subject, "status": other.status, "how": how}
        for how, other in merge.case_links(agent=agent, case=case)
    ]


@router.get(
    "/cases/{reference}/links", response={200: list[LinkOut], 404: ErrorOut}, summary="Cases linked to this one"
)
def list_links(request: HttpRequest, reference: Reference) -> object:
    agent = _agent(request)
    return _links(agent, selectors.case_get_for_agent(agent=agent, reference=reference))


@router.post(
    "/cases/{reference}/links",
    response={201: list[LinkOut], 403: ErrorOut, 404: ErrorOut},
    summary="Link a related case",
    description="The link shows on both cases. Answers this case's links.",
)
def add_link(request: HttpRequest, reference: Reference, data: LinkIn) -> object:
    agent = _agent(request)
    case = selectors.case_get_for_agent(agent=agent, reference=reference)
    access.require(agent, access.Perm.CASE_WORK)
    merge.case_link(agent=agent, case=case, other=data.reference)
    return Status(201, _links(agent, case))


@router.delete(
    "/cases/{reference}/links/{other}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Remove a related case's link",
)
def remove_link(request: HttpRequest, reference: Reference, other: Reference) -> object:
    agent = _agent(request)
    case = selectors.case_get_for_agent(agent=agent, reference=reference)
    access.require(agent, access.Perm.CASE_WORK)
    merge.case_unlink(agent=agent, case=case, other=other)
    return Status(204, None)


# --- macros ------------------------------------------------------------------------------------


def _macro_input(data: MacroIn) -> MacroInput:
    return MacroInput(
        name=data.name,
        body=data.body,
        language=data.language,
        scope=data.scope,
        team=_team(data.team),
        set_status=data.set_status,
        add_tags=", ".join(data.add_tags),
        set_team=_team(data.set_team),
        follow_up_hours=data.follow_up_hours,
    )


class MacroListQuery(InSchema):
    q: str = Field("", max_length=100, description="Words in the macro's name or text.")
    language: LanguageName | None = Field(None, description="Those for this language and for any, these first.")


@router.get("/macros", response=list[MacroOut], tags=["macros"], summary="The macros you may use")
def list_macros(request: HttpRequest, filters: Query[MacroListQuery]) -> object:
    return list(macros.macro_list_for_agent(agent=_agent(request), q=filters.q, language=filters.language)[:500])


@router.post("/macros", response={201: MacroOut, 403: ErrorOut}, tags=["macros"], summary="Save a macro")
def create_macro(request: HttpRequest, data: MacroIn) -> object:
    return Status(201, macros.macro_create(agent=_agent(request), data=_macro_input(data)))


@router.get("/macros/{macro_id}", response={200: MacroOut, 404: ErrorOut}, tags=["macros"], summary="A macro")
def get_macro(request: HttpRequest, macro_id: Id) -> object:
    return macros.macro_get_for_agent(agent=_agent(request), macro_id=macro_id)


@router.put(
    "/macros/{macro_id}",
    response={200: MacroOut, 403: ErrorOut, 404: ErrorOut},
    tags=["macros"],
    summary="Change a macro (all of it)",
)
def update_macro(request: HttpRequest, macro_id: Id, data: MacroIn) -> object:
    agent = _agent(request)
    macro = macros.macro_get_for_agent(agent=agent, macro_id=macro_id)
    return macros.macro_update(agent=agent, macro=macro, data=_macro_input(data))


@router.delete(
    "/macros/{macro_id}", response={204: None, 403: ErrorOut, 404: ErrorOut}, tags=["macros"], summary="Delete a macro"
)
def delete_macro(request: HttpRequest, macro_id: Id) -> object:
    agent = _agent(request)
    macros.macro_delete(agent=agent, macro=macros.macro_get_for_agent(agent=agent, macro_id=macro_id))
    return Status(204, None)


@router.get(
    "/cases/{reference}/macros/{macro_id}",
    response={200: MacroTextOut, 404: ErrorOut, 422: ErrorOut},
    tags=["macros"],
    summary="A macro filled in for a case",
    description="The text the reply would say, and when its follow-up promise would fall. A macro that tells the "
    "customer {next_promise} on a case with no such promise pending is 422.",
)
def macro_for_case(request: HttpRequest, reference: Reference, macro_id: Id) -> object:
    agent = _agent(request)
    case = selectors.case_get_for_agent(agent=agent, reference=reference)
    macro = macros.macro_get_for_agent(agent=agent, macro_id=macro_id)
    return {
        "text": macros.macro_text(macro=macro, case=case, agent=agent),
        "follow_up_at": macros.macro_follow_up_at(macro=macro, case=case, now=clock.now()),
    }


@router.post(
    "/cases/{reference}/macros/{macro_id}/apply",
    response={201: MessageOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    tags=["macros"],
    summary="Reply with a macro",
    description="Sends the macro's text (or `body`), sets its status (or `status`), makes its follow-up promise, "
    "adds its tags and moves the case to its team, in one step, and counts the use.",
)
def apply_macro(request: HttpRequest, reference: Reference, macro_id: Id, data: MacroApplyIn) -> object:
    agent = _agent(request)
    case = selectors.case_get_for_agent(agent=agent, reference=reference)
    macro = macros.macro_get_for_agent(agent=agent, macro_id=macro_id)
    access.require(agent, access.Perm.CASE_WORK)
    body = data.body if data.body is not None else macros.macro_text(macro=macro, case=case, agent=agent)
    follow_up_at = macros.macro_follow_up_at(macro=macro, case=case, now=clock.now())
    message = macros.macro_reply(
        case=case,
        agent=agent,
        macro=macro,
        body=body,
        status=data.status or macro.set_status or None,
        follow_up_at=follow_up_at,
        follow_up_text=follow_up_sentence(case=case, when=follow_up_at) if follow_up_at else "",
        add_tags=data.add_tags,
        move_team=data.move_team,
    )
    return Status(201, message)


@router.get(
    "/views",
    response=list[ViewCountOut],
    tags=["cases"],
    summary="The inbox's views and your saved views, with how many cases each shows you",
    description="The built-in views are counted in one query, the saved ones in another. List a view's cases with "
    "GET /cases?<query>.",
)
def list_views(request: HttpRequest) -> object:
    agent = _agent(request)
    built_in = [
        {"key": v.key, "label": v.label, "count": v.count, "query": f"view={v.key}"}
        for v in selectors.view_counts(agent=agent)
    ]
    views = saved_views.saved_views_for_agent(agent=agent)
    counts = saved_views.saved_view_counts(agent=agent, views=views)
    return built_in + [_saved_view_out(v, counts[v.pk]) for v in views]


def _saved_view_out(view: SavedView, count: int) -> dict[str, Any]:
    return {
        "key": f"saved:{view.pk}",
        "label": view.name,
        "count": count,
        "id": view.pk,
        "query": view.query,
        "team": view.team_id,
    }


@router.post(
    "/views", response={201: ViewCountOut, 403: ErrorOut}, tags=["cases"], summary="Save the inbox's filters as a view"
)
def create_view(request: HttpRequest, data: SavedViewIn) -> object:
    agent = _agent(request)
    view = saved_views.saved_view_create(agent=agent, name=data.name, query=data.query, team=_team(data.team))
    return Status(201, _saved_view_out(view, saved_views.saved_view_counts(agent=agent, views=[view])[view.pk]))


@router.delete(
    "/views/{view_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    tags=["cases"],
    summary="Delete a saved view",
)
def delete_view(request: HttpRequest, view_id: Id) -> object:
    agent = _agent(request)
    saved_views.saved_view_delete(agent=agent, view=saved_views.saved_view_get_for_agent(agent=agent, view_id=view_id))
    return Status(204, None)
