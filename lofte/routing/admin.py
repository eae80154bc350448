"""Admin: routing rows to look at for support (they are changed on the routing pages and through the API)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from lofte.routing.models import Availability, ChannelCapacity, RoutingSettings, Skill, TeamRouting


class ReadMostly(admin.ModelAdmin):  # type: ignore[type-arg]
    """Seen here; changed in the product, where the checks and the timeline are."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class CapacityInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ChannelCapacity
    extra = 0
    readonly_fields = ["channel", "capacity"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Availability)
class AvailabilityAdmin(ReadMostly):
    list_display = ["agent", "status", "status_since", "default_capacity", "total_capacity"]
    list_filter = ["status"]
    list_select_related = ["agent"]
    search_fields = ["agent__email", "agent__name"]
    readonly_fields = ["agent", "status", "status_since"]
    filter_horizontal = ["skills"]
    inlines = [CapacityInline]


@admin.register(TeamRouting)
class TeamRoutingAdmin(ReadMostly):
    list_display = [
        "team",
        "mode",
        "grace_minutes",
        "require_language",
        "require_product",
        "require_channel",
        "require_tier",
    ]
    list_select_related = ["team"]
    readonly_fields = ["team", "last_agent_id", "updated_at"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["kind", "value"]
    list_filter = ["kind"]
    search_fields = ["value"]


@admin.register(RoutingSettings)
class RoutingSettingsAdmin(ReadMostly):
    list_display = ["__str__", "triage_team"]
