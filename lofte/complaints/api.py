"""The complaints API: the register, a case's complaint (flag, change, un-flag), categories and root causes.
Thin: the services decide and check."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from lofte.accounts.models import Agent
from lofte.cases.schemas import Reference
from lofte.cases.selectors import case_get_for_agent
from lofte.complaints import analysis, compensation, procedures, selectors, services
from lofte.complaints.models import Compensation, Complaint, Source
from lofte.complaints.schemas import (
    CategoryOut,
    CheckOut,
    CompensationIn,
    CompensationOut,
    CompensationPage,
    CompensationStateValue,
    ComplaintOut,
    ComplaintPage,
    ComplaintUpdateIn,
    FigureOut,
    ReasonIn,
    RootCauseOut,
    StateFilter,
    StepOut,
    TotalOut,
    UnflagIn,
)
from lofte.core import clock
from lofte.core.errors import NotFound
from lofte.core.schemas import ErrorOut, Id, Text
from lofte.customers.schemas import CURSOR_MAX

router = Router(tags=["complaints"])
PAGE_MAX = 200


def _agent(request: HttpRequest) -> Agent:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _out(c: Complaint) -> dict[str, Any]:
    return {
        "case": c.case.reference,
        "subject": c.case.subject,
        "customer": c.customer_id,
        "customer_tier": c.customer.tier,
        "is_active": c.is_active,
        "source": c.source,
        "channel": c.channel,
        "received_at": c.received_at,
        "category": c.category_id,
        "subcategory": c.subcategory_id,
        "severity": c.severity,
        "product": c.product,
        "root_cause": c.root_cause_id,
        "owner_agent": c.owner_agent_id,
        "owner_team": c.owner_team_id,
        "outcome": c.outcome,
        "outcome_reason": c.outcome_reason,
        "deadline_at": c.deadline_at,
        "case_status": c.case.status,
        "unflagged_at": c.unflagged_at,
        "unflag_reason": c.unflag_reason,
    }


@router.get("/complaints", response=ComplaintPage, summary="The complaint register, newest first")
def list_complaints(
    request: HttpRequest,
    state: StateFilter = "open",
    category: Id | None = None,
    severity: Annotated[Text, Query("", max_length=16)] = "",
    outcome: Annotated[Text, Query("", max_length=16)] = "",
    channel: Annotated[Text, Query("", max_length=16)] = "",
    owner_team: Id | None = None,
    root_cause: Id | None = None,
    customer: Id | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    q: Annotated[Text, Query("", max_length=100)] = "",
    cursor: Annotated[Text | None, Query(None, max_length=CURSOR_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 50,
) -> object:
    filters = selectors.RegisterFilters(
        state=state,
        category=category,
        severity=severity,
        outcome=outcome,
        channel=channel,
        owner_team=owner_team,
        root_cause=root_cause,
        customer=customer,
        received_from=received_from,
        received_to=received_to,
        q=q.strip(),
    )
    page = selectors.complaint_register(agent=_agent(request), filters=filters, cursor=cursor, limit=limit)
    return {"items": [_out(c) for c in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/cases/{reference}/complaint",
    response={200: ComplaintOut, 404: ErrorOut},
    summary="A case's complaint",
    description="404 when the case is not one the caller sees, or was never a complaint.",
)
def get_complaint(request: HttpRequest, reference: Reference) -> object:
    return _out(selectors.complaint_get_for_agent(agent=_agent(request), reference=reference))


@router.post(
    "/cases/{reference}/complaint",
    response={200: ComplaintOut, 201: ComplaintOut, 403: ErrorOut, 404: ErrorOut},
    summary="Make a case a complaint",
    description="201 when it became one now (its handling deadline is a promise on the case), 200 when it was one "
    "already (nothing changes).",
)
def flag_complaint(request: HttpRequest, reference: Reference) -> object:
    agent = _agent(request)
    case = case_get_for_agent(agent=agent, reference=reference)
    was = selectors.complaint_for_case(case=case)
    services.complaint_flag(case=case, source=Source.API, actor=agent)
    out = _out(selectors.complaint_get_for_agent(agent=agent, case_id=case.pk))
    return Status(200 if was is not None and was.is_active else 201, out)


@router.patch(
    "/cases/{reference}/complaint",
    response={200: ComplaintOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change a complaint's register fields",
    description="Only the fields given change. An outcome needs outcome_reason (the reason given to the customer); "
    "a sub-category must belong to the category.",
)
def update_complaint(request: HttpRequest, reference: Reference, data: ComplaintUpdateIn) -> object:
    agent = _agent(request)
    complaint = selectors.complaint_get_for_agent(agent=agent, reference=reference)
    given = data.model_dump(exclude_unset=True)
    for field in ("severity",):
        if given.get(field) is None:
            given.pop(field, None)
    services.complaint_update(complaint=complaint, actor=agent, **given)
    return _out(selectors.complaint_get_for_agent(agent=agent, case_id=complaint.case_id))


@router.post(
    "/cases/{reference}/complaint/unflag",
    response={200: ComplaintOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Say a case is not a complaint",
    description="The complaint stays in the register, inactive, with the reason; its deadline is cancelled. "
    "Text understanding never flags the case again; an agent or the API can.",
)
def unflag_complaint(request: HttpRequest, reference: Reference, data: UnflagIn) -> object:
    agent = _agent(request)
    complaint = selectors.complaint_get_for_agent(agent=agent, reference=reference)
    services.complaint_unflag(complaint=complaint, actor=agent, reason=data.reason)
    return _out(selectors.complaint_get_for_agent(agent=agent, case_id=complaint.case_id))


@router.get("/complaints/categories", response=list[CategoryOut], summary="Complaint categories and sub-categories")
def list_categories(request: HttpRequest) -> object:
    return [
        {
            "id": c.pk,
            "name": c.public_name(),
            "parent": c.parent_id,
            "deadline_hours": c.deadline_hours,
            "deadline_business_hours": c.deadline_business_hours,
            "update_hours": c.update_hours,
            "check_after_days": c.check_after_days,
        }
        for c in selectors.categories()
    ]


@router.get("/complaints/root-causes", response=list[RootCauseOut], summary="Root causes to choose from")
def list_root_causes(request: HttpRequest) -> object:
    return [{"id": r.pk, "name": r.public_name()} for r in selectors.root_causes()]


# --- compensation ------------------------------------------------------------------------------------------


def _compensation_out(c: Compensation) -> dict[str, Any]:
    return {
        "id": c.pk,
        "case": c.complaint.case.reference,
        "kind": c.kind,
        "amount": f"{c.amount:.2f}",
        "currency": c.currency,
        "reason": c.reason,
        "state": c.state,
        "proposed_by": c.proposed_by_id,
        "proposed_at": c.proposed_at,
        "decided_by": c.decided_by_id,
        "decided_at": c.decided_at,
        "decision_reason": c.decision_reason,
        "paid_at": c.paid_at,
    }


@router.get(
    "/cases/{reference}/complaint/compensation",
    response={200: list[CompensationOut], 404: ErrorOut},
    summary="A complaint's compensation ledger",
)
def list_case_compensation(request: HttpRequest, reference: Reference) -> object:
    complaint = selectors.complaint_get_for_agent(agent=_agent(request), reference=reference)
    return [_compensation_out(c) for c in selectors.compensations_for_complaint(complaint=complaint)]


@router.post(
    "/cases/{reference}/complaint/compensation",
    response={201: CompensationOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Propose compensation on a complaint",
    description="Within the caller's approval limit (per role and currency) it is approved at once; above it, its "
    "state is proposed and it waits for a team lead or admin whose limit covers it.",
)
def propose_compensation(request: HttpRequest, reference: Reference, data: CompensationIn) -> object:
    agent = _agent(request)
    complaint = selectors.complaint_get_for_agent(agent=agent, reference=reference)
    made = compensation.compensation_propose(
        complaint=complaint,
        actor=agent,
        kind=data.kind,
        amount=data.amount,
        currency=data.currency,
        reason=data.reason,
    )
    return Status(201, _compensation_out(made))


def _decided(request: HttpRequest, compensation_id: int, action: str, reason: str | None) -> object:
    agent = _agent(request)
    found = selectors.compensation_get_for_agent(agent=agent, compensation_id=compensation_id)
    if action == "approve":
        compensation.compensation_approve(compensation=found, actor=agent, reason=reason or "")
    elif action == "reject":
        compensation.compensation_reject(compensation=found, actor=agent, reason=reason or "")
    elif action == "cancel":
        compensation.compensation_cancel(compensation=found, actor=agent, reason=reason or "")
    else:
        compensation.compensation_paid(compensation=found, actor=agent)
    return _compensation_out(selectors.compensation_get_for_agent(agent=agent, compensation_id=compensation_id))


DECISION_RESPONSES = {200: CompensationOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.post(
    "/compensation/{compensation_id}/approve",
    response=DECISION_RESPONSES,
    summary="Approve a proposed compensation",
    description="403 with the reason when the amount is above the caller's limit, or the caller proposed it; "
    "nothing changes then.",
)
def approve_compensation(request: HttpRequest, compensation_id: Id, data: ReasonIn) -> object:
    return _decided(request, compensation_id, "approve", data.reason)


@router.post(
    "/compensation/{compensation_id}/reject",
    response=DECISION_RESPONSES,
    summary="Reject a proposed compensation",
    description="The same rule as approving: someone else, whose limit covers the amount, with a reason.",
)
def reject_compensation(request: HttpRequest, compensation_id: Id, data: ReasonIn) -> object:
    return _decided(request, compensation_id, "reject", data.reason)


@router.post("/compensation/{compensation_id}/paid", response=DECISION_RESPONSES, summary="Mark compensation paid")
def pay_compensation(request: HttpRequest, compensation_id: Id) -> object:
    return _decided(request, compensation_id, "paid", None)


@router.post(
    "/compensation/{compensation_id}/cancel", response=DECISION_RESPONSES, summary="Cancel unpaid compensation"
)
def cancel_compensation(request: HttpRequest, compensation_id: Id, data: ReasonIn) -> object:
    return _decided(request, compensation_id, "cancel", data.reason)


def _ledger_filters(
    state: str,
    currency: str,
    category: int | None,
    customer: int | None,
    since: datetime | None,
    until: datetime | None,
) -> selectors.LedgerFilters:
    return selectors.LedgerFilters(
        state=state,
        currency=currency.upper(),
        category=category,
        customer=customer,
        proposed_from=since,
        proposed_to=until,
    )


@router.get("/complaints/compensation", response=CompensationPage, summary="The compensation ledger, newest first")
def list_compensation(
    request: HttpRequest,
    state: CompensationStateValue | None = None,
    currency: Annotated[Text, Query("", max_length=3)] = "",
    category: Id | None = None,
    customer: Id | None = None,
    proposed_from: datetime | None = None,
    proposed_to: datetime | None = None,
    cursor: Annotated[Text | None, Query(None, max_length=CURSOR_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 50,
) -> object:
    filters = _ledger_filters(state or "", currency, category, customer, proposed_from, proposed_to)
    page = selectors.compensation_ledger(agent=_agent(request), filters=filters, cursor=cursor, limit=limit)
    return {"items": [_compensation_out(c) for c in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/complaints/compensation/totals",
    response=list[TotalOut],
    summary="Compensation approved or paid, per month, category or customer and currency",
)
def compensation_totals(
    request: HttpRequest,
    group: Literal["month", "category", "customer"] = "month",
    currency: Annotated[Text, Query("", max_length=3)] = "",
    category: Id | None = None,
    customer: Id | None = None,
    proposed_from: datetime | None = None,
    proposed_to: datetime | None = None,
) -> object:
    filters = _ledger_filters("", currency, category, customer, proposed_from, proposed_to)
    return [
        {**t.__dict__, "committed": f"{t.committed:.2f}", "paid": f"{t.paid:.2f}"}
        for t in selectors.compensation_totals(agent=_agent(request), filters=filters, group=group)
    ]


# --- procedure ---------------------------------------------------------------------------------------------


def _steps_out(complaint: Complaint) -> list[dict[str, Any]]:
    return [
        {
            "id": s.step.pk,
            "text": s.step.public_text(),
            "category": s.step.category_id,
            "required_role": s.step.required_role,
            "done": s.is_done,
            "done_by": s.done.done_by_id if s.done else None,
            "done_at": s.done.done_at if s.done else None,
        }
        for s in procedures.checklist(complaint=complaint)
    ]


@router.get(
    "/cases/{reference}/complaint/procedure",
    response={200: list[StepOut], 404: ErrorOut},
    summary="A complaint's procedure: its steps, each done or not",
    description="Every step must be done before an agent can solve the case (422 naming the steps left).",
)
def get_procedure(request: HttpRequest, reference: Reference) -> object:
    return _steps_out(selectors.complaint_get_for_agent(agent=_agent(request), reference=reference))


@router.post(
    "/cases/{reference}/complaint/procedure/{step_id}",
    response={200: list[StepOut], 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Mark a procedure step done",
    description="403 when the step needs a role the caller does not have (a team lead's sign-off).",
)
def do_step(request: HttpRequest, reference: Reference, step_id: Id) -> object:
    agent = _agent(request)
    complaint = selectors.complaint_get_for_agent(agent=agent, reference=reference)
    procedures.step_done(complaint=complaint, step_id=step_id, actor=agent)
    return _steps_out(complaint)


@router.delete(
    "/cases/{reference}/complaint/procedure/{step_id}",
    response={200: list[StepOut], 403: ErrorOut, 404: ErrorOut},
    summary="Undo a procedure step",
)
def undo_step(request: HttpRequest, reference: Reference, step_id: Id) -> object:
    agent = _agent(request)
    complaint = selectors.complaint_get_for_agent(agent=agent, reference=reference)
    procedures.step_undo(complaint=complaint, step_id=step_id, actor=agent)
    return _steps_out(complaint)


@router.get(
    "/cases/{reference}/complaint/checks",
    response={200: list[CheckOut], 404: ErrorOut},
    summary="A complaint's temperature checks, newest first",
)
def list_checks(request: HttpRequest, reference: Reference) -> object:
    complaint = selectors.complaint_get_for_agent(agent=_agent(request), reference=reference)
    return list(
        complaint.temperature_checks.order_by("-due_at", "-id").values(
            "id", "state", "solved_at", "due_at", "sent_at", "channel", "expires_at", "answered_at", "comment"
        )
    )


# --- analysis ----------------------------------------------------------------------------------------------


@router.get(
    "/complaints/analysis/{figure}",
    response={200: FigureOut, 404: ErrorOut, 422: ErrorOut},
    summary="One figure of the complaints' analysis",
    description="figure: per_month, by_category, by_root_cause, by_channel, by_product, by_tier, by_outcome, "
    "by_severity, compensation, checks or churn. from / to: YYYY-MM (whole months) or YYYY-MM-DD; the last "
    "twelve months by default. Only complaints on cases the caller sees count.",
)
def analysis_figure(
    request: HttpRequest,
    figure: Annotated[Text, Path(max_length=32)],
    start: Annotated[Text | None, Query(None, alias="from", max_length=10)] = None,
    end: Annotated[Text | None, Query(None, alias="to", max_length=10)] = None,
) -> object:
    if figure not in analysis.FIGURES:
        raise NotFound(_("There is no such figure."))
    period = analysis.period_parse(start, end, today=timezone.localdate(clock.now()))
    found = analysis.figure(_agent(request), period, figure)
    return {
        "key": found.key,
        "title": found.title,
        "columns": [str(c) for c in found.columns],
        "rows": found.rows,
        "note": found.note,
        "period_from": period.start,
        "period_to": period.end,
    }
