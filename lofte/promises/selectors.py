"""Reads for calendars, policies and promises."""

from __future__ import annotations

from django.utils.translation import gettext as _

from lofte.core.errors import NotFound, ValidationFailed
from lofte.promises.hooks import hours_fallback
from lofte.promises.models import BusinessCalendar, SlaPolicy, TeamCalendar


def calendar_list() -> list[BusinessCalendar]:
    return list(BusinessCalendar.objects.order_by("name"))


def calendar_get(*, calendar_id: int) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound(_("Calendar %(id)s not found.") % {"id": calendar_id})
    return calendar


def policy_list() -> list[SlaPolicy]:
    return list(SlaPolicy.objects.order_by("order", "id"))


def policy_get(*, policy_id: int) -> SlaPolicy:
    policy = SlaPolicy.objects.filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(_("SLA policy %(id)s not found.") % {"id": policy_id})
    return policy


def case_type_for_policy(case_type_id: int):  # type: ignore[no-untyped-def]
    """A case type by id, for a policy condition (reached through the policy's own relation to it)."""
    model = SlaPolicy._meta.get_field("case_type").related_model
    case_type = model._default_manager.filter(pk=case_type_id).first()  # type: ignore[union-attr]
    if case_type is None:
        raise ValidationFailed(_("There is no case type %(id)s.") % {"id": case_type_id}, field="case_type")
    return case_type


def team_calendar(*, team_id: int | None) -> BusinessCalendar | None:
    """The team's business hours (set with `lofte.promises.calendars.team_calendar_set`), or None."""
    if team_id is None:
        return None
    link = TeamCalendar.objects.select_related("calendar").filter(team_id=team_id).first()
    return link.calendar if link is not None else None


def team_hours(
    *, team_id: int | None, memo: dict[int | None, BusinessCalendar | None] | None = None
) -> BusinessCalendar | None:
    """When the team is open, for times told to its customers: its business hours, else the calendar its
    callbacks are made in (the callbacks app answers through lofte.promises.hooks), else None. `memo` keeps
    what was read, by team, for a caller that asks again within one short piece of work."""
    if memo is not None and team_id in memo:
        return memo[team_id]
    calendar = team_calendar(team_id=team_id)
    if calendar is None and team_id is not None:
        calendar = hours_fallback(team_id)
    if memo is not None:
        memo[team_id] = calendar
    return calendar
