"""Admin: SMS opt-outs (an admin may add or remove one for a customer who asked by phone), inbound SMS and
delivery reports (read only), and the SMS settings (read only, never their secrets: they are changed on
/configure/sms/, which validates them). Imported by lofte/channels/admin.py."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from lofte.channels.sms.models import InboundSms, SmsDelivery, SmsOptOut, SmsSettings
from lofte.core.errors import ValidationFailed
from lofte.customers.identities import normalise_phone


class SmsOptOutForm(forms.ModelForm[SmsOptOut]):
    class Meta:
        model = SmsOptOut
        fields = ["phone", "keyword"]

    def clean_phone(self) -> str:
        try:
            return normalise_phone(self.cleaned_data["phone"])
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(SmsOptOut)
class SmsOptOutAdmin(admin.ModelAdmin[SmsOptOut]):
    form = SmsOptOutForm
    list_display = ["phone", "keyword", "opted_out_at"]
    search_fields = ["phone"]
    readonly_fields = ["opted_out_at"]


@admin.register(InboundSms)
class InboundSmsAdmin(admin.ModelAdmin[InboundSms]):
    list_display = ["received_at", "sender", "outcome", "case", "provider", "provider_id"]
    list_filter = ["outcome", "provider"]
    search_fields = ["sender", "provider_id", "case__reference"]
    list_select_related = ["case"]
    readonly_fields = [f.name for f in InboundSms._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: InboundSms | None = None) -> bool:
        return False


@admin.register(SmsDelivery)
class SmsDeliveryAdmin(admin.ModelAdmin[SmsDelivery]):
    list_display = ["updated_at", "provider_id", "status", "delivered_at", "outbox_message"]
    list_filter = ["status", "provider"]
    search_fields = ["provider_id"]
    list_select_related = ["outbox_message"]
    readonly_fields = [f.name for f in SmsDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SmsDelivery | None = None) -> bool:
        return False


@admin.register(SmsSettings)
class SmsSettingsAdmin(admin.ModelAdmin[SmsSettings]):
    list_display = ["provider", "sender", "password_set", "token_set", "updated_at", "updated_by", "settings_page"]
    fields = ("provider", "sender", "elks_username", "password_set", "token_set", "allowed_ips", "updated_at")
    readonly_fields = fields
    list_select_related = ["updated_by"]

    @admin.display(boolean=True, description=_("46elks API password"))
    def password_set(self, obj: SmsSettings) -> bool:
        return bool(obj.elks_password)

    @admin.display(boolean=True, description=_("webhook token"))
    def token_set(self, obj: SmsSettings) -> bool:
        return bool(obj.webhook_token)

    @admin.display(description=_("SMS settings"))
    def settings_page(self, obj: SmsSettings) -> str:
        return format_html('<a href="/configure/sms/">{}</a>', _("SMS provider"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SmsSettings | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SmsSettings | None = None) -> bool:
        return False
