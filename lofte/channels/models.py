"""Channel configuration and the raw record of everything that came in.

A `Mailbox` is one address customers write to: where Lofte fetches its mail
(IMAP), how replies from it are sent (SMTP), and the team and case type new
cases from it get. An `InboundEmail` is one received message, unique by the
SHA-256 of its raw bytes, which are stored (in the row, or for a large message
in a file) before anything else happens, with what became of it: the outcome,
the case, or the reason it is in quarantine.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lofte.accounts.models import Team
from lofte.cases.models import Case, CaseType, Message


class Security(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (local testing only)")


class AfterFetch(models.TextChoices):
    MOVE = "move", _("Move to the processed folder")
    SEEN = "seen", _("Mark as read and leave in place")


class Mailbox(models.Model):
    """An address customers write to, with its IMAP fetching and SMTP sending."""

    name = models.SlugField(
        _("name"), max_length=50, unique=True, help_text=_("Short name, used by `lofte email_ingest --mailbox`.")
    )
    address = models.EmailField(_("address"), unique=True, help_text=_("Replies are sent from this address."))
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
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
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_(
            "The language customers who write here are answered in when Lofte does not know theirs yet "
            "(empty: LOFTE_CUSTOMER_LANGUAGE)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    imap_host = models.CharField(
        _("IMAP server"), max_length=255, blank=True, help_text=_("Leave empty when mail is piped or posted in.")
    )
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(_("IMAP security"), max_length=8, choices=Security.choices, default=Security.SSL)
    imap_user = models.CharField(_("IMAP user"), max_length=255, blank=True)
    imap_password = models.CharField(_("IMAP password"), max_length=255, blank=True)
    imap_folder = models.CharField(_("folder to fetch"), max_length=255, default="INBOX")
    after_fetch = models.CharField(
        _("after fetching"), max_length=8, choices=AfterFetch.choices, default=AfterFetch.MOVE
    )
    processed_folder = models.CharField(_("processed folder"), max_length=255, default="Lofte/Processed")
    last_polled_at = models.DateTimeField(_("last fetched"), null=True, blank=True)
    last_error = models.TextField(_("last fetching error"), blank=True)

    smtp_host = models.CharField(
        _("SMTP server"), max_length=255, blank=True, help_text=_("Leave empty to send through the global settings.")
    )
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=587)
    smtp_security = models.CharField(
        _("SMTP security"), max_length=8, choices=Security.choices, default=Security.STARTTLS
    )
    smtp_user = models.CharField(_("SMTP user"), max_length=255, blank=True)
    smtp_password = models.CharField(_("SMTP password"), max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def from_header(self) -> str:
        from email.headerregistry import Address

        return (
            str(Address(display_name=self.display_name, addr_spec=self.address)) if self.display_name else self.address
        )


class InboundState(models.TextChoices):
    PENDING = "pending", _("Stored, not yet processed")
    PROCESSED = "processed", _("Processed")
    QUARANTINED = "quarantined", _("Quarantined")


class Outcome(models.TextChoices):
    CREATED = "created", _("New case")
    APPENDED = "appended", _("Added to a case")
    DUPLICATE = "duplicate", _("Duplicate, ignored")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    BOUNCE = "bounce", _("Bounce")
    FEEDBACK_REPORT = "feedback_report", _("Spam complaint (feedback report)")
    READ_RECEIPT = "read_receipt", _("Read receipt")
    QUARANTINED = "quarantined", _("Quarantined")


class Source(models.TextChoices):
    IMAP = "imap", _("IMAP")
    API = "api", _("API")
    CLI = "cli", _("Command line")


def raw_path(sha256: str) -> str:
    return f"inbound/{sha256[:2]}/{sha256}.eml"


class InboundEmail(models.Model):
    """One received email: its raw bytes (content-addressed) and what became of it."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size = models.PositiveBigIntegerField(_("size"))
    raw = models.BinaryField(
        null=True,
        editable=False,
        help_text="The message's bytes, when small enough to keep in the row; larger ones are a file named by sha256.",
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("mailbox")
    )
    state = models.CharField(_("state"), max_length=12, choices=InboundState.choices, default=InboundState.PENDING)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    error = models.TextField(_("reason"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    accepted_message_id = models.CharField(
        max_length=255,
        null=True,
        blank=True,
        editable=False,
        help_text="The Message-ID once the message is on a case: unique, so a race cannot store it twice.",
    )
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("case")
    )
    case_message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("case message")
    )
    attempts = models.PositiveIntegerField(_("processing attempts"), default=0)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        constraints = [
            models.UniqueConstraint(fields=["accepted_message_id"], name="inbound_accepted_message_id"),
        ]
        indexes = [
            models.Index(fields=["from_address", "received_at"], name="inbound_from"),
            models.Index(fields=["state", "-received_at"], name="inbound_state"),
            models.Index(fields=["message_id"], name="inbound_message_id"),
        ]

    def __str__(self) -> str:
        return f"{self.subject or self.sha256[:12]} ({self.get_state_display()})"

    @property
    def raw_path(self) -> str:
        return raw_path(self.sha256)

    @property
    def raw_in_file(self) -> bool:
        return self.raw is None


# the models of the other channels live with their code; importing them here registers them with Django
from lofte.channels.sms.models import *  # noqa: E402, F403
from lofte.channels.webhooks.models import *  # noqa: E402, F403
