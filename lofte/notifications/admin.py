from django.contrib import admin

from lofte.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ["agent", "kind", "text", "created_at", "read_at"]
    list_filter = ["kind", "read_at"]
    search_fields = ["text", "agent__email"]
    list_select_related = ["agent"]
    raw_id_fields = ["agent"]
