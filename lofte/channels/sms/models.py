"""Models of the sms channel (imported by lofte/channels/models.py so Django finds them).

An `InboundSms` is one text message received from a provider, unique by the
provider's id, so a provider that retries its webhook files it once. An
`SmsDelivery` is the latest delivery report for one SMS Lofte sent. An
`SmsOptOut` is a number that sent STOP: nothing more is sent to it by SMS
until it sends START. `SmsSettings` is the provider and its secrets as an
admin set them on the settings page (one row); lofte/channels/sms/config.py
is the one place that reads it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lofte.cases.models import Case, Message
from lofte.outbox.models import OutboxMessage

__all__ = [
    "DeliveryStatus",
    "InboundSms",
    "InboundSmsOutcome",
    "SmsDelivery",
    "SmsOptOut",
    "SmsProviderChoice",
    "SmsSettings",
]


class SmsOptOut(models.Model):
    """A phone number (E.164) that asked for no more SMS; the SMS transport refuses to send to it."""

    phone = models.CharField(_("phone number"), max_length=20, unique=True)
    keyword = models.CharField(_("keyword"), max_length=20, blank=True, help_text=_("What the customer sent."))
    opted_out_at = models.DateTimeField(_("opted out"), default=timezone.now)

    class Meta:
        ordering = ["-opted_out_at", "-id"]
        verbose_name = _("SMS opt-out")
        verbose_name_plural = _("SMS opt-outs")

    def __str__(self) -> str:
        return self.phone


class InboundSmsOutcome(models.TextChoices):
    CREATED = "created", _("New case")
    APPENDED = "appended", _("Added to a case")
    OPT_OUT = "opt_out", _("Opted out (STOP)")
    OPT_IN = "opt_in", _("Opted in again (START)")


class InboundSms(models.Model):
    """One SMS received from a provider, and what became of it."""

    provider = models.CharField(_("provider"), max_length=16)
    provider_id = models.CharField(_("provider id"), max_length=255)
    sender = models.CharField(_("from"), max_length=20, help_text=_("E.164"))
    recipient = models.CharField(_("to"), max_length=32, blank=True)
    text = models.TextField(_("text"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=InboundSmsOutcome.choices, blank=True)
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("case")
    )
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("case message")
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, help_text=_("As the provider reported it."))
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound SMS")
        verbose_name_plural = _("inbound SMS")
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_id"], name="inbound_sms_provider_id"),
        ]
        indexes = [models.Index(fields=["sender", "-received_at"], name="inbound_sms_sender")]

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:40]}"


class DeliveryStatus(models.TextChoices):
    SENT = "sent", _("Sent to the network")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Not delivered")


FINAL_STATUSES = (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)


class SmsDelivery(models.Model):
    """The latest delivery report for one SMS Lofte sent, keyed by the provider's id.

    A final report (delivered, failed) is never overwritten by a late "sent".
    """

    provider = models.CharField(_("provider"), max_length=16)
    provider_id = models.CharField(_("provider id"), max_length=255)
    outbox_message = models.OneToOneField(
        OutboxMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sms_delivery",
        verbose_name=_("delivery"),
    )
    status = models.CharField(_("status"), max_length=16, choices=DeliveryStatus.choices)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("SMS delivery report")
        verbose_name_plural = _("SMS delivery reports")
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_id"], name="sms_delivery_provider_id"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} ({self.status})"


class SmsProviderChoice(models.TextChoices):
    NONE = "none", _("None: Lofte sends and receives no SMS")
    CONSOLE = "console", _("Console: each SMS is written to a file, nothing leaves the machine")
    ELKS = "46elks", _("46elks")


class SmsSettings(models.Model):
    """The SMS provider, the sender and the secrets, as an admin saved them on the settings page: one row (pk 1).

    While there is no row, the environment's LOFTE_SMS_* settings apply; once saved, the row does. Read it only
    through lofte.channels.sms.config.sms_config(). The password and the webhook token are never shown again.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    provider = models.CharField(
        _("provider"), max_length=16, choices=SmsProviderChoice.choices, default=SmsProviderChoice.NONE
    )
    sender = models.CharField(
        _("sender"), max_length=16, blank=True, help_text=_("A number in E.164 or a name of at most 11 characters.")
    )
    elks_username = models.CharField(_("46elks API username"), max_length=255, blank=True)
    elks_password = models.CharField(_("46elks API password"), max_length=255, blank=True)
    webhook_token = models.CharField(_("webhook token"), max_length=128, blank=True)
    allowed_ips = models.JSONField(
        _("allowed addresses"), default=list, blank=True, help_text=_("Addresses or networks webhooks may come from.")
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("SMS settings")
        verbose_name_plural = _("SMS settings")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="sms_settings_singleton")]

    def __str__(self) -> str:
        return "SMS settings"
