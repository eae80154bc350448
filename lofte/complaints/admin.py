"""Admin: complaint categories (with sub-categories), root causes and the settings are configured here; the
register's rows can be looked at (changed from the case page, where each change is on the timeline)."""

from __future__ import annotations

from django.contrib import admin

from lofte.complaints.models import (
    ApprovalLimit,
    Category,
    Complaint,
    ComplaintSettings,
    ProcedureStep,
    RootCause,
)


class SubCategoryInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Category
    fk_name = "parent"
    extra = 0
    fields = ["name", "names", "order", "is_active", "deadline_hours", "deadline_business_hours"]


class StepInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ProcedureStep
    extra = 1
    fields = ["order", "text", "texts", "required_role", "is_active"]


@admin.register(ApprovalLimit)
class ApprovalLimitAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["role", "currency", "amount"]
    list_filter = ["role", "currency"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "parent", "order", "is_active", "deadline_hours", "update_hours", "check_after_days"]
    list_filter = ["is_active", "deadline_business_hours"]
    list_select_related = ["parent"]
    search_fields = ["name"]
    inlines = [SubCategoryInline, StepInline]


@admin.register(RootCause)
class RootCauseAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]


@admin.register(ComplaintSettings)
class ComplaintSettingsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["__str__", "detection", "owner_team", "deadline_hours", "check_after_days"]


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["case", "customer", "received_at", "channel", "category", "severity", "outcome", "is_active"]
    list_filter = ["is_active", "severity", "outcome", "channel", "source"]
    list_select_related = ["case", "customer", "category"]
    search_fields = ["case__reference", "product"]
    raw_id_fields = ["case", "customer", "owner_agent", "flagged_by"]
    readonly_fields = ["source", "received_at", "deadline_at", "resolved_at", "unflagged_at", "updated_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # a complaint is a case's: flag it there
