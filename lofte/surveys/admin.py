from django.contrib import admin

from lofte.surveys.models import Survey, SurveyRule


@admin.register(SurveyRule)
class SurveyRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("kind", "case_type", "channel", "enabled", "delay_minutes", "quarantine_days")
    list_filter = ("kind", "enabled")


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("kind", "case", "state", "due_at", "score", "helped", "answered_at")
    list_filter = ("kind", "state")
    raw_id_fields = ("case", "customer", "agent")
    exclude = ("nonce",)
