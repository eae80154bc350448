"""Models of the sms channel (imported by lofte/channels/models.py so Django finds them).

An `InboundSms` is one text message received from a provider, unique by the
provider's id, so a provider that retries its webhook files it once. An
`SmsDelivery` is the latest delivery report for one SMS Lofte sent. An
`SmsOptOut` is a number that sent STOP: nothing more is sent to it by SMS
until it sends START.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lofte.cases.models import Case, Message
from lofte.outbox.models import OutboxMessage

__all__ = ["DeliveryStatus", "InboundSms", "InboundSmsOutcome", "SmsDelivery", "SmsOptOut"]


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
