"""The compensation ledger of a complaint: proposing, approving, rejecting, paying and cancelling.

Approval limits are per role and currency (ApprovalLimit; without a row agents approve nothing on their own, team
leads and admins anything). A proposal within the proposer's limit is approved as it is made. Above it, it waits
for someone whose limit covers the amount, who did not propose it, and who says why; anyone else who tries is
refused with the reason, and nothing changes. Every step is an event on the case's timeline; the case's team leads
are told when a proposal waits for them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent, Role
from lofte.cases.timeline import case_event_add
from lofte.complaints.models import ApprovalLimit, Compensation, CompensationKind, CompensationState, Complaint
from lofte.core import clock
from lofte.core.errors import PermissionDenied, ValidationFailed
from lofte.notifications.readers import reader_language
from lofte.notifications.services import notify_many

EVENT_COMPENSATION = "compensation"
MAX_AMOUNT = Decimal("999999999.99")
MAX_REASON = 2000
NOTIFY_KIND = "compensation_approval"


def currencies() -> list[str]:
    return list(settings.LOFTE_CURRENCIES)


def _default_limit(role: str) -> Decimal | None:
    """Without an ApprovalLimit row: agents (and QA reviewers) approve nothing alone, leads and admins anything."""
    return Decimal(0) if role in (Role.AGENT, Role.QA_REVIEWER) else None


def limit_for(agent: Agent, currency: str) -> Decimal | None:
    """Up to how much `agent` may approve in `currency` on their own; None: no limit."""
    role = access.role_of(agent)
    found = ApprovalLimit.objects.filter(role=role, currency=currency).values_list("amount", flat=True).first()
    return Decimal(found) if found is not None else _default_limit(role)


def limits_for(agent: Agent) -> dict[str, Decimal | None]:
    """The agent's limit in every currency Lofte is set up for: one query."""
    role = access.role_of(agent)
    rows = dict(ApprovalLimit.objects.filter(role=role).values_list("currency", "amount"))
    return {c: (Decimal(rows[c]) if c in rows else _default_limit(role)) for c in currencies()}


def _covers(limit: Decimal | None, amount: Decimal) -> bool:
    return limit is None or amount <= limit


def within_limit(agent: Agent, amount: Decimal, currency: str) -> bool:
    return _covers(limit_for(agent, currency), amount)


def _refusal(compensation: Compensation, agent: Agent, limit: Decimal | None) -> str:
    """Why `agent` (who works cases) may not decide this proposal; empty when they may."""
    if agent.pk == compensation.proposed_by_id:
        return _("Nobody approves or rejects their own proposal: someone else must decide it.")
    if not _covers(limit, compensation.amount):
        return _(
            "%(amount)s %(currency)s is above your approval limit (%(limit)s %(currency)s): a team lead or "
            "an admin whose limit covers it must decide."
        ) % {"amount": compensation.amount, "currency": compensation.currency, "limit": f"{limit or 0:.2f}"}
    return ""


def may_decide(agent: Agent, compensation: Compensation, limits: dict[str, Decimal | None]) -> bool:
    """Whether the agent may approve or reject this waiting proposal (for showing the buttons)."""
    return (
        compensation.state == CompensationState.PROPOSED
        and access.can(agent, access.Perm.CASE_WORK)
        and not _refusal(compensation, agent, limits.get(compensation.currency, Decimal(0)))
    )


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("'%(value)s' is not an amount.") % {"value": value}, field="amount") from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationFailed(_("The amount must be more than zero."), field="amount")
    if amount > MAX_AMOUNT or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationFailed(_("The amount has at most two decimals and is below a billion."), field="amount")
    return amount


def _reason(value: Any, *, field: str, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationFailed(_("Give a reason."), field=field)
    if len(text) > MAX_REASON:
        raise ValidationFailed(
            _("The reason is too long: at most %(max)s characters.") % {"max": MAX_REASON}, field=field
        )
    return text


def _event(compensation: Compensation, action: str, actor: Agent | None, now: datetime, **extra: Any) -> None:
    case_event_add(
        case=compensation.complaint.case,
        kind=EVENT_COMPENSATION,
        actor=actor,
        data={
            "action": action,
            "id": compensation.pk,
            "kind": compensation.kind,
            "amount": str(compensation.amount),
            "currency": compensation.currency,
            **extra,
        },
        now=now,
    )


@transaction.atomic
def compensation_propose(
    *, complaint: Complaint, actor: Agent, kind: str, amount: Any, currency: str, reason: str
) -> Compensation:
    """A line in the ledger: approved at once within the proposer's limit, else waiting for approval."""
    access.require(actor, access.Perm.CASE_WORK)
    if not complaint.is_active:
        raise ValidationFailed(_("This case is not a complaint any more: no compensation can be proposed."))
    if kind not in CompensationKind.values:
        raise ValidationFailed(_("'%(value)s' is not a kind of compensation.") % {"value": kind}, field="kind")
    value = _amount(amount)
    currency = str(currency or "").strip().upper()
    if currency not in currencies():
        raise ValidationFailed(
            _("'%(value)s' is not a currency Lofte is set up for (%(known)s).")
            % {"value": currency, "known": ", ".join(currencies())},
            field="currency",
        )
    text = _reason(reason, field="reason", required=True)
    now = clock.now()
    alone = within_limit(actor, value, currency)
    compensation = Compensation.objects.create(
        complaint=complaint,
        kind=kind,
        amount=value,
        currency=currency,
        reason=text,
        state=CompensationState.APPROVED if alone else CompensationState.PROPOSED,
        proposed_by=actor,
        proposed_at=now,
        decided_by=actor if alone else None,
        decided_at=now if alone else None,
        updated_at=now,
    )
    compensation.complaint = complaint
    _event(compensation, "approved_within_limit" if alone else "proposed", actor, now, reason=text[:200])
    if not alone:
        _tell_approvers(compensation, now=now)
    return compensation


def _tell_approvers(compensation: Compensation, *, now: datetime) -> None:
    """The leads of the case's team (and the admins, when it has none) whose limit covers the amount."""
    case = compensation.complaint.case
    candidates = Agent.objects.filter(is_active=True, role__in=[Role.TEAM_LEAD, Role.ADMIN])
    if case.team_id is not None:
        leads = candidates.filter(role=Role.TEAM_LEAD, teams=case.team_id)
        candidates = leads if leads.exists() else candidates.filter(role=Role.ADMIN)
    items = []
    for agent in candidates.exclude(pk=compensation.proposed_by_id).distinct():
        if not within_limit(agent, compensation.amount, compensation.currency):
            continue
        with translation.override(reader_language(agent)):
            text = _("%(who)s proposes compensation of %(amount)s %(currency)s on %(ref)s: it needs your approval.") % {
                "who": compensation.proposed_by.display_name,
                "amount": compensation.amount,
                "currency": compensation.currency,
                "ref": case.reference,
            }
        items.append(
            (agent, NOTIFY_KIND, text, f"/cases/{case.reference}/", f"compensation:{compensation.pk}:{agent.pk}")
        )
    notify_many(items, now=now)


def _locked(compensation: Compensation) -> Compensation:
    return (
        Compensation.objects.select_for_update(of=("self",))
        .select_related("complaint", "complaint__case", "proposed_by")
        .get(pk=compensation.pk)
    )


def _check_may_decide(compensation: Compensation, actor: Agent) -> None:
    access.require(actor, access.Perm.CASE_WORK)
    if refusal := _refusal(compensation, actor, limit_for(actor, compensation.currency)):
        raise PermissionDenied(refusal)


@transaction.atomic
def compensation_approve(*, compensation: Compensation, actor: Agent, reason: str) -> Compensation:
    compensation = _locked(compensation)
    _check_may_decide(compensation, actor)
    if compensation.state != CompensationState.PROPOSED:
        raise ValidationFailed(_("Only a proposal that waits for approval can be approved."), field="state")
    text = _reason(reason, field="reason", required=True)
    now = clock.now()
    compensation.state, compensation.decided_by, compensation.decided_at = CompensationState.APPROVED, actor, now
    compensation.decision_reason, compensation.updated_at = text, now
    compensation.save(update_fields=["state", "decided_by", "decided_at", "decision_reason", "updated_at"])
    _event(compensation, "approved", actor, now, reason=text[:200])
    return compensation


@transaction.atomic
def compensation_reject(*, compensation: Compensation, actor: Agent, reason: str) -> Compensation:
    compensation = _locked(compensation)
    _check_may_decide(compensation, actor)
    if compensation.state != CompensationState.PROPOSED:
        raise ValidationFailed(_("Only a proposal that waits for approval can be rejected."), field="state")
    text = _reason(reason, field="reason", required=True)
    now = clock.now()
    compensation.state, compensation.decided_by, compensation.decided_at = CompensationState.REJECTED, actor, now
    compensation.decision_reason, compensation.updated_at = text, now
    compensation.save(update_fields=["state", "decided_by", "decided_at", "decision_reason", "updated_at"])
    _event(compensation, "rejected", actor, now, reason=text[:200])
    return compensation


@transaction.atomic
def compensation_paid(*, compensation: Compensation, actor: Agent) -> Compensation:
    """An approved compensation was paid (or the voucher sent)."""
    access.require(actor, access.Perm.CASE_WORK)
    compensation = _locked(compensation)
    if compensation.state != CompensationState.APPROVED:
        raise ValidationFailed(_("Only approved compensation can be marked as paid."), field="state")
    now = clock.now()
    compensation.state, compensation.paid_at, compensation.updated_at = CompensationState.PAID, now, now
    compensation.save(update_fields=["state", "paid_at", "updated_at"])
    _event(compensation, "paid", actor, now)
    return compensation


@transaction.atomic
def compensation_cancel(*, compensation: Compensation, actor: Agent, reason: str) -> Compensation:
    """Withdraw a proposal or an approved, unpaid compensation."""
    access.require(actor, access.Perm.CASE_WORK)
    compensation = _locked(compensation)
    if compensation.state not in (CompensationState.PROPOSED, CompensationState.APPROVED):
        raise ValidationFailed(
            _("Only unpaid compensation that is proposed or approved can be cancelled."), field="state"
        )
    text = _reason(reason, field="reason", required=True)
    now = clock.now()
    compensation.state, compensation.cancelled_at, compensation.updated_at = CompensationState.CANCELLED, now, now
    compensation.decision_reason = text
    compensation.save(update_fields=["state", "cancelled_at", "decision_reason", "updated_at"])
    _event(compensation, "cancelled", actor, now, reason=text[:200])
    return compensation
