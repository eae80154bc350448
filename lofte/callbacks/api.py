"""The callbacks API: free slots, booking, attempts, calls, callbacks kept on time. Thin handlers."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Status

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.accounts.selectors import team_get
from lofte.callbacks import selectors, services
from lofte.callbacks.models import Source
from lofte.callbacks.schemas import (
    KEPT_DAYS_MAX,
    SLOTS_DAYS_MAX,
    AttemptIn,
    AttemptOut,
    CallbackIn,
    CallbackOut,
    CallIn,
    CallOut,
    KeptOut,
    SlotFullOut,
    SlotOut,
)
from lofte.cases.selectors import case_get_for_agent
from lofte.core import clock
from lofte.core.schemas import ErrorOut, Id

router = Router(tags=["callbacks"])


def _agent(request: HttpRequest) -> Agent:
    return request.auth  # type: ignore[attr-defined,no-any-return]


@router.get(
    "/callbacks/slots",
    response={200: list[SlotOut], 404: ErrorOut},
    summary="A team's free callback slots",
    description="404 when there is no such team; 422 naming team when it takes no callbacks.",
)
def list_slots(
    request: HttpRequest,
    team: Id,
    days: Annotated[int, Query(ge=1, le=SLOTS_DAYS_MAX, description="How many days ahead.")] = 5,
) -> object:
    return selectors.callback_slots(team=team_get(team_id=team), start=clock.now(), days=days)


@router.get("/callbacks", response=list[CallbackOut], summary="Pending callbacks: overdue, due now, upcoming")
def list_callbacks(request: HttpRequest, team: Id | None = None) -> object:
    queue = selectors.callback_queue(agent=_agent(request), now=clock.now(), team=team)
    return queue.overdue + queue.due_now + queue.upcoming


@router.post(
    "/callbacks",
    response={201: CallbackOut, 404: ErrorOut, 409: SlotFullOut},
    summary="Book a callback in a free slot (409 with the next free slots when it is full)",
    description="404 when the team or the case does not exist (or is not yours to see).",
)
def book_callback(request: HttpRequest, data: CallbackIn) -> object:
    agent = _agent(request)
    access.require(agent, access.Perm.CASE_WORK)
    case = case_get_for_agent(agent=agent, reference=data.case) if data.case else None
    try:
        callback = services.callback_book(
            team=team_get(team_id=data.team),
            slot_start=data.slot_start,
            phone=data.phone,
            name=data.name,
            case=case,
            source=Source.API,
            actor=agent,
        )
    except services.SlotFull as exc:
        return Status(409, {"message": exc.message, "next_slots": exc.next_slots})
    return Status(201, callback)


@router.post(
    "/callbacks/{callback_id}/attempts",
    response={201: AttemptOut, 404: ErrorOut},
    summary="Log a callback attempt",
    description="A callback that is already done is a 422 naming outcome.",
)
def log_attempt(request: HttpRequest, callback_id: Id, data: AttemptIn) -> object:
    agent = _agent(request)
    callback = selectors.callback_get_for_agent(agent=agent, callback_id=callback_id)
    access.require(agent, access.Perm.CASE_WORK)
    attempt = services.callback_attempt_log(callback=callback, agent=agent, outcome=data.outcome, note=data.note)
    callback = selectors.callback_get_for_agent(agent=agent, callback_id=callback_id)
    return Status(
        201,
        {
            "id": attempt.pk,
            "outcome": attempt.outcome,
            "note": attempt.note,
            "created_at": attempt.created_at,
            "callback": callback,
        },
    )


@router.post(
    "/calls",
    response={201: CallOut, 404: ErrorOut},
    summary="Log a phone call (without a case, one is opened)",
    description="404 when the case given does not exist (or is not yours to see).",
)
def log_call(request: HttpRequest, data: CallIn) -> object:
    agent = _agent(request)
    access.require(agent, access.Perm.CASE_WORK)
    case = case_get_for_agent(agent=agent, reference=data.case) if data.case else None
    logged = services.call_log(
        case=case,
        agent=agent,
        direction=data.direction,
        number=data.number,
        duration_seconds=data.duration_seconds,
        notes=data.notes,
        outcome=data.outcome,
        acknowledge=data.acknowledge,
    )
    call = logged.call
    return Status(
        201,
        {
            "id": call.pk,
            "case": logged.case.reference,
            "direction": call.direction,
            "number": call.number,
            "duration_seconds": call.duration_seconds,
            "outcome": call.outcome,
            "notes": call.notes,
            "created_at": call.created_at,
            "kept_callbacks": [c.pk for c in logged.kept],
        },
    )


@router.get(
    "/callbacks/kept", response=list[KeptOut], summary="Callbacks kept on time per team, over the last `days` days"
)
def kept(
    request: HttpRequest,
    days: Annotated[int, Query(ge=1, le=KEPT_DAYS_MAX, description="How many days back.")] = 30,
) -> object:
    rows = selectors.callbacks_kept_on_time(agent=_agent(request), since=clock.now() - timedelta(days=days))
    return [
        {
            "team": r.team_id,
            "name": r.team_name,
            "on_time": r.on_time,
            "late": r.late,
            "broken": r.broken,
            "percent_on_time": r.percent,
        }
        for r in rows
    ]
