"""Callback requests (a promise to call at a time the customer chose), the slots they fill, attempts, and calls."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CallbackCapacity(models.Model):
    """How many callbacks a team can make per slot, and when: slots lie inside the calendar's open hours."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, related_name="callback_capacity", verbose_name=_("team")
    )
    per_slot = models.PositiveSmallIntegerField(_("callbacks per slot"), default=2)
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=15)
    calendar = models.ForeignKey(
        "promises.BusinessCalendar", on_delete=models.PROTECT, related_name="+", verbose_name=_("business calendar")
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["team__name"]
        verbose_name = _("callback capacity")
        verbose_name_plural = _("callback capacities")
        constraints = [
            models.CheckConstraint(condition=models.Q(per_slot__gte=1), name="callback_capacity_per_slot"),
            models.CheckConstraint(
                condition=models.Q(slot_minutes__gte=5, slot_minutes__lte=240), name="callback_capacity_slot_minutes"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team}: {self.per_slot} per {self.slot_minutes} min"


class CallbackSlot(models.Model):
    """One team's slot that has bookings: `booked` only ever moves by a conditional UPDATE below the capacity."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    start = models.DateTimeField(_("starts"))
    booked = models.PositiveIntegerField(_("booked"), default=0)

    class Meta:
        ordering = ["start"]
        verbose_name = _("callback slot")
        verbose_name_plural = _("callback slots")
        constraints = [models.UniqueConstraint(fields=["team", "start"], name="callback_slot_team_start")]

    def __str__(self) -> str:
        return f"{self.team_id} {self.start:%Y-%m-%d %H:%M}: {self.booked}"


class Source(models.TextChoices):
    WEB = "web", _("Public site")
    AGENT = "agent", _("Agent")
    API = "api", _("API")


class CallbackState(models.TextChoices):
    PENDING = "pending", _("To call")
    REACHED = "reached", _("Reached")
    FAILED = "failed", _("Not reached")
    CANCELLED = "cancelled", _("Cancelled")


class Outcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    VOICEMAIL = "voicemail", _("Voicemail")


class Callback(models.Model):
    """A customer asked to be called in a slot; its promise (kind callback) is due at the end of the window
    the customer was told. `next_attempt_at` is when the next call is due (the slot start, later a retry)."""

    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+", verbose_name=_("team"))
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="callbacks", verbose_name=_("case"))
    promise = models.OneToOneField(
        "promises.Promise",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="callback",
        verbose_name=_("promise"),
    )
    phone = models.CharField(_("number"), max_length=20, help_text=_("E.164"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    slot_start = models.DateTimeField(_("slot starts"))
    slot_end = models.DateTimeField(_("slot ends"))
    source = models.CharField(_("requested via"), max_length=8, choices=Source.choices)
    state = models.CharField(_("state"), max_length=10, choices=CallbackState.choices, default=CallbackState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    window_end = models.DateTimeField(_("call by"), help_text=_("The end of the window the customer was last told."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("booked by"),
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        ordering = ["next_attempt_at", "id"]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        indexes = [
            models.Index(fields=["team", "state", "next_attempt_at"], name="callback_queue"),
            models.Index(fields=["case", "state"], name="callback_case"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} {self.slot_start:%Y-%m-%d %H:%M} ({self.state})"


class CallbackAttempt(models.Model):
    """One try to call the customer back, with what happened."""

    callback = models.ForeignKey(
        Callback, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("callback")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("agent")
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")

    def __str__(self) -> str:
        return f"{self.outcome} on {self.callback_id}"


class CallDirection(models.TextChoices):
    IN = "in", _("Inbound")
    OUT = "out", _("Outbound")


class CallOutcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    VOICEMAIL = "voicemail", _("Voicemail")


class Call(models.Model):
    """A phone call an agent logged on a case."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="calls", verbose_name=_("case"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("agent")
    )
    direction = models.CharField(_("direction"), max_length=3, choices=CallDirection.choices)
    number = models.CharField(_("number"), max_length=20, help_text=_("E.164"))
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    outcome = models.CharField(_("outcome"), max_length=16, choices=CallOutcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        indexes = [models.Index(fields=["case", "created_at"], name="call_case")]

    def __str__(self) -> str:
        return f"{self.direction} {self.number} ({self.outcome})"
