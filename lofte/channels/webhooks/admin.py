"""Admin: webhook sources (with their secret and how to sign), the messages they delivered, and every refusal."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lofte.channels.webhooks.models import WebhookMessage, WebhookRejection, WebhookSource
from lofte.channels.webhooks.services import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_source_new_secret


@admin.register(WebhookSource)
class WebhookSourceAdmin(admin.ModelAdmin[WebhookSource]):
    list_display = ["name", "display_name", "is_active", "team", "case_type", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "display_name"]
    actions = ["new_secret"]
    fields = [
        "name",
        "display_name",
        "is_active",
        "team",
        "case_type",
        "endpoint",
        "secret",
        "secret_changed_at",
        "signing",
    ]
    readonly_fields = ["endpoint", "secret", "secret_changed_at", "signing"]

    @admin.display(description=_("address"))
    def endpoint(self, obj: WebhookSource) -> str:
        if not obj.pk:
            return str(_("Shown once saved."))
        return format_html("<code>POST /api/v1/inbound/webhook/{}</code>", obj.name)

    @admin.display(description=_("how to sign"))
    def signing(self, obj: WebhookSource) -> str:
        return format_html(
            "{}<br><code>{}: &lt;unix seconds&gt;</code><br><code>{}: sha256=&lt;hex HMAC-SHA256 of "
            "&quot;&lt;timestamp&gt;.&lt;raw body&gt;&quot; under the secret&gt;</code><br>{}",
            _("Each request carries two headers:"),
            TIMESTAMP_HEADER,
            SIGNATURE_HEADER,
            _("Requests more than five minutes old or ahead are refused. The API documentation has an example."),
        )

    @admin.action(description=_("Generate a new secret (the old one stops working at once)"))
    def new_secret(self, request: HttpRequest, queryset: QuerySet[WebhookSource]) -> None:
        count = 0
        for source in queryset:
            webhook_source_new_secret(source=source)
            count += 1
        self.message_user(
            request,
            ngettext(
                "%d source has a new secret; give it to the sender.",
                "%d sources have new secrets; give them to the senders.",
                count,
            )
            % count,
            messages.SUCCESS,
        )


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WebhookMessage)
class WebhookMessageAdmin(_ReadOnly):
    list_display = ["received_at", "source", "external_id", "thread", "case_link"]
    list_filter = ["source"]
    search_fields = ["external_id", "thread", "case__reference"]
    date_hierarchy = "received_at"
    list_select_related = ["source", "case"]

    @admin.display(description=_("case"))
    def case_link(self, obj: WebhookMessage) -> str:
        if obj.case is None:
            return "—"
        return format_html('<a href="/cases/{}/">{}</a>', obj.case.reference, obj.case.reference)


@admin.register(WebhookRejection)
class WebhookRejectionAdmin(_ReadOnly):
    list_display = ["received_at", "source_name", "reason", "remote_ip", "short_detail", "body_size"]
    list_filter = ["reason", "source"]
    search_fields = ["source_name", "detail", "remote_ip"]
    date_hierarchy = "received_at"
    fields = ["received_at", "source_name", "source", "reason", "detail", "remote_ip", "body_size", "body_head"]

    @admin.display(description=_("detail"))
    def short_detail(self, obj: WebhookRejection) -> str:
        return obj.detail if len(obj.detail) <= 100 else obj.detail[:99] + "…"
