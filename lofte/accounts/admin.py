from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from lofte.accounts.models import Agent, ApiToken, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "email", "created_at"]
    search_fields = ["name"]


@admin.register(Agent)
class AgentAdmin(UserAdmin):  # type: ignore[type-arg]
    ordering = ["email"]
    list_display = ["email", "name", "role", "is_active"]
    list_filter = ["role", "is_active", "teams"]
    search_fields = ["email", "name"]
    filter_horizontal = ["teams"]
    # The role decides what an agent may do (lofte/accounts/access.py): no separate staff flag, groups or
    # per-model permissions that could disagree with it.
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("name", "role", "teams", "language", "time_zone")}),
        (_("Access"), {"fields": ("is_active",)}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "name", "role", "teams", "password1", "password2")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["prefix", "agent", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "agent__email", "name"]
    readonly_fields = ["prefix", "token_hash", "created_at", "last_used_at"]
    list_select_related = ["agent"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        # Tokens are issued by `lofte api_token create`, which shows the secret once.
        return False
