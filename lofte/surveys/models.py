"""Surveys: after a case is solved, the customer is asked on the channel they used, by a signed single-use link
that works without logging in, how it went (CSAT: a thumb up or down, and "did we help you?"), how easy it was
(CES, 1 to 7), or how likely they are to recommend us (NPS, 0 to 10, and why). When to ask is a rule per case
type and channel; a quarantine keeps one customer from being asked a kind more than once in N days (for NPS, its
schedule per customer: by default at most every 90 days, after a case of theirs is solved)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lofte.core.choices import Channel


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("Satisfaction (CSAT)")
    CES = "ces", _("Effort (CES)")
    NPS = "nps", _("Recommendation (NPS)")


# the score each kind takes, and from which score down an answer is negative (the team lead is told; for NPS the
# detractors, 0 to 6)
SCORES: dict[str, tuple[int, int]] = {SurveyKind.CSAT: (0, 1), SurveyKind.CES: (1, 7), SurveyKind.NPS: (0, 10)}
NEGATIVE_AT_OR_BELOW: dict[str, int] = {SurveyKind.CSAT: 0, SurveyKind.CES: 3, SurveyKind.NPS: 6}


class SurveyRule(models.Model):
    """When to ask after a case is solved. Blank case type or channel: any. The most specific rule wins (case
    type and channel, then case type, then channel, then the kind's default rule); without any saved rule, CSAT
    is asked an hour after solving with a 14-day quarantine, and CES and NPS are not asked."""

    kind = models.CharField(_("survey"), max_length=8, choices=SurveyKind.choices)
    case_type = models.ForeignKey(
        "cases.CaseType",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case type"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    enabled = models.BooleanField(_("ask"), default=True)
    delay_minutes = models.PositiveIntegerField(_("minutes after solving"), default=60)
    quarantine_days = models.PositiveIntegerField(_("ask one customer at most once in (days)"), default=14)

    class Meta:
        ordering = ["kind", "case_type_id", "channel", "id"]
        verbose_name = _("survey rule")
        verbose_name_plural = _("survey rules")

    def __str__(self) -> str:
        return f"{self.kind} {self.case_type_id or '*'} {self.channel or '*'}"


class SurveyState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent: waiting for the answer")
    UNSENT = "unsent", _("Could not be sent")
    ANSWERED = "answered", _("Answered")
    EXPIRED = "expired", _("No answer")
    CANCELLED = "cancelled", _("Cancelled: the case was reopened")
    QUARANTINED = "quarantined", _("Not asked: asked recently")


class Reason(models.TextChoices):
    """Why it was not good (asked with a thumb down)."""

    SLOW = "slow", _("It took too long")
    NOT_SOLVED = "not_solved", _("My problem is not solved")
    REPEAT = "repeat", _("I had to repeat myself")
    UNCLEAR = "unclear", _("The answer was hard to understand")
    UNFRIENDLY = "unfriendly", _("I was not treated well")
    OTHER = "other", _("Something else")


class Survey(models.Model):
    """One question to one customer about one solving of a case. What the case was at solving (channel, case
    type, team, agent) is kept with it, so figures per channel, team, agent and case type need no join and do
    not move when the case does. `nonce` is part of the link: only the newest link works."""

    kind = models.CharField(_("survey"), max_length=8, choices=SurveyKind.choices)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="surveys", verbose_name=_("case"))
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="surveys", verbose_name=_("customer")
    )
    solved_at = models.DateTimeField(_("the solving it follows"))
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(_("state"), max_length=16, choices=SurveyState.choices, default=SurveyState.SCHEDULED)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    case_type = models.ForeignKey(
        "cases.CaseType",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case type"),
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    nonce = models.CharField(max_length=32, blank=True)
    sent_on = models.CharField(_("sent on"), max_length=16, blank=True)  # the channel the question went out on
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    score = models.SmallIntegerField(_("score"), null=True, blank=True)
    helped = models.BooleanField(_("did we help?"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.UniqueConstraint(fields=["kind", "case", "solved_at"], name="survey_once_per_solving"),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="survey_due"),
            models.Index(fields=["state", "expires_at"], name="survey_expiring"),
            models.Index(fields=["customer", "kind", "due_at"], name="survey_customer"),
            models.Index(fields=["kind", "answered_at"], name="survey_answered"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.case_id} {self.state}"

    @property
    def negative(self) -> bool:
        return (self.score is not None and self.score <= NEGATIVE_AT_OR_BELOW[self.kind]) or self.helped is False


# --- the employee pulse ----------------------------------------------------------------------------------------

# below this many answers no figure of a group is shown (the round's, a team's), and no comment of the round
PULSE_MIN_GROUP = 5


class PulseRound(models.Model):
    """An employee pulse: eNPS and a few questions, open to every agent from `opened_at` to `closes_at`."""

    title = models.CharField(_("title"), max_length=200)
    opened_at = models.DateTimeField(_("opened"))
    closes_at = models.DateTimeField(_("closes"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("pulse")
        verbose_name_plural = _("pulses")

    def __str__(self) -> str:
        return self.title


class PulseTaken(models.Model):
    """That an agent has answered a round (so nobody answers twice), never what: no time, and nothing ties it to
    the answer."""

    round = models.ForeignKey(PulseRound, on_delete=models.CASCADE, related_name="taken")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "agent"], name="pulse_taken_once")]

    def __str__(self) -> str:
        return f"{self.round_id} {self.agent_id}"


class PulseAnswer(models.Model):
    """One answer, stored without the person: no agent, no time, and a random key (not a number in the order the
    answers came, which the order of PulseTaken rows would give away). The team is the one the answer's figures
    count for, shown only from PULSE_MIN_GROUP answers."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(PulseRound, on_delete=models.CASCADE, related_name="answers")
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    enps = models.SmallIntegerField(_("would recommend working here (0-10)"))
    equipped = models.SmallIntegerField(_("has what they need (1-5)"))
    workload = models.SmallIntegerField(_("workload is manageable (1-5)"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["comment"]  # never the order they came in

    def __str__(self) -> str:
        return f"{self.round_id} {self.enps}"
