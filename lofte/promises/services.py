"""The promise engine: making, keeping, pausing, cancelling promises, and the reminder/breach tick.

The case services call these functions explicitly when something happens to
a case (no signals) and write the timeline events for what they return; other
subjects (a callback, a customer) use `promise_make_about` and
`promises_about_keep/cancel`. This module never imports the apps that own the
subjects: it reads the case it is given, takes statuses from lofte.core.choices,
and asks the rest through lofte.promises.hooks and lofte.promises.subjects.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Min, OuterRef, Q, QuerySet, Subquery
from django.utils import translation
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.core.choices import Status
from lofte.core.errors import ValidationFailed
from lofte.notifications.readers import reader_language, reader_time
from lofte.notifications.selectors import admin_agents, leads_by_team, remember_team_ids, team_members
from lofte.notifications.services import notify_many
from lofte.promises.business_time import add_business_time, business_time_between, next_open
from lofte.promises.calendars import schedule_for
from lofte.promises.hooks import tick_hooks
from lofte.promises.live import promises_changed, promises_moving
from lofte.promises.models import (
    BusinessCalendar,
    Promise,
    PromiseKind,
    PromiseOrigin,
    PromiseState,
    SlaPolicy,
)
from lofte.promises.selectors import team_hours
from lofte.promises.subjects import describe
from lofte.promises.subjects import subject_type as subject_type_get

if TYPE_CHECKING:  # the case is read by attribute, never imported
    from lofte.cases.models import Case

DEFAULT_PAUSE_STATUSES = [Status.WAITING_ON_CUSTOMER.value]
POLICY_KINDS = (PromiseKind.FIRST_RESPONSE, PromiseKind.NEXT_UPDATE, PromiseKind.RESOLUTION)
# a reply to the customer, however late, does what these promised: a broken one of them is settled by it
CASE = "case"  # the subject type of a case's own promises (registered by the cases app)
SETTLED_BY_A_REPLY = (PromiseKind.FIRST_RESPONSE, PromiseKind.NEXT_UPDATE, PromiseKind.FOLLOW_UP, PromiseKind.CALLBACK)
TICK_BATCH = 500

# What the case's next promise is: the earliest pending, running promise, or a broken one not yet settled
# (it is owed until it is done late, cancelled or renewed; its due time has passed, so it comes first).
OUTSTANDING = Q(state=PromiseState.PENDING, paused_at__isnull=True) | Q(
    state=PromiseState.BROKEN, settled_at__isnull=True
)


@dataclass(frozen=True)
class PromiseChange:
    """What happened to a promise, for the caller's timeline: made, kept, cancelled, paused, resumed."""

    promise: Promise
    what: str
    data: dict[str, Any] = field(default_factory=dict)


# --- time -------------------------------------------------------------------


def due_after(calendar: BusinessCalendar | None, start: datetime, minutes: int) -> datetime:
    """`minutes` of the calendar's open time after `start`; wall-clock time without a calendar."""
    if calendar is None:
        return (start + timedelta(minutes=minutes)).astimezone(UTC)
    # in UTC: arithmetic on a zoned datetime is wall-clock arithmetic, wrong across DST
    return add_business_time(schedule_for(calendar), start, timedelta(minutes=minutes)).astimezone(UTC)


def remaining_between(calendar: BusinessCalendar | None, start: datetime, end: datetime) -> timedelta:
    if end <= start:
        return timedelta(0)
    if calendar is None:
        return end - start
    return business_time_between(schedule_for(calendar), start, end)


def reminder_lead(kind: str, window: timedelta) -> timedelta:
    """How long before the due time the owner is reminded: a fixed time or a share of the window."""
    rules: dict[str, dict[str, float]] = settings.LOFTE_REMINDER_LEAD  # type: ignore[assignment]
    rule: dict[str, float] = rules.get(kind, rules["default"])
    if "minutes" in rule:
        return timedelta(minutes=rule["minutes"])
    lead = window * rule.get("share", 0.2)
    return min(lead, timedelta(minutes=rule.get("max_minutes", 60)))


def told_time(
    *,
    due_at: datetime,
    calendar: BusinessCalendar | None,
    policy: SlaPolicy | None,
    team_id: int | None,
    hours_memo: dict[int | None, BusinessCalendar | None] | None = None,
) -> datetime:
    """The time to tell a customer for a due time computed on `calendar`: moved to the next moment the owning
    team is open (`team_hours`) when it was computed on wall-clock time (an always-open calendar, or none) and
    the policy does not say wall-clock on purpose. A time computed on business hours is told as it is."""
    due = due_at.astimezone(UTC)
    if policy is not None and policy.wall_clock:
        return due
    if calendar is not None and not calendar.always_open:
        return due
    hours = team_hours(team_id=team_id, memo=hours_memo)
    if hours is None or hours.always_open:
        return due
    return next_open(schedule_for(hours), due).astimezone(UTC)


# --- policies -----------------------------------------------------------------

CONDITIONS = ("channel", "priority", "tier", "case_type", "team")


def _specificity(policy: SlaPolicy) -> int:
    return sum(
        1
        for name in CONDITIONS
        if getattr(policy, f"{name}_id" if name in ("case_type", "team") else name) not in (None, "")
    )


_policies: tuple[float, list[SlaPolicy]] | None = None
POLICY_CACHE_SECONDS = 5.0


def policy_cache_clear() -> None:
    """Forget the cached policies (the policy services call it; other processes see changes within seconds)."""
    global _policies
    _policies = None


def _active_policies() -> list[SlaPolicy]:
    """Active policies, most specific first, then `order`, then id; one simple query every few seconds at most."""
    global _policies
    now = time.monotonic()
    if _policies is None or now - _policies[0] > POLICY_CACHE_SECONDS:
        rows = list(
            SlaPolicy.objects.filter(is_active=True).select_related(
                "first_response_calendar", "next_update_calendar", "resolution_calendar"
            )
        )
        rows.sort(key=lambda p: (-_specificity(p), p.order, p.pk))
        _policies = (now, rows)
    return _policies[1]


def policy_for_case(case: Case) -> SlaPolicy | None:
    """The active policy whose conditions all match the case; the most specific wins, then `order`, then id.

    Matched in Python against a short cached list: case creation is a hot path and a policy query with five
    OR conditions and three joins cost more than the case's own INSERTs.
    """
    tier = case.customer.tier
    for policy in _active_policies():
        if (
            (not policy.channel or policy.channel == case.channel)
            and (policy.priority is None or policy.priority == case.priority)
            and (not policy.tier or policy.tier == tier)
            and (policy.case_type_id is None or policy.case_type_id == case.case_type_id)
            and (policy.team_id is None or policy.team_id == case.team_id)
        ):
            return policy
    return None


def _pause_statuses(policy: SlaPolicy | None) -> list[str]:
    return list(policy.pause_statuses) if policy is not None else DEFAULT_PAUSE_STATUSES


# --- making -------------------------------------------------------------------


def _new(
    *,
    case: Case,
    kind: str,
    now: datetime,
    due_at: datetime,
    origin: str,
    policy: SlaPolicy | None = None,
    calendar: BusinessCalendar | None = None,
    customer_text: str = "",
    created_by: Agent | None = None,
) -> Promise:
    return Promise(
        kind=kind,
        case=case,
        subject_type=CASE,
        subject_id=case.pk,
        due_at=due_at,
        owner_agent_id=case.assignee_id,
        owner_team_id=case.team_id,
        customer_text=customer_text,
        origin=origin,
        policy=policy,
        calendar=calendar,
        created_by=created_by,
        created_at=now,
        remind_at=due_at - reminder_lead(kind, due_at - now),
    )


def _from_policy(case: Case, kind: str, policy: SlaPolicy | None, now: datetime) -> Promise | None:
    if policy is None:
        return None
    minutes = getattr(policy, f"{kind}_minutes")
    if not minutes:
        return None
    calendar = getattr(policy, f"{kind}_calendar")
    return _new(
        case=case,
        kind=kind,
        now=now,
        due_at=due_after(calendar, now, minutes),
        origin=PromiseOrigin.POLICY,
        policy=policy,
        calendar=calendar,
    )


def promises_case_opened(*, case: Case, now: datetime) -> list[PromiseChange]:
    """A new case gets the first-response and resolution targets of its policy."""
    policy = policy_for_case(case)
    made = [
        p
        for kind in (PromiseKind.FIRST_RESPONSE, PromiseKind.RESOLUTION)
        if (p := _from_policy(case, kind, policy, now))
    ]
    Promise.objects.bulk_create(made)
    promises_changed(made)
    return [PromiseChange(p, "made") for p in made]


def promise_make(
    *,
    case: Case,
    due_at: datetime,
    created_by: Agent,
    now: datetime,
    kind: str = PromiseKind.FOLLOW_UP,
    customer_text: str = "",
) -> Promise:
    """An agent's own promise ("I'll get back to you on Thursday") about the case, owned by that agent."""
    promise = promise_make_about(
        subject_type=CASE,
        subject_id=case.pk,
        case_id=case.pk,
        kind=kind,
        due_at=due_at,
        now=now,
        owner_team_id=case.team_id,
        owner_agent_id=created_by.pk,
        customer_text=customer_text,
        created_by=created_by,
        origin=PromiseOrigin.AGENT,
    )
    promise.case, promise.owner_agent = case, created_by  # the caller reads them: no query for either
    return promise


def promise_make_about(
    *,
    subject_type: str,
    subject_id: int,
    kind: str,
    due_at: datetime,
    now: datetime,
    owner_team_id: int | None = None,
    owner_agent_id: int | None = None,
    customer_text: str = "",
    created_by: Agent | None = None,
    calendar: BusinessCalendar | None = None,
    case_id: int | None = None,
    origin: str = PromiseOrigin.SYSTEM,
) -> Promise:
    """A promise about any registered subject (lofte.promises.subjects): a callback, an incident, a customer.
    `case_id` when it shows on a case. It is reminded, broken, escalated and kept like every other promise."""
    if subject_type_get(subject_type) is None:
        raise ValidationFailed(
            _("'%(value)s' is not a subject of promises.") % {"value": subject_type}, field="subject"
        )
    if kind not in PromiseKind.values:
        raise ValidationFailed(_("'%(value)s' is not a kind of promise.") % {"value": kind}, field="kind")
    if due_at.tzinfo is None:
        raise ValidationFailed(_("The due time needs a time zone."), field="due_at")
    if due_at <= now:
        raise ValidationFailed(_("A promise must be due in the future."), field="due_at")
    promise = Promise(
        kind=kind,
        case_id=case_id,
        subject_type=subject_type,
        subject_id=subject_id,
        due_at=due_at,
        owner_agent_id=owner_agent_id,
        owner_team_id=owner_team_id,
        customer_text=customer_text.strip(),
        origin=origin,
        calendar=calendar,
        created_by=created_by,
        created_at=now,
        remind_at=due_at - reminder_lead(kind, due_at - now),
    )
    promise.save()
    promises_changed([promise])
    return promise


def promises_about(*, subject_type: str, subject_id: int, pending_only: bool = False) -> list[Promise]:
    qs = Promise.objects.filter(subject_type=subject_type, subject_id=subject_id)
    if pending_only:
        qs = qs.filter(state=PromiseState.PENDING)
    return list(qs.order_by("due_at", "id"))


def promises_about_keep(*, subject_type: str, subject_id: int, now: datetime) -> list[PromiseChange]:
    """The subject's pending promises are kept (the survey answered, the incident resolved)."""
    return _keep(promises_about(subject_type=subject_type, subject_id=subject_id, pending_only=True), now)


def promises_about_cancel(*, subject_type: str, subject_id: int, now: datetime, reason: str) -> list[PromiseChange]:
    """The subject's pending promises are cancelled (the callback withdrawn, the customer erased)."""
    return _cancel(promises_about(subject_type=subject_type, subject_id=subject_id, pending_only=True), now, reason)


def promises_about_reown(
    *, subject_type: str, subject_id: int, owner_agent_id: int | None, owner_team_id: int | None
) -> int:
    """The subject has a new owner: its pending promises are theirs now (reminders and escalation follow)."""
    pending = promises_about(subject_type=subject_type, subject_id=subject_id, pending_only=True)
    for promise in pending:
        promise.owner_agent_id, promise.owner_team_id = owner_agent_id, owner_team_id
        promise.save(update_fields=["owner_agent", "owner_team"])
    promises_changed(pending)
    return len(pending)


# --- keeping, cancelling, pausing -------------------------------------------------


def _pending(case: Case, kinds: Iterable[str] | None = None) -> list[Promise]:
    qs = Promise.objects.filter(case=case, state=PromiseState.PENDING)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    return list(qs.select_related("calendar", "policy").order_by("due_at", "id"))


def _keep(promises: list[Promise], now: datetime) -> list[PromiseChange]:
    if not promises:
        return []
    Promise.objects.filter(pk__in=[p.pk for p in promises], state=PromiseState.PENDING).update(
        state=PromiseState.KEPT, kept_at=now
    )
    changes = []
    for p in promises:
        p.state, p.kept_at = PromiseState.KEPT, now
        changes.append(PromiseChange(p, "kept", {"on_time": now <= p.due_at or p.paused_at is not None}))
    promises_changed(promises)
    return changes


def broken_fields(now: datetime) -> dict[str, Any]:
    """What breaking a promise writes: broken now, at the first escalation level, the next one due after
    the interval (when the ladder has one)."""
    interval = timedelta(minutes=settings.LOFTE_ESCALATION_INTERVAL_MINUTES)
    top = len(settings.LOFTE_ESCALATION_LADDER)
    return {
        "state": PromiseState.BROKEN,
        "broken_at": now,
        "escalation_level": 1,
        "next_escalation_at": now + interval if top > 1 else None,
    }


def promise_keep(*, promise: Promise, now: datetime) -> PromiseChange | None:
    """Keep one promise (e.g. the customer was reached on a callback) if it is still pending; None when the
    tick or someone else decided it first."""
    if not Promise.objects.filter(pk=promise.pk, state=PromiseState.PENDING).update(
        state=PromiseState.KEPT, kept_at=now
    ):
        return None
    return _keep([promise], now)[0]


def promise_cancel(*, promise: Promise, now: datetime, reason: str) -> PromiseChange | None:
    """Cancel one promise (a temperature check that will not be sent) if it is still pending; None otherwise."""
    if not Promise.objects.filter(pk=promise.pk, state=PromiseState.PENDING).exists():
        return None
    return _cancel([promise], now, reason)[0]


def promise_break(*, promise: Promise, now: datetime) -> PromiseChange | None:
    """Break one promise now, as the tick would (e.g. a callback out of attempts); None when it was no
    longer pending."""
    fields = broken_fields(now)
    if not Promise.objects.filter(pk=promise.pk, state=PromiseState.PENDING).update(**fields):
        return None
    for name, value in fields.items():
        setattr(promise, name, value)
    promises_changed([promise])
    return PromiseChange(promise, "broken")


def _cancel(promises: list[Promise], now: datetime, reason: str) -> list[PromiseChange]:
    if not promises:
        return []
    Promise.objects.filter(pk__in=[p.pk for p in promises], state=PromiseState.PENDING).update(
        state=PromiseState.CANCELLED, cancelled_at=now, cancel_reason=reason
    )
    for p in promises:
        p.state, p.cancelled_at, p.cancel_reason = PromiseState.CANCELLED, now, reason
    promises_changed(promises)
    return [PromiseChange(p, "cancelled", {"reason": reason}) for p in promises]


def _outstanding_breaches(case: Case, kinds: Iterable[str] | None = None) -> list[Promise]:
    qs = Promise.objects.filter(case=case, state=PromiseState.BROKEN, settled_at__isnull=True)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    return list(qs.order_by("due_at", "id"))


def _settle(promises: list[Promise], now: datetime, what: str, reason: str = "") -> list[PromiseChange]:
    """Broken promises stop being owed: done late ("kept", the state stays broken: the time was missed) or
    "cancelled". They leave the overdue list and the case's next promise, and escalate no further."""
    if not promises:
        return []
    Promise.objects.filter(pk__in=[p.pk for p in promises], settled_at__isnull=True).update(
        settled_at=now, next_escalation_at=None
    )
    for p in promises:
        p.settled_at, p.next_escalation_at = now, None
    promises_changed(promises)
    data: dict[str, Any] = {"after_breach": True}
    data |= {"on_time": False} if what == "kept" else {"reason": reason}
    return [PromiseChange(p, what, dict(data)) for p in promises]


def promises_case_replied(*, case: Case, now: datetime) -> list[PromiseChange]:
    """An outbound reply keeps first_response and the current next_update, and makes the next next_update
    while the case stays open. It also settles, as done late, what a reply does of the broken promises
    (`SETTLED_BY_A_REPLY`)."""
    changes = _keep(_pending(case, (PromiseKind.FIRST_RESPONSE, PromiseKind.NEXT_UPDATE)), now)
    changes += _settle(_outstanding_breaches(case, SETTLED_BY_A_REPLY), now, "kept")
    if case.status not in (Status.SOLVED, Status.CLOSED):
        policy = policy_for_case(case)
        made = _from_policy(case, PromiseKind.NEXT_UPDATE, policy, now)
        if made is not None:
            if case.status in _pause_statuses(policy):
                made.paused_at = now
                made.remaining = remaining_between(made.calendar, now, made.due_at)
            made.save()
            promises_changed([made])
            changes.append(PromiseChange(made, "made"))
    return changes


def promises_case_status_changed(*, case: Case, old: str, new: str, now: datetime) -> list[PromiseChange]:
    """Solving keeps resolution; closing cancels; a pausing status suspends the clock, leaving it resumes.
    Solving settles a broken resolution as done late and cancels the other broken promises; closing cancels them."""
    if new == Status.CLOSED:
        return _cancel(_pending(case), now, "case closed") + _settle(
            _outstanding_breaches(case), now, "cancelled", "case closed"
        )
    if new == Status.SOLVED:
        kept = _keep(_pending(case, (PromiseKind.RESOLUTION,)), now)
        kept += _settle(_outstanding_breaches(case, (PromiseKind.RESOLUTION,)), now, "kept")
        cancelled = _cancel(_pending(case, (PromiseKind.FIRST_RESPONSE, PromiseKind.NEXT_UPDATE)), now, "case solved")
        others = [p for p in _outstanding_breaches(case) if p.kind != PromiseKind.RESOLUTION]
        return kept + cancelled + _settle(others, now, "cancelled", "case solved")
    changes: list[PromiseChange] = []
    policy = policy_for_case(case)
    pausing = _pause_statuses(policy)
    if new in pausing and old not in pausing:
        changes += _pause(_pending(case, POLICY_KINDS), now)
    elif old in pausing and new not in pausing:
        changes += _resume(_pending(case, POLICY_KINDS), now)
    if old == Status.SOLVED and not _pending(case, (PromiseKind.RESOLUTION,)):
        made = _from_policy(case, PromiseKind.RESOLUTION, policy, now)
        if made is not None:
            made.save()
            promises_changed([made])
            changes.append(PromiseChange(made, "made"))
    return changes


def _pause(promises: list[Promise], now: datetime) -> list[PromiseChange]:
    changes = []
    for p in promises:
        if p.paused_at is not None:
            continue
        p.paused_at = now
        p.remaining = remaining_between(p.calendar, now, p.due_at)
        p.save(update_fields=["paused_at", "remaining"])
        changes.append(PromiseChange(p, "paused", {"remaining_minutes": int(p.remaining.total_seconds() // 60)}))
    promises_changed(c.promise for c in changes)
    return changes


def _resume(promises: list[Promise], now: datetime) -> list[PromiseChange]:
    changes = []
    for p in promises:
        if p.paused_at is None:
            continue
        remaining = p.remaining or timedelta(0)
        due = add_business_time(schedule_for(p.calendar), now, remaining) if p.calendar else now + remaining
        if p.customer_text:  # the customer holds this time: it falls in the team's hours
            due = told_time(due_at=due, calendar=p.calendar, policy=p.policy, team_id=p.owner_team_id)
        p.due_at = due.astimezone(UTC)
        p.paused_at, p.remaining = None, None
        p.remind_at = p.due_at - reminder_lead(p.kind, p.due_at - now)
        p.reminded_at = None
        p.save(update_fields=["due_at", "paused_at", "remaining", "remind_at", "reminded_at"])
        changes.append(PromiseChange(p, "resumed", {"due_at": p.due_at.isoformat()}))
    promises_changed(c.promise for c in changes)
    return changes


def promises_case_reassigned(*, case: Case) -> None:
    """Pending promises follow the case to its new owner (an agent's own promises stay with the agent)."""
    if not promises_moving(case=case):
        return  # no pending promise to move
    Promise.objects.filter(case=case, state=PromiseState.PENDING).exclude(origin=PromiseOrigin.AGENT).update(
        owner_agent_id=case.assignee_id, owner_team_id=case.team_id
    )


# the case's own promises, one of a kind: a merge never leaves two of these pending on one case
ONE_OF_A_KIND = (PromiseKind.FIRST_RESPONSE, PromiseKind.NEXT_UPDATE, PromiseKind.RESOLUTION)


def promises_cases_merged(*, target: Case, sources: Sequence[Case], now: datetime) -> list[PromiseChange]:
    """Cases merged into `target`: their promises move to it, so each promise is owed once, on the case that
    stays open. A pending first response, next update or resolution of a kind the target already has pending
    (or that an earlier-due merged case brings) is cancelled instead and stays, cancelled, on its own case: the
    customer is owed one answer, not one per message they sent. Callbacks, follow-ups and agents' own promises
    are each a separate commitment and all move; settled ones move as history. Returns the cancellations."""
    source_ids = [c.pk for c in sources]
    pending = list(
        Promise.objects.filter(case_id__in=[target.pk, *source_ids], state=PromiseState.PENDING, kind__in=ONE_OF_A_KIND)
        .select_related("case")
        .order_by("due_at", "id")
    )
    kept_kinds = {p.kind for p in pending if p.case_id == target.pk}
    duplicates: list[Promise] = []
    for p in pending:
        if p.case_id == target.pk:
            continue
        if p.kind in kept_kinds:
            duplicates.append(p)
        else:
            kept_kinds.add(p.kind)  # the earliest due of its kind carries over
    changes = _cancel(duplicates, now, reason=f"merged into {target.reference}")
    moving = Promise.objects.filter(case_id__in=source_ids).exclude(pk__in=[p.pk for p in duplicates])
    promises_changed(moving.filter(state=PromiseState.PENDING))
    moving.filter(subject_type=CASE).update(case=target, subject_id=target.pk)
    moving.update(case=target)
    Promise.objects.filter(case=target, state=PromiseState.PENDING).exclude(origin=PromiseOrigin.AGENT).update(
        owner_agent_id=target.assignee_id, owner_team_id=target.team_id
    )
    return changes


def next_due_for_case(*, case: Case) -> datetime | None:
    """The case's next promise (`Case.next_due_at`): the earliest pending, running (not paused) promise, or a
    broken one not yet settled (`OUTSTANDING`), which the inbox shows as broken."""
    result: datetime | None = Promise.objects.filter(case=case).filter(OUTSTANDING).aggregate(m=Min("due_at"))["m"]
    return result


def next_due_subquery() -> Subquery:
    """For UPDATE case SET next_due_at = (...): `next_due_for_case` of each case."""
    return Subquery(
        Promise.objects.filter(case=OuterRef("pk")).filter(OUTSTANDING).order_by("due_at").values("due_at")[:1]
    )


# --- the tick: reminders, breaches, escalations --------------------------------------


@dataclass
class TickResult:
    reminded: list[int] = field(default_factory=list)
    broken: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    # the figures the subjects' hooks report (lofte.promises.hooks), e.g. notices sent to customers
    counts: dict[str, int] = field(default_factory=dict)


def _claimed(token: str) -> list[Promise]:
    return list(
        Promise.objects.filter(tick_token=token).select_related("case", "owner_agent", "owner_team").order_by("id")
    )


def _hooks_lock(what: str, batch: list[int]) -> None:
    """The subjects' apps lock the rows they will change for this batch, before the claim locks the promises."""
    for hook in tick_hooks():
        if what in hook.whats and hook.lock is not None:
            hook.lock(what, batch)


def _hooks_run(what: str, rows: list[Promise], now: datetime, result: TickResult) -> None:
    """The subjects' apps write what they keep about this batch, inside the batch's transaction."""
    if not rows:
        return
    for hook in tick_hooks():
        if what in hook.whats:
            for name, n in (hook.handle(what, rows, now) or {}).items():
                result.counts[name] = result.counts.get(name, 0) + n


def promises_tick(*, now: datetime, limit: int = 5000) -> TickResult:
    """Break, remind and escalate what is due. Each scan uses its index and costs O(due), never O(pending).

    Rows are claimed in batches by a conditional UPDATE that stamps this tick's
    token, so two workers ticking at once never handle the same promise twice.
    Each batch is one transaction: the claim, the owners' notifications and what the
    subjects' apps write through their hooks (lofte.promises.hooks: timeline events, the
    notice to the customer) commit together or not at all, and a batch that fails is
    claimed again by the next tick.
    """
    result = TickResult(counts={name: 0 for hook in tick_hooks() for name in hook.counts})
    interval = timedelta(minutes=settings.LOFTE_ESCALATION_INTERVAL_MINUTES)
    top = len(settings.LOFTE_ESCALATION_LADDER)

    # breaches first: the reminder scan that follows then never reads a promise that is already due
    due_breaches = Promise.objects.filter(state=PromiseState.PENDING, due_at__lte=now, paused_at__isnull=True)
    for batch in _batches(due_breaches.order_by("due_at").values_list("id", flat=True)[:limit]):
        token = _token()
        with transaction.atomic():
            _hooks_lock("broken", batch)
            _claim(pk__in=batch, state=PromiseState.PENDING, paused_at__isnull=True).update(
                **broken_fields(now), tick_token=token
            )
            rows = _claimed(token)
            _notify(rows, "broken", level=1, now=now)
            _hooks_run("broken", rows, now, result)
            promises_changed(rows)
        result.broken += [p.pk for p in rows]

    # then reminders for what is not due yet: a promise already due gets none (its breach went out above)
    due_reminders = Promise.objects.filter(
        state=PromiseState.PENDING, reminded_at__isnull=True, remind_at__lte=now, paused_at__isnull=True
    ).filter(due_at__gt=now)
    for batch in _batches(due_reminders.order_by("remind_at").values_list("id", flat=True)[:limit]):
        token = _token()
        with transaction.atomic():
            _hooks_lock("reminded", batch)
            _claim(pk__in=batch, state=PromiseState.PENDING, reminded_at__isnull=True, due_at__gt=now).update(
                reminded_at=now, tick_token=token
            )
            rows = _claimed(token)
            _notify(rows, "reminder", level=0, now=now)
            _hooks_run("reminded", rows, now, result)
        result.reminded += [p.pk for p in rows]

    due_escalations = Promise.objects.filter(state=PromiseState.BROKEN, next_escalation_at__lte=now)
    for batch in _batches(due_escalations.order_by("next_escalation_at").values_list("id", flat=True)[:limit]):
        token = _token()
        with transaction.atomic():
            _hooks_lock("escalated", batch)
            claimed = _claim(pk__in=batch, state=PromiseState.BROKEN, next_escalation_at__lte=now)
            # one UPDATE per level keeps the claim conditional on the level read
            for level in range(1, top):
                claimed.filter(escalation_level=level).update(
                    escalation_level=level + 1,
                    next_escalation_at=now + interval if level + 1 < top else None,
                    tick_token=token,
                )
            rows = _claimed(token)
            for level in sorted({p.escalation_level for p in rows}):
                _notify([p for p in rows if p.escalation_level == level], "escalated", level=level, now=now)
            _hooks_run("escalated", rows, now, result)
            promises_changed(rows)
        result.escalated += [p.pk for p in rows]
    return result


def _claim(**conditions: Any) -> QuerySet[Promise]:
    """The rows to claim, locked in id order (PostgreSQL), so two ticks claiming through different scans never
    lock the same rows in opposite orders (no deadlock); a tick that waits re-checks the conditions after the
    other commits. SQLite serialises writers and ignores the lock clause; the conditions decide there."""
    locked = Promise.objects.filter(**conditions).order_by("pk").select_for_update().values("pk")
    return Promise.objects.filter(pk__in=locked).filter(**conditions)


def _token() -> str:
    return uuid.uuid4().hex


def _batches(ids: Iterable[int]) -> Iterable[list[int]]:
    batch: list[int] = []
    for pk in ids:
        batch.append(pk)
        if len(batch) == TICK_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _ladder_team(p: Promise) -> int | None:
    """The team whose leads hear about a promise: its case's team (the people who may open the case), else the
    owning team (a case no team owns is visible to everyone)."""
    if p.case is not None and p.case.team_id is not None:
        return p.case.team_id
    return p.owner_team_id


def _may_hear(agent: Agent, p: Promise) -> bool:
    """Nobody is told about a case they cannot open (lofte.accounts.access); a promise without a case is its
    owners' own."""
    if p.case is None:
        return agent.is_active
    return access.case_visible(agent, team_id=p.case.team_id, assignee_id=p.case.assignee_id)


def _recipients(promises: list[Promise], level: int) -> dict[int, list[Agent]]:
    """Who hears about each promise at this escalation level: owner, then team leads, then admins; only
    agents who may see the promise's case. Two queries (one at the admin step), whatever the number of
    promises."""
    ladder: list[str] = settings.LOFTE_ESCALATION_LADDER
    step = ladder[min(max(level, 1), len(ladder)) - 1] if level else "owner"
    team_ids = {t for p in promises if (t := _ladder_team(p)) is not None}
    members = team_members(team_ids=team_ids) if step in ("team_lead", "owner") else []
    admins = admin_agents() if step == "admin" else []
    owners = [p.owner_agent for p in promises if step == "owner" and p.owner_agent is not None]
    remember_team_ids(members + owners)  # one query: the access module's questions below cost none
    leads = leads_by_team(members, team_ids=team_ids)
    out: dict[int, list[Agent]] = {}
    for p in promises:
        if step == "owner":
            owner = p.owner_agent
            if owner is not None and owner.is_active and _may_hear(owner, p):
                people = [owner]
            else:
                people = leads.get(_ladder_team(p) or 0, [])
        elif step == "team_lead":
            people = leads.get(_ladder_team(p) or 0, [])
        else:
            people = admins
        out[p.pk] = [agent for agent in people if _may_hear(agent, p)]
    return out


def _notify(promises: list[Promise], what: str, *, level: int, now: datetime) -> None:
    if not promises:
        return
    recipients = _recipients(promises, level)
    items = []
    for p in promises:
        reference, url = describe(p)
        for agent in recipients[p.pk]:
            text = _promise_text(p, what, reference, reader=agent)
            items.append((agent, f"promise_{what}", text, url, f"promise:{p.pk}:{what}:{level}:{agent.pk}"))
    notify_many(items, now=now, email=True)


_kind_labels: dict[tuple[str, str], str] = {}


def _kind_label(kind: str, language: str) -> str:
    """A kind's label in the active language (`language`), looked up once: a tick writes thousands of texts."""
    label = _kind_labels.get((kind, language))
    if label is None:
        label = _kind_labels[(kind, language)] = str(PromiseKind(kind).label) if kind in PromiseKind.values else kind
    return label


def _promise_text(p: Promise, what: str, reference: str, *, reader: Agent) -> str:
    """The notification, in the reader's language, with the due time in the reader's time zone."""
    language = reader_language(reader)
    with translation.override(language):
        kind = _kind_label(p.kind, language)
        due = reader_time(reader, p.due_at)
        if what == "reminder":
            return _("Reminder: %(kind)s on %(ref)s is due %(due)s.") % {"kind": kind, "ref": reference, "due": due}
        if what == "broken":
            return _("Broken: %(kind)s on %(ref)s was due %(due)s.") % {"kind": kind, "ref": reference, "due": due}
        return _("Escalated: %(kind)s on %(ref)s was due %(due)s and is still not kept.") % {
            "kind": kind,
            "ref": reference,
            "due": due,
        }


def promise_set_eta(
    *,
    promise: Promise,
    due_at: datetime,
    customer_text: str,
    basis: str,
    now: datetime,
    latest: datetime | None = None,
) -> Promise:
    """The acknowledgement told the customer when they will hear from us: a pending first-response promise
    takes that time as its due time, the sentence as what the customer was told, and `basis` as the mark of an
    acknowledged ETA (see lofte.promises.eta). The limit is the promise's own due time (the SLA's target), or
    `latest` when the caller moved that target into the team's hours (`told_time`): never later than that.

    The reminder time is recomputed as for a new promise; a paused promise keeps its pause with the business
    time left until the new due time.
    """
    if promise.kind != PromiseKind.FIRST_RESPONSE:
        raise ValidationFailed(_("Only a first-response promise takes an acknowledged ETA."), field="kind")
    if promise.state != PromiseState.PENDING:
        raise ValidationFailed(_("The promise is no longer pending."), field="state")
    if due_at.tzinfo is None:
        raise ValidationFailed(_("The due time needs a time zone."), field="due_at")
    if due_at > max(promise.due_at, latest or promise.due_at):
        raise ValidationFailed(_("An ETA cannot be later than the promise's own due time."), field="due_at")
    if not basis:
        raise ValidationFailed(_("Say what the ETA is based on."), field="basis")
    promise.eta_basis = basis[:24]  # the column's length
    return promise_retime(promise=promise, due_at=due_at, customer_text=customer_text, now=now, also=["eta_basis"])


def promise_retime(
    *, promise: Promise, due_at: datetime, customer_text: str, now: datetime, also: Sequence[str] = ()
) -> Promise:
    """The customer was told a new time for a pending promise (an acknowledged ETA, a callback's next
    window): it takes that due time and sentence; the reminder time is recomputed as for a new promise, and
    a paused promise keeps its pause with the business time left until the new due time. `also`: further
    fields the caller changed on the promise, saved with it."""
    due = due_at.astimezone(UTC)
    fields = ["due_at", "customer_text", "remind_at", "reminded_at", *also]
    promise.due_at = due
    promise.customer_text = customer_text.strip()
    promise.remind_at = due - reminder_lead(promise.kind, max(due - now, timedelta(0)))
    promise.reminded_at = None
    if promise.paused_at is not None:
        promise.remaining = remaining_between(promise.calendar, now, due)
        fields.append("remaining")
    promise.save(update_fields=fields)
    promises_changed([promise])
    return promise


def promise_acknowledged(
    *,
    case: Case,
    due_at: datetime,
    customer_text: str,
    basis: str,
    calendar: BusinessCalendar | None,
    now: datetime,
) -> Promise:
    """The acknowledgement told the customer a time and no policy made a first-response promise: that time is
    one now (made by Lofte, owned as the case is, on the team's calendar), so every time told is tracked."""
    if due_at.tzinfo is None:
        raise ValidationFailed(_("The due time needs a time zone."), field="due_at")
    if not customer_text.strip():
        raise ValidationFailed(_("Say what the customer was told."), field="customer_text")
    promise = _new(
        case=case,
        kind=PromiseKind.FIRST_RESPONSE,
        now=now,
        due_at=due_at.astimezone(UTC),
        origin=PromiseOrigin.SYSTEM,
        calendar=calendar,
        customer_text=customer_text.strip(),
    )
    promise.eta_basis = basis[:24]
    promise.save()
    promises_changed([promise])
    return promise


def promise_renew(*, broken: Promise, due_at: datetime, customer_text: str, now: datetime) -> Promise:
    """After a breach, the honest new time the customer was told: a new promise of the same kind, which
    `renewal_of` ties to the broken one; the broken one is settled (renewed) and escalates no further."""
    due = due_at.astimezone(UTC)
    renewed = Promise(
        kind=broken.kind,
        case=broken.case,
        subject_type=broken.subject_type,
        subject_id=broken.subject_id,
        due_at=due,
        owner_agent_id=broken.owner_agent_id,
        owner_team_id=broken.owner_team_id,
        customer_text=customer_text,
        origin=PromiseOrigin.SYSTEM,
        policy_id=broken.policy_id,
        calendar_id=broken.calendar_id,
        created_at=now,
        remind_at=due - reminder_lead(broken.kind, max(due - now, timedelta(0))),
        renewal_of=broken,
    )
    renewed.save()
    _settle([broken], now, "renewed")
    promises_changed([renewed])
    return renewed


def renewal_pending(*, case_id: int) -> bool:
    """Whether a time told in an earlier breach notice is still pending on the case (no new notice then)."""
    return Promise.objects.filter(case_id=case_id, state=PromiseState.PENDING, renewal_of__isnull=False).exists()


def outstanding_breaches(*, case_id: int, kinds: Iterable[str]) -> list[Promise]:
    """The case's broken promises of these kinds not yet settled, oldest due first, with what a new time is
    computed from (calendar, policy)."""
    return list(
        Promise.objects.filter(
            case_id=case_id, state=PromiseState.BROKEN, settled_at__isnull=True, kind__in=list(kinds)
        )
        .select_related("calendar", "policy")
        .order_by("due_at", "id")
    )
