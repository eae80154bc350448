"""Models of the webhooks channel (imported by lofte/channels/models.py so Django finds them).

A `WebhookSource` is another system allowed to post messages to
/api/v1/inbound/webhook/<name>, signing each with its secret. Every accepted
message leaves a `WebhookMessage` (unique per source and external id, which
makes duplicates race-proof, and carries the sender's thread id for
threading); every refused one a `WebhookRejection` for the admin.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lofte.accounts.models import Team
from lofte.cases.models import Case, CaseType, Message

__all__ = ["RejectionReason", "WebhookMessage", "WebhookRejection", "WebhookSource", "new_webhook_secret"]

MAX_SOURCE_NAME = 40
MAX_EXTERNAL_ID = 200
BODY_HEAD_BYTES = 2048


def new_webhook_secret() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


class WebhookSource(models.Model):
    """Another system (a social-media bridge, a web shop) that posts signed messages to Lofte."""

    name = models.SlugField(
        _("name"),
        max_length=MAX_SOURCE_NAME,
        unique=True,
        help_text=_("Part of the address it posts to: /api/v1/inbound/webhook/<name>."),
    )
    display_name = models.CharField(
        _("display name"),
        max_length=100,
        blank=True,
        help_text=_("Shown with each message on the case (the name when empty)."),
    )
    secret = models.CharField(
        _("secret"),
        max_length=128,
        default=new_webhook_secret,
        help_text=_("The sender signs every request with it (HMAC-SHA256). Generated; give it to the sender."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("team for new cases")
    )
    case_type = models.ForeignKey(
        CaseType,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case type for new cases"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    secret_changed_at = models.DateTimeField(_("secret generated"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook source")
        verbose_name_plural = _("webhook sources")

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        return self.display_name or self.name


class WebhookMessage(models.Model):
    """One message a source delivered, by its external id: the guard against duplicates and the thread index."""

    source = models.ForeignKey(
        WebhookSource, on_delete=models.PROTECT, related_name="messages", verbose_name=_("source")
    )
    external_id = models.CharField(_("external id"), max_length=MAX_EXTERNAL_ID)
    thread = models.CharField(
        _("thread"), max_length=MAX_EXTERNAL_ID, blank=True, help_text=_("The sender's thread id, when it gave one.")
    )
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("case")
    )
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("case message")
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("webhook message")
        verbose_name_plural = _("webhook messages")
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="webhook_message_unique_external_id"),
        ]
        indexes = [models.Index(fields=["source", "thread"], name="webhook_message_thread")]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.external_id}"


class RejectionReason(models.TextChoices):
    UNKNOWN_SOURCE = "unknown_source", _("Unknown or inactive source")
    SIGNATURE_MISSING = "signature_missing", _("Signature or timestamp missing")
    SIGNATURE_INVALID = "signature_invalid", _("Signature does not match")
    TIMESTAMP_INVALID = "timestamp_invalid", _("Timestamp is not a number")
    TIMESTAMP_STALE = "timestamp_stale", _("Timestamp outside the allowed window")
    TOO_LARGE = "too_large", _("Body too large")
    INVALID_JSON = "invalid_json", _("Malformed JSON")
    VALIDATION_ERROR = "validation_error", _("Missing or wrong fields")


class WebhookRejection(models.Model):
    """A request to the webhook endpoint that was refused, and why; read-only in the admin."""

    source_name = models.CharField(_("source (as given)"), max_length=100)
    source = models.ForeignKey(
        WebhookSource,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rejections",
        verbose_name=_("source"),
    )
    reason = models.CharField(_("reason"), max_length=20, choices=RejectionReason.choices)
    detail = models.TextField(_("detail"), blank=True)
    remote_ip = models.GenericIPAddressField(_("remote IP"), null=True, blank=True)
    body_size = models.PositiveBigIntegerField(_("body size (bytes)"), default=0)
    body_head = models.TextField(
        _("start of the body"), blank=True, help_text=_("The first 2 KB, as text (undecodable bytes replaced).")
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("webhook rejection")
        verbose_name_plural = _("webhook rejections")
        indexes = [models.Index(fields=["-received_at", "-id"], name="webhook_rejection_received")]

    def __str__(self) -> str:
        return f"{self.source_name}: {self.reason}"
