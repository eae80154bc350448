"""The transactional outbox: every outgoing message and outbound side effect is a row here."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Queued")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Failed")
    BOUNCED = "bounced", _("Bounced")


class OutboxMessage(models.Model):
    """One delivery, written in the same transaction as the change that caused it.

    A worker claims it with a conditional UPDATE (a lease until `claimed_until`),
    delivers it through the transport for `channel`, and marks it sent; a failure
    backs off exponentially with jitter and, after the last attempt, the row is
    dead and shown to admins. `external_id` (an email's Message-ID) is fixed
    when the row is written, so a redelivery after a crash is recognisably the
    same message.
    """

    channel = models.CharField(_("channel"), max_length=16)
    to = models.CharField(_("to"), max_length=254)
    payload = models.JSONField(_("payload"), default=dict)
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    automatic = models.BooleanField(
        _("automatic"),
        default=False,
        db_default=False,
        help_text=_("Sent by Lofte on its own (acknowledgement, notice), not by a person."),
    )
    state = models.CharField(_("state"), max_length=8, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=64, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    provider_id = models.CharField(_("provider id"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    dead_at = models.DateTimeField(_("failed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(state="pending"),
                name="outbox_due",
            ),
            models.Index(fields=["state", "-created_at"], name="outbox_state"),
            models.Index(fields=["to", "created_at"], condition=models.Q(automatic=True), name="outbox_automatic"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to} ({self.state})"
