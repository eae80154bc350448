"""The SMS settings page's forms: they turn what the admin types into the service's values; the service
(lofte.channels.sms.settings_services) validates. The password and the webhook token are write-only: never
rendered back, empty keeps the stored one, a checkbox clears it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from lofte.channels.sms.config import SmsConfig
from lofte.channels.sms.models import SmsProviderChoice
from lofte.channels.sms.settings_services import SmsSettingsValues
from lofte.core.errors import ValidationFailed

MAX_ALLOWED_IPS_TEXT = 4000
_WRITE_ONLY = {"autocomplete": "new-password", "spellcheck": "false"}


def apply_error(form: forms.Form, exc: ValidationFailed) -> None:
    """Put a service's error beside the field it names (or above the form)."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class SmsSettingsForm(forms.Form):
    provider = forms.ChoiceField(
        label=gettext_lazy("Provider"), choices=SmsProviderChoice.choices, initial=SmsProviderChoice.NONE
    )
    sender = forms.CharField(
        label=gettext_lazy("Sender"),
        max_length=40,
        required=False,
        help_text=gettext_lazy(
            "A phone number (+46766861004): customers can answer it. Or a name of at most 11 letters, digits and "
            "spaces (Lofte): customers cannot answer a name."
        ),
    )
    elks_username = forms.CharField(
        label=gettext_lazy("46elks API username"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    elks_password = forms.CharField(
        label=gettext_lazy("46elks API password"),
        max_length=255,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs=_WRITE_ONLY),
    )
    clear_elks_password = forms.BooleanField(label=gettext_lazy("Clear the stored password"), required=False)
    webhook_token = forms.CharField(
        label=gettext_lazy("Webhook token"),
        max_length=128,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs=_WRITE_ONLY),
    )
    clear_webhook_token = forms.BooleanField(
        label=gettext_lazy("Clear the token (webhooks off: inbound SMS and delivery reports are refused)"),
        required=False,
    )
    allowed_ips = forms.CharField(
        label=gettext_lazy("Addresses webhooks may come from"),
        max_length=MAX_ALLOWED_IPS_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "192.0.2.0/24", "spellcheck": "false"}),
        help_text=gettext_lazy(
            "One IP address or network per line (192.0.2.10, 192.0.2.0/24, 2001:db8::/32). Empty: any address; "
            "the token alone decides."
        ),
    )

    GROUPS = (
        ("", ("provider", "sender")),
        (gettext_lazy("46elks"), ("elks_username", "elks_password", "clear_elks_password")),
        (gettext_lazy("Webhooks"), ("webhook_token", "clear_webhook_token", "allowed_ips")),
    )

    def __init__(self, *args: Any, config: SmsConfig, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["elks_password"].help_text = (
            gettext_lazy("A password is stored: leave empty to keep it (it is never shown).")
            if config.elks_password
            else gettext_lazy("No password is stored.")
        )
        self.fields["webhook_token"].help_text = (
            gettext_lazy(
                "A token is stored: leave empty to keep it (it is never shown here), or type the one the provider "
                "already has. Or let Lofte make one (below)."
            )
            if config.webhook_token
            else gettext_lazy("No token is stored: webhooks are off. Type one, or let Lofte make one (below).")
        )

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(str(title), [self[name] for name in names]) for title, names in self.GROUPS]

    @staticmethod
    def initial_for(config: SmsConfig) -> dict[str, Any]:
        """Everything but the secrets, which are never sent back to the browser."""
        return {
            "provider": config.provider or SmsProviderChoice.NONE.value,
            "sender": config.sender,
            "elks_username": config.elks_username,
            "allowed_ips": "\n".join(config.allowed_ips),
        }

    def values(self) -> SmsSettingsValues:
        data = self.cleaned_data
        return SmsSettingsValues(
            provider=data["provider"],
            sender=data.get("sender") or "",
            elks_username=data.get("elks_username") or "",
            elks_password=data.get("elks_password") or None,
            clear_elks_password=bool(data.get("clear_elks_password")),
            webhook_token=data.get("webhook_token") or None,
            clear_webhook_token=bool(data.get("clear_webhook_token")),
            allowed_ips=tuple(
                part.strip() for line in (data.get("allowed_ips") or "").splitlines() for part in line.split(",")
            ),
        )


class SmsTestForm(forms.Form):
    to = forms.CharField(
        label=gettext_lazy("Send a test SMS to"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "+46701234567"}),
    )
