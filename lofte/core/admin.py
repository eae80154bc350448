from django.contrib import admin

from lofte.core.models import ScheduledJob


@admin.register(ScheduledJob)
class ScheduledJobAdmin(admin.ModelAdmin[ScheduledJob]):
    list_display = ["name", "next_run_at", "last_run_at", "last_worker"]
    readonly_fields = ["name", "last_run_at", "last_worker"]
