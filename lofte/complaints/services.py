"""Writes for complaints: a case becomes a complaint (by its case type, an agent, the customer's choice, text
understanding or the API), stops being one, and its register row is kept up to date.

Flagging makes the handling deadline a promise: a resolution promise about the complaint (subject type
"complaint"), shown on its case, due `deadline_hours` after the complaint arrived (the category's, else the
settings' 24), in wall-clock time or the owning team's business hours as the category says. Solving the case
keeps it like any resolution promise; un-flagging cancels it. The customer is told the deadline: the promise's
customer_text, which the acknowledgement of a new case adds after its own time.

Every change is an event on the case's timeline (`complaint_flagged`, `complaint_unflagged`, `complaint_changed`).
An agent's "not a complaint" stands: text understanding never flags that case again; an agent can.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.cases.delivery import customer_language
from lofte.cases.models import Case
from lofte.cases.services import case_promises_record, case_update
from lofte.cases.timeline import case_event_add
from lofte.complaints.models import (
    Category,
    Complaint,
    ComplaintSettings,
    DetectionMode,
    Outcome,
    RootCause,
    Severity,
    Source,
)
from lofte.core import clock
from lofte.core.choices import Priority
from lofte.core.errors import ValidationFailed
from lofte.customers.lights import lights_for
from lofte.promises import services as promises
from lofte.promises.eta import moment_text
from lofte.promises.models import PromiseKind
from lofte.promises.selectors import team_hours

COMPLAINT = "complaint"  # the subject type of a complaint's promises (lofte.promises.subjects)
BREACH_NOTICE_HOURS = 4  # a missed deadline or update: the customer is told honestly, with a new time this far on
EVENT_FLAGGED = "complaint_flagged"
EVENT_UNFLAGGED = "complaint_unflagged"
EVENT_CHANGED = "complaint_changed"
UNSET: Any = object()
MAX_REASON = 300
MAX_OUTCOME_REASON = 4000
MAX_PRODUCT = 200
SHOWN_MAX = 200  # characters of a text the timeline keeps of a change


def settings_get() -> ComplaintSettings:
    found, _created = ComplaintSettings.objects.get_or_create(pk=1)
    return found


def deadline_text(*, case: Case, due_at: datetime) -> str:
    """What the customer is told of the deadline, in their language and time zone."""
    language = customer_language(case)
    moment = moment_text(due_at=due_at, language=language, time_zone=case.customer.time_zone or settings.TIME_ZONE)
    with translation.override(language):
        return _("We treat your message as a complaint and will have handled it by %(moment)s.") % {"moment": moment}


def _deadline_due(complaint: Complaint, *, now: datetime, config: ComplaintSettings) -> tuple[datetime, Any]:
    """The handling deadline by the complaint's category (else the settings' hours), from when it arrived, on the
    owning team's hours when the category counts business hours; (due time, calendar or None)."""
    hours, _category = complaint.category_says("deadline_hours")
    closest = complaint.subcategory or complaint.category
    business = closest is not None and closest.deadline_business_hours
    calendar = team_hours(team_id=complaint.owner_team_id) if business else None
    return promises.due_after(calendar, complaint.received_at, int(hours or config.deadline_hours) * 60), calendar


def _deadline_promise(complaint: Complaint, *, now: datetime, config: ComplaintSettings) -> list[Any]:
    """The handling deadline as a promise about the complaint, on its case; the changes for the timeline."""
    case = complaint.case
    due, calendar = _deadline_due(complaint, now=now, config=config)
    if due <= now:
        due = promises.due_after(calendar, now, 1)  # flagged after its deadline: due at once, broken by the tick
    promise = promises.promise_make_about(
        subject_type=COMPLAINT,
        subject_id=complaint.pk,
        case_id=case.pk,
        kind=PromiseKind.RESOLUTION,
        due_at=due,
        now=now,
        owner_team_id=complaint.owner_team_id,
        owner_agent_id=complaint.owner_agent_id,
        customer_text=deadline_text(case=case, due_at=due),
        calendar=calendar,
    )
    complaint.deadline_at = due
    complaint.save(update_fields=["deadline_at"])
    return [promises.PromiseChange(promise, "made")]


def _deadline_tighten(complaint: Complaint, *, now: datetime) -> tuple[datetime, datetime] | None:
    """A category chosen after the complaint was flagged, with a shorter deadline, brings the pending deadline
    forward (meeting the earlier time keeps the word given with the later one). A longer deadline never moves it,
    nor one already past: the time the customer was told stands. Returns (from, to) when it moved."""
    pending = [
        p
        for p in promises.promises_about(subject_type=COMPLAINT, subject_id=complaint.pk, pending_only=True)
        if p.kind == PromiseKind.RESOLUTION
    ]
    if not pending:
        return None
    promise = pending[0]
    due, _calendar = _deadline_due(complaint, now=now, config=settings_get())
    if due >= promise.due_at or due <= now:
        return None
    before = promise.due_at
    promises.promise_retime(
        promise=promise, due_at=due, customer_text=deadline_text(case=complaint.case, due_at=due), now=now
    )
    complaint.deadline_at = due
    return before, due


def _check_can_work(actor: Agent | None) -> None:
    if actor is not None:
        access.require(actor, access.Perm.CASE_WORK)


@transaction.atomic
def complaint_flag(*, case: Case, source: str, actor: Agent | None = None, now: datetime | None = None) -> Complaint:
    """Make the case a complaint (again). Idempotent: a case that is one already is returned as it is. Text
    understanding (`source` detection) does not flag a case an agent said is not a complaint."""
    if source not in Source.values:
        raise ValidationFailed(_("'%(value)s' is not a way to file a complaint.") % {"value": source}, field="source")
    _check_can_work(actor)
    now = now or clock.now()
    existing = Complaint.objects.select_for_update().filter(case=case).first()
    if existing is not None and existing.is_active:
        return existing
    if existing is not None and source == Source.DETECTION:
        return existing  # an agent (or the API) said it is not a complaint; a guess does not overrule them
    config = settings_get()
    team_id = config.owner_team_id or case.team_id
    if existing is None:
        complaint = Complaint.objects.create(
            case=case,
            customer_id=case.customer_id,
            source=source,
            channel=case.channel,
            received_at=case.created_at,
            owner_team_id=team_id,
            owner_agent_id=case.assignee_id,
            flagged_by=actor,
            updated_at=now,
        )
    else:
        complaint = existing
        complaint.is_active, complaint.source, complaint.flagged_by = True, source, actor
        complaint.unflagged_at, complaint.unflag_reason, complaint.updated_at = None, "", now
        complaint.save(
            update_fields=["is_active", "source", "flagged_by", "unflagged_at", "unflag_reason", "updated_at"]
        )
    complaint.case = case
    changes = [] if case.status in ("solved", "closed") else _deadline_promise(complaint, now=now, config=config)
    case_event_add(case=case, kind=EVENT_FLAGGED, actor=actor, data={"source": source}, now=now)
    case_promises_record(case=case, changes=changes, actor=actor, now=now)
    return complaint


@transaction.atomic
def complaint_unflag(*, complaint: Complaint, actor: Agent | None, reason: str = "") -> Complaint:
    """The case is not a complaint after all: its deadline is cancelled, the row stays (inactive) with why."""
    _check_can_work(actor)
    reason = " ".join(reason.split())
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            _("The reason is too long: at most %(max)s characters.") % {"max": MAX_REASON}, field="reason"
        )
    complaint = Complaint.objects.select_for_update(of=("self",)).select_related("case").get(pk=complaint.pk)
    if not complaint.is_active:
        return complaint
    now = clock.now()
    complaint.is_active, complaint.unflagged_at, complaint.unflag_reason = False, now, reason
    complaint.updated_at = now
    complaint.save(update_fields=["is_active", "unflagged_at", "unflag_reason", "updated_at"])
    changes = promises.promises_about_cancel(
        subject_type=COMPLAINT, subject_id=complaint.pk, now=now, reason="not a complaint"
    )
    case_event_add(case=complaint.case, kind=EVENT_UNFLAGGED, actor=actor, data={"reason": reason}, now=now)
    case_promises_record(case=complaint.case, changes=changes, actor=actor, now=now)
    return complaint


def _category(value: Any, *, field: str, parent: Category | None = None) -> Category | None:
    if value is None or value == "":
        return None
    category = value if isinstance(value, Category) else Category.objects.filter(pk=_int(value, field)).first()
    if category is None or not category.is_active:
        raise ValidationFailed(_("There is no such complaint category."), field=field)
    if field == "category" and category.parent_id is not None:
        raise ValidationFailed(_("Choose a main category here; its sub-category goes below."), field=field)
    if field == "subcategory" and (parent is None or category.parent_id != parent.pk):
        raise ValidationFailed(_("This sub-category does not belong to the chosen category."), field=field)
    return category


def _int(value: Any, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("'%(value)s' is not a number.") % {"value": value}, field=field) from None


def _choice(value: Any, choices: list[str], field: str, *, blank: bool = False) -> str:
    value = str(value or "").strip()
    if (blank and not value) or value in choices:
        return value
    raise ValidationFailed(_("'%(value)s' is not one of the choices.") % {"value": value}, field=field)


def _person(agent: Agent | None) -> dict[str, Any] | None:
    return {"id": agent.pk, "name": agent.display_name} if agent else None


@transaction.atomic
def complaint_update(
    *,
    complaint: Complaint,
    actor: Agent | None,
    category: Any = UNSET,
    subcategory: Any = UNSET,
    severity: Any = UNSET,
    product: Any = UNSET,
    root_cause: Any = UNSET,
    owner_agent: Any = UNSET,
    owner_team: Any = UNSET,
    outcome: Any = UNSET,
    outcome_reason: Any = UNSET,
) -> Complaint:
    """Change the register's fields; everything is checked before anything is written, and each change is on
    the timeline. An outcome needs the reason given to the customer."""
    _check_can_work(actor)
    complaint = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("case", "case__customer", "category", "subcategory", "root_cause", "owner_agent", "owner_team")
        .get(pk=complaint.pk)
    )
    if not complaint.is_active:
        raise ValidationFailed(_("This case is not a complaint any more; flag it again to change it."))
    changes: dict[str, tuple[Any, Any]] = {}
    values: dict[str, Any] = {}
    new_category = complaint.category
    if category is not UNSET:
        new_category = _category(category, field="category")
        values["category"] = new_category
        if new_category != complaint.category and subcategory is UNSET:
            values["subcategory"] = None  # the old sub-category belonged to the old category
    if subcategory is not UNSET:
        values["subcategory"] = _category(subcategory, field="subcategory", parent=new_category)
    if severity is not UNSET:
        values["severity"] = _choice(severity, Severity.values, "severity")
    if product is not UNSET:
        text = " ".join(str(product or "").split())
        if len(text) > MAX_PRODUCT:
            raise ValidationFailed(
                _("The product is too long: at most %(max)s characters.") % {"max": MAX_PRODUCT}, field="product"
            )
        values["product"] = text
    if root_cause is not UNSET:
        if root_cause in (None, ""):
            values["root_cause"] = None
        else:
            found = RootCause.objects.filter(pk=_int(root_cause, "root_cause"), is_active=True).first()
            if found is None:
                raise ValidationFailed(_("There is no such root cause."), field="root_cause")
            values["root_cause"] = found
    if owner_team is not UNSET:
        if owner_team in (None, ""):
            values["owner_team"] = None
        else:
            team = Team.objects.filter(pk=_int(owner_team, "owner_team")).first()
            if team is None:
                raise ValidationFailed(_("There is no such team."), field="owner_team")
            values["owner_team"] = team
    if owner_agent is not UNSET:
        if owner_agent in (None, ""):
            values["owner_agent"] = None
        else:
            person = Agent.objects.filter(pk=_int(owner_agent, "owner_agent"), is_active=True).first()
            if person is None:
                raise ValidationFailed(_("There is no such active agent."), field="owner_agent")
            values["owner_agent"] = person
    if outcome is not UNSET:
        values["outcome"] = _choice(outcome, Outcome.values, "outcome", blank=True)
    if outcome_reason is not UNSET:
        reason = str(outcome_reason or "").strip()
        if len(reason) > MAX_OUTCOME_REASON:
            raise ValidationFailed(
                _("The reason is too long: at most %(max)s characters.") % {"max": MAX_OUTCOME_REASON},
                field="outcome_reason",
            )
        values["outcome_reason"] = reason
    final_outcome = values.get("outcome", complaint.outcome)
    final_reason = values.get("outcome_reason", complaint.outcome_reason)
    if final_outcome and not final_reason:
        raise ValidationFailed(
            _("Say why: the reason given to the customer goes with the outcome."), field="outcome_reason"
        )
    for field, value in values.items():
        old = getattr(complaint, field)
        if old != value:
            changes[field] = (old, value)
            setattr(complaint, field, value)
    if not changes:
        return complaint
    now = clock.now()
    complaint.updated_at = now
    complaint.save(update_fields=[*changes, "updated_at"])
    data = {field: {"from": _shown(old), "to": _shown(new)} for field, (old, new) in changes.items()}
    if ("category" in changes or "subcategory" in changes) and (moved := _deadline_tighten(complaint, now=now)):
        complaint.save(update_fields=["deadline_at"])
        data["deadline"] = {"from": moved[0].isoformat(), "to": moved[1].isoformat()}
    case_event_add(case=complaint.case, kind=EVENT_CHANGED, actor=actor, data=data, now=now)
    return complaint


def _shown(value: Any) -> Any:
    """A value as the timeline keeps it: names for rows (as they were then), the value itself otherwise."""
    if isinstance(value, str) and len(value) > SHOWN_MAX:
        return value[: SHOWN_MAX - 1] + "…"
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, Agent):
        return value.display_name
    return str(value)


def detection_flags(*, applied: bool) -> bool:
    """Whether text understanding's complaint verdict makes the case a complaint, as the settings say."""
    mode = ComplaintSettings.objects.filter(pk=1).values_list("detection", flat=True).first() or DetectionMode.APPLIED
    return mode == DetectionMode.SUGGESTED or (mode == DetectionMode.APPLIED and applied)


def case_opened(case: Case) -> None:
    """A case opened with a complaint case type is a complaint from the start; a red customer's new case gets
    high priority when the settings say so (lofte.cases.opened). The light is the customer's before this case."""
    if case.priority < Priority.HIGH and ComplaintSettings.objects.filter(pk=1, red_raises_priority=True).exists():
        light = lights_for([case.customer_id]).get(case.customer_id)
        if light is not None and light.color == "red":
            case_update(case=case, actor=None, priority=Priority.HIGH)
    if case.case_type_id is not None and case.case_type is not None and case.case_type.is_complaint:
        complaint_flag(case=case, source=Source.CASE_TYPE, now=case.created_at)


def case_type_changed(case: Case, actor: Agent | None) -> None:
    """A case given a complaint case type becomes a complaint (lofte.cases.opened.type_changed)."""
    if case.case_type is not None and case.case_type.is_complaint:
        complaint_flag(case=case, source=Source.CASE_TYPE, actor=actor)
