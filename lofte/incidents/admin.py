"""Admin: the status page's components (in groups, names per language), the update cadence per severity, and the
subscribers (looked at and removed; they sign up and confirm themselves). Incidents are opened, updated and
resolved on their own pages, where each step is a promise and on the timeline."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from lofte.incidents.models import CadenceStep, Component, ComponentGroup, Subscriber
from lofte.incidents.status import status_changed


class StatusAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Every change shows on the status page at once (in this process; within seconds in the others)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        status_changed()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        status_changed()


class ComponentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Component
    extra = 1
    fields = ["name", "names", "position", "is_active"]


@admin.register(ComponentGroup)
class ComponentGroupAdmin(StatusAdmin):
    list_display = ["name", "position"]
    inlines = [ComponentInline]


@admin.register(Component)
class ComponentAdmin(StatusAdmin):
    list_display = ["name", "group", "position", "is_active"]
    list_filter = ["is_active", "group"]


@admin.register(CadenceStep)
class CadenceStepAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["severity", "after_minutes", "every_minutes"]
    list_filter = ["severity"]


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["address", "kind", "language", "created_at", "confirmed_at", "unsubscribed_at"]
    list_filter = ["kind", "language"]
    search_fields = ["address"]
    readonly_fields = ["kind", "address", "nonce", "created_at", "confirmed_at", "unsubscribed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
