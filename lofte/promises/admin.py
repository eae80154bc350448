"""Admin for calendars, SLA policies and promises. Forms validate through the same services as the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from lofte.core.errors import ValidationFailed
from lofte.promises.calendars import calendar_validate
from lofte.promises.models import BusinessCalendar, Promise, SlaPolicy, TeamCalendar
from lofte.promises.policies import FIELDS as POLICY_FIELDS
from lofte.promises.policies import policy_validate
from lofte.promises.services import policy_cache_clear


def _raise_on(form: forms.ModelForm, exc: ValidationFailed) -> None:  # type: ignore[type-arg]
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


class CalendarForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = BusinessCalendar
        fields = [
            "name",
            "time_zone",
            "country",
            "always_open",
            "opening_hours",
            "closed_on_eves",
            "closed_days",
            "special_hours",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            cleaned = calendar_validate(
                time_zone=data.get("time_zone"),
                country=data.get("country", ""),
                always_open=data.get("always_open", False),
                opening_hours=data.get("opening_hours"),
                closed_on_eves=data.get("closed_on_eves", True),
                closed_days=data.get("closed_days") or [],
                special_hours=data.get("special_hours") or {},
            )
        except ValidationFailed as exc:
            _raise_on(self, exc)
            return data
        data.update(cleaned.stored())
        return data


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin[BusinessCalendar]):
    form = CalendarForm
    list_display = ["name", "time_zone", "country", "always_open", "closed_on_eves", "updated_at"]
    search_fields = ["name"]
    readonly_fields = ["updated_at"]


class PolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = SlaPolicy
        fields = list(POLICY_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            policy_validate(
                {k: data.get(k) for k in POLICY_FIELDS if k in data},
                instance=self.instance if self.instance.pk else None,
            )
        except ValidationFailed as exc:
            _raise_on(self, exc)
        return data


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin[SlaPolicy]):
    form = PolicyForm
    list_display = [
        "name",
        "order",
        "is_active",
        "channel",
        "priority",
        "tier",
        "case_type",
        "team",
        "first_response_minutes",
        "next_update_minutes",
        "resolution_minutes",
        "wall_clock",
    ]
    list_filter = ["is_active", "channel", "tier", "wall_clock"]
    list_select_related = ["case_type", "team"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        policy_cache_clear()


@admin.register(TeamCalendar)
class TeamCalendarAdmin(admin.ModelAdmin[TeamCalendar]):
    """A team's business hours: times told to its customers fall in them (see SlaPolicy.wall_clock)."""

    list_display = ["team", "calendar"]
    list_select_related = ["team", "calendar"]
    search_fields = ["team__name", "calendar__name"]


@admin.register(Promise)
class PromiseAdmin(admin.ModelAdmin[Promise]):
    list_display = [
        "id",
        "kind",
        "case",
        "state",
        "due_at",
        "owner_agent",
        "owner_team",
        "origin",
        "escalation_level",
        "settled_at",
    ]
    list_filter = ["state", "kind", "origin"]
    search_fields = ["case__reference", "customer_text"]
    list_select_related = ["case", "owner_agent", "owner_team"]
    raw_id_fields = ["case", "owner_agent", "owner_team", "policy", "calendar", "created_by", "renewal_of"]
    show_full_result_count = False
