"""Calendars and SLA policies over the API; admins write, every agent reads."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.accounts.selectors import team_get
from lofte.core import clock
from lofte.core.errors import NotFound, ValidationFailed
from lofte.promises import calendars, policies, schemas
from lofte.promises.business_time import add_business_time
from lofte.promises.models import BusinessCalendar, SlaPolicy
from lofte.promises.schemas import (
    CalendarIn,
    CalendarOut,
    CalendarPatch,
    DueOut,
    EtaHeldOut,
    EtaHeldQuery,
    PolicyIn,
    PolicyOut,
    PolicyPatch,
)
from lofte.promises.selectors import calendar_get, calendar_list, policy_get, policy_list
from lofte.promises.stats import eta_held_rates, eta_held_total, kept_rate, kept_rate_period

router = Router(tags=["calendars and SLA policies"])


def _admin(request: HttpRequest) -> Agent:
    agent: Agent = request.auth  # type: ignore[attr-defined]
    access.require(agent, access.Perm.CONFIGURE)
    return agent


@router.get("/calendars", response=list[CalendarOut], summary="List business calendars")
def list_calendars(request: HttpRequest) -> object:
    return calendar_list()


@router.post("/calendars", response={201: CalendarOut}, summary="Create a business calendar")
def create_calendar(request: HttpRequest, data: CalendarIn) -> object:
    _admin(request)
    values = data.model_dump()
    if values["opening_hours"] is None:
        values.pop("opening_hours")
    return Status(201, calendars.calendar_create(**values))


@router.get("/calendars/{calendar_id}", response=CalendarOut, summary="Get a business calendar")
def get_calendar(request: HttpRequest, calendar_id: int) -> object:
    return calendar_get(calendar_id=calendar_id)


@router.patch("/calendars/{calendar_id}", response=CalendarOut, summary="Change a business calendar")
def update_calendar(request: HttpRequest, calendar_id: int, data: CalendarPatch) -> object:
    _admin(request)
    calendar = calendar_get(calendar_id=calendar_id)
    return calendars.calendar_update(calendar=calendar, **data.model_dump(exclude_unset=True))


@router.get("/calendars/{calendar_id}/due", response=DueOut, summary="When N business minutes after a start end")
def calendar_due(request: HttpRequest, calendar_id: int, start: datetime, minutes: int) -> object:
    calendar = calendar_get(calendar_id=calendar_id)
    if start.tzinfo is None:
        raise ValidationFailed(_("start needs a UTC offset, e.g. 2026-06-18T16:45:00+02:00."), field="start")
    if minutes < 0:
        raise ValidationFailed(_("minutes cannot be negative."), field="minutes")
    if minutes > schemas.MAX_MINUTES:
        raise ValidationFailed(
            _("minutes can be at most %(max)s (a year).") % {"max": schemas.MAX_MINUTES}, field="minutes"
        )
    try:
        due = add_business_time(calendars.schedule_for(calendar), start, timedelta(minutes=minutes))
    except OverflowError:  # a start at the edge of datetime's range (year 1 or 9999)
        raise ValidationFailed(_("The due time would fall outside the years 1 to 9999."), field="start") from None
    return {"due_at": due}


def _policy_refs(values: dict[str, Any]) -> dict[str, Any]:
    from lofte.promises.selectors import case_type_for_policy

    out = dict(values)
    if "team" in out:
        out["team"] = team_get(team_id=out["team"]) if out["team"] is not None else None
    if "case_type" in out:
        out["case_type"] = case_type_for_policy(out["case_type"]) if out["case_type"] is not None else None
    for target in policies.TARGETS:
        key = f"{target}_calendar"
        if key in out:
            out[key] = _calendar_ref(out[key], key)
    return out


def _calendar_ref(calendar_id: int | None, field: str) -> BusinessCalendar | None:
    if calendar_id is None:
        return None
    try:
        return calendar_get(calendar_id=calendar_id)
    except NotFound as exc:
        raise ValidationFailed(f"There is no calendar {calendar_id}.", field=field) from exc


@router.get("/sla-policies", response=list[PolicyOut], summary="List SLA policies")
def list_policies(request: HttpRequest) -> object:
    return policy_list()


@router.post("/sla-policies", response={201: PolicyOut}, summary="Create an SLA policy")
def create_policy(request: HttpRequest, data: PolicyIn) -> object:
    _admin(request)
    return Status(201, policies.policy_create(**_policy_refs(data.model_dump())))


@router.get("/sla-policies/{policy_id}", response=PolicyOut, summary="Get an SLA policy")
def get_policy(request: HttpRequest, policy_id: int) -> SlaPolicy:
    return policy_get(policy_id=policy_id)


@router.patch("/sla-policies/{policy_id}", response=PolicyOut, summary="Change an SLA policy (new promises only)")
def update_policy(request: HttpRequest, policy_id: int, data: PolicyPatch) -> object:
    _admin(request)
    policy = policy_get(policy_id=policy_id)
    return policies.policy_update(policy=policy, **_policy_refs(data.model_dump(exclude_unset=True)))


# --- the promise-kept rate ----------------------------------------------------------


class KeptRateQuery(Schema):
    date_from: date | None = Field(None, alias="from", description="First day (YYYY-MM-DD); default: 30 days ago.")
    date_to: date | None = Field(None, alias="to", description="First day left out; default: tomorrow.")
    by: Literal["kind", "channel", "team", "agent"] = "kind"


class KeptRateRowOut(Schema):
    key: int | str | None
    label: str
    kept: int
    broken: int
    rate: float | None = Field(..., description="kept / (kept + broken); null when none was decided.")


class KeptRateOut(Schema):
    date_from: date = Field(..., alias="from")
    date_to: date = Field(..., alias="to")
    by: str
    rows: list[KeptRateRowOut]


@router.get(
    "/promises/kept-rate",
    response=KeptRateOut,
    by_alias=True,
    tags=["promises"],
    summary="Promise-kept rate per kind, channel, team or agent",
    description="Of the promises due in [from, to) (days in the site's time zone) that were kept or broken, "
    "the share kept. Cancelled and pending promises do not count; only promises you may see do.",
)
def promise_kept_rate(request: HttpRequest, filters: Query[KeptRateQuery]) -> object:
    access.require(request.auth, access.Perm.BOARD_VIEW)  # type: ignore[attr-defined]
    today = timezone.localdate(clock.now(), timezone.get_default_timezone())
    start, end = kept_rate_period(date_from=filters.date_from, date_to=filters.date_to, today=today)
    rows = kept_rate(agent=request.auth, date_from=start, date_to=end, group_by=filters.by)  # type: ignore[attr-defined]
    return {"from": start, "to": end, "by": filters.by, "rows": rows}


@router.get(
    "/promises/eta-held",
    response=EtaHeldOut,
    by_alias=True,
    tags=["promises"],
    summary="How often acknowledged ETAs held, per channel and case type",
    description="Of the first-response times told in acknowledgements (promises with an ETA basis) due in "
    "[from, to) (days in the site's time zone) that were decided, how many held: answered by the time told. "
    "Broken ones and ones kept after the time told missed. Only promises you may see count.",
)
def promise_eta_held(request: HttpRequest, filters: Query[EtaHeldQuery]) -> object:
    access.require(request.auth, access.Perm.BOARD_VIEW)  # type: ignore[attr-defined]
    today = timezone.localdate(clock.now(), timezone.get_default_timezone())
    start, end = kept_rate_period(date_from=filters.date_from, date_to=filters.date_to, today=today)
    rows = eta_held_rates(agent=request.auth, date_from=start, date_to=end, team=filters.team)  # type: ignore[attr-defined]
    return {"from": start, "to": end, "rows": rows, "total": eta_held_total(rows)}
