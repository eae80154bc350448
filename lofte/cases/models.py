"""Cases, their types and tags, the append-only timeline, messages, notes and attachments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lofte.accounts.models import Team
from lofte.cases.events import EventKind, EventType, event_type
from lofte.core.choices import ACTIVE_STATUSES, Channel, Priority, Status
from lofte.customers.models import Customer

__all__ = ["ACTIVE_STATUSES", "Channel", "EventKind", "Priority", "Status"]


class CaseType(models.Model):
    """What a case is about; carries defaults and the handling expectations for it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    default_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("default team")
    )
    default_priority = models.PositiveSmallIntegerField(
        _("default priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    is_complaint = models.BooleanField(_("complaint"), default=False)
    expected_handling_time = models.DurationField(_("expected handling time"), null=True, blank=True)
    update_interval = models.DurationField(
        _("update interval"), null=True, blank=True, help_text=_("How often the customer is updated while open.")
    )
    breach_notice = models.BooleanField(
        _("tell the customer when a promise is broken"),
        default=False,
        help_text=_("An honest message with a new time, which is itself a new promise."),
    )
    breach_notice_hours = models.PositiveSmallIntegerField(
        _("new time after a broken promise (business hours)"), default=4
    )
    answers_status_questions = models.BooleanField(
        _("answer status questions"),
        default=True,
        help_text=_(
            "When a customer only asks how the case is going and it has an open promise, Lofte answers with the "
            "promised time and what was promised."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_public = models.BooleanField(
        _("on the contact form"), default=False, help_text=_("Customers can choose it on the public contact form.")
    )
    public_names = models.JSONField(
        _("names for customers"),
        default=dict,
        blank=True,
        help_text=_('The name customers see, per language: {"sv": "Faktura", "en": "Invoice"}.'),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("case type")
        verbose_name_plural = _("case types")

    def __str__(self) -> str:
        return self.name

    def public_name(self, language: str) -> str:
        """The name customers see in `language` (then English, then the internal name)."""
        names = self.public_names or {}
        return str(names.get(language) or names.get(language.split("-")[0]) or names.get("en") or self.name)


def normalise_tag(name: str) -> str:
    """How a tag name is stored and looked up: inner whitespace collapsed, lower-case, at most 50 characters."""
    return " ".join(name.split()).lower()[:50]


class Tag(models.Model):
    """A free label on cases; names are stored as `normalise_tag` makes them."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class ReferenceSequence(models.Model):
    """The last case number handed out in a year; incremented atomically."""

    year = models.PositiveIntegerField(primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reference sequence")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_value}"


class Case(models.Model):
    """One customer matter across any number of channels (ärende)."""

    reference = models.CharField(_("reference"), max_length=32, unique=True)
    subject = models.CharField(_("subject"), max_length=255)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="cases", verbose_name=_("customer"))
    status = models.CharField(_("status"), max_length=32, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases", verbose_name=_("team")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    case_type = models.ForeignKey(
        CaseType, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases", verbose_name=_("case type")
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="cases", verbose_name=_("tags"))
    channel = models.CharField(_("channel of origin"), max_length=16, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=8, blank=True)
    inbox_address = models.CharField(
        _("written to"),
        max_length=254,
        blank=True,
        default="",
        db_default="",
        help_text=_("The address the customer wrote to; replies come from it."),
    )
    reply_to = models.CharField(
        _("reply to"),
        max_length=254,
        blank=True,
        default="",
        db_default="",
        help_text=_(
            "An address given with the contact but not proven to be the customer's: this case's replies may go "
            "there when the customer has no address of that kind. It opens no portal and joins no customer."
        ),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(
        _("acknowledged"), null=True, blank=True, help_text=_("When the customer was sent the acknowledgement.")
    )
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    next_due_at = models.DateTimeField(
        _("next promise due"), null=True, blank=True, help_text=_("The earliest pending promise on the case.")
    )
    follow_up_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("follow-up of"),
        help_text=_("The closed case the customer wrote to again."),
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="case_updated"),
            models.Index(fields=["-created_at", "-id"], name="case_created"),
            models.Index(fields=["status", "-updated_at", "-id"], name="case_status_updated"),
            models.Index(fields=["assignee", "status", "-updated_at"], name="case_assignee_status"),
            models.Index(fields=["team", "status", "-updated_at"], name="case_team_status"),
            models.Index(fields=["customer", "-created_at"], name="case_customer"),
            models.Index(fields=["next_due_at", "id"], name="case_next_due"),
            # the inbox's "solved today": today's solved cases, not every solved case there ever was
            models.Index(fields=["solved_at"], condition=models.Q(status="solved"), name="case_solved_at"),
            # the acknowledgement job's scan: new cases not yet acknowledged
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(acknowledged_at__isnull=True),
                name="case_unacknowledged",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Direction(models.TextChoices):
    IN = "in", _("Inbound")
    OUT = "out", _("Outbound")


class Message(models.Model):
    """A message from or to the customer on one channel."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages", verbose_name=_("case"))
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML (sanitised)"), blank=True)
    visible_text = models.TextField(
        _("new text"),
        blank=True,
        default="",
        db_default="",
        help_text=_("The customer's new words, without quoted history and signature; empty when the same as the text."),
    )
    internal = models.BooleanField(
        _("with an outside party"),
        default=False,
        help_text=_("A forward to an outside address, or its answer: on the case, never shown to the customer."),
    )
    is_automatic = models.BooleanField(
        _("automatic"), default=False, db_default=False, help_text=_("An auto-reply: on the timeline, never answered.")
    )
    language = models.CharField(
        _("written in"),
        max_length=8,
        blank=True,
        default="",
        db_default="",
        help_text=_("The language detected in an inbound message: a language code, 'other', or empty (not known)."),
    )
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    external_id = models.CharField(
        _("external id"), max_length=255, blank=True, help_text=_("Message-ID, provider id ...")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    outbox_message = models.OneToOneField(
        "outbox.OutboxMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="case_message",
        verbose_name=_("delivery"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["case", "created_at"], name="message_case"),
            models.Index(fields=["external_id"], name="message_external_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.get_channel_display()} on {self.case_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """A file on a message, stored under its SHA-256 in Django's default storage."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=127)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    content_id = models.CharField(_("content id"), max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class Note(models.Model):
    """An internal note on a case: never shown to the customer."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes", verbose_name=_("case"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("author")
    )
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return f"Note on {self.case_id}"


class CaseEvent(models.Model):
    """One entry of a case's append-only timeline; `data` holds what changed (from, to)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case"))
    # a registered kind (lofte.cases.events): each app adds its own without a migration here
    kind = models.CharField(_("kind"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    note = models.ForeignKey(Note, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [models.Index(fields=["case", "created_at", "id"], name="event_case")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.case_id}"

    @property
    def type(self) -> EventType:
        """The kind's registered label and template."""
        return event_type(self.kind)

    def get_kind_display(self) -> str:
        return str(self.type.label)


class AcknowledgementTemplate(models.Model):
    """What a new case's acknowledgement says, per case type (or for all) and language.

    Placeholders: {reference}, {customer_name}, {subject}, {case_type}, {eta}, {portal_url}.
    """

    case_type = models.ForeignKey(
        CaseType,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="acknowledgement_templates",
        verbose_name=_("case type"),
        help_text=_("Empty: for every case type without a template of its own."),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    body = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["case_type__name", "language"]
        verbose_name = _("acknowledgement template")
        verbose_name_plural = _("acknowledgement templates")
        constraints = [
            models.UniqueConstraint(fields=["case_type", "language"], name="ack_template_type_language"),
            models.UniqueConstraint(
                fields=["language"], condition=models.Q(case_type__isnull=True), name="ack_template_default_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_type or '*'} ({self.language})"


class CaseSearch(models.Model):
    """What search looks through for a case: its subject and everything written on it (the customer's messages
    and the agents' replies), in the case's language.

    The services that write a case and its messages keep it in step (lofte.cases.search). The index over it
    belongs to the database: on PostgreSQL a `document` tsvector (the name and words as written, and the words
    stemmed in the case's language: Swedish, Danish, Norwegian, Finnish or English) under a GIN index, kept by
    a trigger; on SQLite an FTS5 table kept by triggers. Neither is known to the ORM."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="search")
    language = models.CharField(_("language"), max_length=8, blank=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("case search text")
        verbose_name_plural = _("case search texts")

    def __str__(self) -> str:
        return f"{self.case_id}"


class Macro(models.Model):
    """A saved reply an agent picks in the reply box (lofte.cases.macros): its text, with placeholders filled
    in for the case, and what sending it also does (a status, tags, a team, a follow-up promise).

    Whose it is: an agent's own (`owner`), a team's (`team`: its members use it, its leads and admins change
    it), or everyone's (neither: admins change it)."""

    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(_("text"))
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Empty: for a case in any language."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        verbose_name=_("owner"),
        help_text=_("Set: the agent's own macro, which nobody else sees."),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        verbose_name=_("team"),
        help_text=_("Set: shared with the team's members."),
    )
    set_status = models.CharField(_("set status"), max_length=32, blank=True, choices=Status.choices)
    add_tags = models.CharField(_("add tags"), max_length=255, blank=True, help_text=_("Separate tags with commas."))
    set_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("move to team")
    )
    follow_up_hours = models.PositiveSmallIntegerField(_("promise to get back within (hours)"), null=True, blank=True)
    usage_count = models.PositiveIntegerField(_("used"), default=0)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        indexes = [models.Index(fields=["owner", "team", "name"], name="macro_scope")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner__isnull=True) | models.Q(team__isnull=True), name="macro_owner_or_team"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope(self) -> str:
        return "personal" if self.owner_id else "team" if self.team_id else "everyone"


class SavedView(models.Model):
    """A view of the inbox someone saved: its filters (the inbox's query string), an agent's own (`owner`) or
    shared with a team's members (`team`, saved by the team's leads and admins). lofte.cases.saved_views."""

    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="saved_views",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="saved_views", verbose_name=_("team")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner__isnull=True, team__isnull=False)
                | models.Q(owner__isnull=False, team__isnull=True),
                name="saved_view_owner_xor_team",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LinkKind(models.TextChoices):
    RELATED = "related", _("Related")
    MERGED_INTO = "merged_into", _("Merged into")
    SPLIT_FROM = "split_from", _("Split from")


class CaseLink(models.Model):
    """Two cases that belong together (lofte.cases.merge): `from_case` was merged into `to_case`, was split out of
    it, or is related to it (a relation shows on both cases)."""

    from_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_from", verbose_name=_("case"))
    to_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_to", verbose_name=_("other case"))
    kind = models.CharField(_("kind"), max_length=16, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case link")
        verbose_name_plural = _("case links")
        constraints = [
            models.UniqueConstraint(fields=["from_case", "to_case"], name="case_link_once"),
            models.CheckConstraint(condition=~models.Q(from_case=models.F("to_case")), name="case_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.from_case_id} {self.kind} {self.to_case_id}"


class NoticeKind(models.TextChoices):
    """The notices Lofte sends customers by itself (lofte.cases.notices: their placeholders and built-in texts)."""

    BREACH = "breach", _("Broken promise: a new time")
    CALLBACK_CONFIRMATION = "callback_confirmation", _("Callback booked")
    CALLBACK_RETRY = "callback_retry", _("Callback missed: we try again")
    CALLBACK_WRONG_NUMBER = "callback_wrong_number", _("Callback given up: wrong number")
    CALLBACK_GAVE_UP = "callback_gave_up", _("Callback given up: no answer")
    STATUS_ANSWER = "status_answer", _("Status question: the promised time")
    SURVEY_CSAT = "survey_csat", _("Survey: how did we do? (email)")
    SURVEY_CSAT_SMS = "survey_csat_sms", _("Survey: how did we do? (SMS)")
    SURVEY_CES = "survey_ces", _("Survey: how easy was it?")
    SURVEY_NPS = "survey_nps", _("Survey: would you recommend us?")


class NoticeTemplate(models.Model):
    """An admin's own text for one notice in one language, sent instead of Lofte's built-in text (deleting it
    brings the built-in text back). One for every case type: the breach notice's per-type settings (whether it
    is sent, how many hours the new time is) are on the case type. Placeholders: lofte.cases.notices.NOTICES."""

    kind = models.CharField(_("notice"), max_length=32, choices=NoticeKind.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    body = models.TextField(_("text"))
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
        ordering = ["kind", "language"]
        verbose_name = _("notice template")
        verbose_name_plural = _("notice templates")
        constraints = [models.UniqueConstraint(fields=["kind", "language"], name="notice_template_kind_language")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.language})"
