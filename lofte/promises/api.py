"""Calendars and SLA policies over the API; admins write, every agent reads."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.accounts.selectors import team_get
from lofte.core import clock
from lofte.core.errors import NotFound, ValidationFailed
from lofte.core.schemas import Day, ErrorOut, Id, InSchema, Moment
from lofte.promises import calendars, policies
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


ADMIN_ONLY = "Admins only (403 permission_denied for other roles)."


@router.post(
    "/calendars",
    response={201: CalendarOut, 403: ErrorOut},
    summary="Create a business calendar",
    description=ADMIN_ONLY,
)
def create_calendar(request: HttpRequest, data: CalendarIn) -> object:
    _admin(request)
    values = data.model_dump()
    if values["opening_hours"] is None:
        values.pop("opening_hours")
    return Status(201, calendars.calendar_create(**values))


@router.get("/calendars/{calendar_id}", response={200: CalendarOut, 404: ErrorOut}, summary="Get a business calendar")
def get_calendar(request: HttpRequest, calendar_id: Id) -> object:
    return calendar_get(calendar_id=calendar_id)


@router.patch(
    "/calendars/{calendar_id}",
    response={200: CalendarOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change a business calendar",
    description=f"Only the fields given are changed; `{{}}` changes nothing and answers the calendar. {ADMIN_ONLY}",
)
def update_calendar(request: HttpRequest, calendar_id: Id, data: CalendarPatch) -> object:
    _admin(request)
    calendar = calendar_get(calendar_id=calendar_id)
    changes = data.model_dump(exclude_unset=True)
    if not changes:  # `{}` asks for nothing: no write, updated_at stays
        return calendar
    return calendars.calendar_update(calendar=calendar, **changes)


@router.get(
    "/calendars/{calendar_id}/due",
    response={200: DueOut, 404: ErrorOut},
    summary="When N business minutes after a start end",
    description="The due time of a target of `minutes` business minutes starting at `start` on this calendar, in "
    "UTC. A due time past the year 9999 is a 422 naming start.",
)
def calendar_due(
    request: HttpRequest,
    calendar_id: Id,
    start: Moment,
    minutes: Annotated[int, Query(ge=0, le=calendars.MAX_PREVIEW_MINUTES, description="0 to a year of minutes.")],
) -> object:
    calendar = calendar_get(calendar_id=calendar_id)
    return {"due_at": calendars.calendar_due_at(calendar=calendar, start=start, minutes=minutes)}


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


@router.post(
    "/sla-policies",
    response={201: PolicyOut, 403: ErrorOut},
    summary="Create an SLA policy",
    description=f"An unknown team, case type or calendar is a 422 naming it. {ADMIN_ONLY}",
)
def create_policy(request: HttpRequest, data: PolicyIn) -> object:
    _admin(request)
    return Status(201, policies.policy_create(**_policy_refs(data.model_dump())))


@router.get("/sla-policies/{policy_id}", response={200: PolicyOut, 404: ErrorOut}, summary="Get an SLA policy")
def get_policy(request: HttpRequest, policy_id: Id) -> SlaPolicy:
    return policy_get(policy_id=policy_id)


@router.patch(
    "/sla-policies/{policy_id}",
    response={200: PolicyOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change an SLA policy (new promises only)",
    description="Only the fields given are changed; `{}` changes nothing and answers the policy. An unknown team, "
    f"case type or calendar is a 422 naming it. {ADMIN_ONLY}",
)
def update_policy(request: HttpRequest, policy_id: Id, data: PolicyPatch) -> object:
    _admin(request)
    policy = policy_get(policy_id=policy_id)
    changes = data.model_dump(exclude_unset=True)
    if not changes:  # `{}` asks for nothing: no write, updated_at stays
        return policy
    return policies.policy_update(policy=policy, **_policy_refs(changes))


# --- the promise-kept rate ----------------------------------------------------------


class KeptRateQuery(InSchema):
    date_from: Day | None = Field(None, alias="from", description="First day (YYYY-MM-DD); default: 30 days ago.")
    date_to: Day | None = Field(None, alias="to", description="First day left out; default: tomorrow.")
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
    today = timezone.localdate(clock.now(), timezone.get_default_timezone())
    start, end = kept_rate_period(date_from=filters.date_from, date_to=filters.date_to, today=today)
    rows = eta_held_rates(agent=request.auth, date_from=start, date_to=end, team=filters.team)  # type: ignore[attr-defined]
    return {"from": start, "to": end, "rows": rows, "total": eta_held_total(rows)}
