from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lofte.outbox.models import OutboxMessage, OutboxState
from lofte.outbox.services import outbox_retry


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    list_display = ["id", "channel", "to", "state", "attempts", "next_attempt_at", "created_at", "sent_at"]
    list_filter = ["state", "channel"]
    search_fields = ["to", "external_id", "last_error"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Retry the selected failed deliveries"))
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        rows = list(queryset.filter(state=OutboxState.DEAD))
        for row in rows:
            outbox_retry(row=row)
        self.message_user(
            request,
            ngettext("%d delivery queued again.", "%d deliveries queued again.", len(rows)) % len(rows),
            messages.SUCCESS,
        )
