from django.contrib import admin
from django.http import HttpRequest

from lofte.core.models import FailureCounter, ScheduledJob


@admin.register(ScheduledJob)
class ScheduledJobAdmin(admin.ModelAdmin[ScheduledJob]):
    list_display = ["name", "next_run_at", "last_run_at", "last_worker"]
    readonly_fields = ["name", "last_run_at", "last_worker"]


@admin.register(FailureCounter)
class FailureCounterAdmin(admin.ModelAdmin[FailureCounter]):
    """Login and API-token failures being counted, and locks. Deleting a row lifts that lock at once (a
    customer-service lead locked out by someone guessing from the same network, say)."""

    list_display = ["key", "failures", "window_start", "locked_until"]
    search_fields = ["key"]
    readonly_fields = ["key", "failures", "window_start", "locked_until", "expires_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: FailureCounter | None = None) -> bool:
        return False
