"""Business calendars, SLA policies and promises: every expectation set with a customer, tracked until kept."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lofte.core.validation import validate_time_zone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def default_opening_hours() -> dict[str, list[list[str]]]:
    return {day: ([["08:00", "17:00"]] if day not in ("sat", "sun") else []) for day in WEEKDAYS}


class BusinessCalendar(models.Model):
    """When a team is open: weekly hours, a country's public holidays, eves, closed days, special days.

    `always_open` makes a 24/7 calendar, for promises on wall-clock time.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Stockholm", validators=[validate_time_zone]
    )
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("Public holidays of this country (SE, DK, NO, FI ...).")
    )
    always_open = models.BooleanField(_("open 24/7"), default=False)
    opening_hours = models.JSONField(
        _("opening hours"),
        default=default_opening_hours,
        help_text=_('Per weekday, a list of ["HH:MM", "HH:MM"] intervals.'),
    )
    closed_on_eves = models.BooleanField(
        _("closed on eves"),
        default=True,
        help_text=_("Christmas Eve, New Year's Eve and, in SE and FI, Midsummer Eve."),
    )
    closed_days = models.JSONField(_("closed days"), default=list, blank=True, help_text=_('["YYYY-MM-DD", ...]'))
    special_hours = models.JSONField(
        _("special opening hours"),
        default=dict,
        blank=True,
        help_text=_('{"YYYY-MM-DD": [["10:00", "14:00"]]}: these days have these hours instead.'),
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Targets for cases that match its conditions; the most specific active policy wins, then `order`."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    order = models.PositiveIntegerField(
        _("order"), default=100, help_text=_("Among equally specific policies, lower wins.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    # conditions: empty means any
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), null=True, blank=True)
    tier = models.CharField(_("customer tier"), max_length=1, blank=True)
    case_type = models.ForeignKey(
        "cases.CaseType", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("case type")
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    # targets, in minutes of the target's calendar (a 24/7 calendar for wall-clock time)
    first_response_minutes = models.PositiveIntegerField(_("first response (minutes)"), null=True, blank=True)
    first_response_calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first response calendar"),
    )
    next_update_minutes = models.PositiveIntegerField(_("next update interval (minutes)"), null=True, blank=True)
    next_update_calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("next update calendar"),
    )
    resolution_minutes = models.PositiveIntegerField(_("resolution (minutes)"), null=True, blank=True)
    resolution_calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolution calendar"),
    )
    wall_clock = models.BooleanField(
        _("wall-clock times for customers"),
        default=False,
        help_text=_(
            "Times told to customers may fall outside the team's hours. Off: a time computed on a 24/7 calendar "
            "that a customer is told moves to the next moment the owning team is open."
        ),
    )
    pause_statuses = models.JSONField(
        _("statuses that pause the clock"),
        default=list,
        blank=True,
        help_text=_("Waiting on customer pauses by default; waiting on a third party does not."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class TeamCalendar(models.Model):
    """A team's business hours: the calendar every time told to one of its customers falls in (unless the SLA
    policy says wall-clock on purpose). At most one per team; a team without one keeps the policies' times."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, related_name="business_calendar_link", verbose_name=_("team")
    )
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="team_links", verbose_name=_("business hours")
    )

    class Meta:
        ordering = ["team__name"]
        verbose_name = _("team's business hours")
        verbose_name_plural = _("teams' business hours")

    def __str__(self) -> str:
        return f"{self.team}: {self.calendar}"


class PromiseKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_UPDATE = "next_update", _("Next update")
    RESOLUTION = "resolution", _("Resolution")
    CALLBACK = "callback", _("Callback")
    FOLLOW_UP = "follow_up", _("Follow-up")
    TEMPERATURE_CHECK = "temperature_check", _("Temperature check")
    INCIDENT_UPDATE = "incident_update", _("Incident update")


class PromiseState(models.TextChoices):
    PENDING = "pending", _("Pending")
    KEPT = "kept", _("Kept")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")


class PromiseOrigin(models.TextChoices):
    POLICY = "policy", _("SLA policy")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("Lofte")


class Promise(models.Model):
    """An expectation set with a customer (or an internal target), tracked until kept, broken or cancelled.

    The subject is what the promise is about: a case, a callback, an incident
    (no case), a customer (a check after the case was closed): `subject_type`
    names a type an app registered (lofte.promises.subjects) and `subject_id`
    its row; the engine treats them all alike and imports none of those apps.
    `case` is the case the promise shows on (its inbox row, its timeline), when
    there is one. `due_at` is fixed when the promise
    is made: changing a policy never moves a time a customer was told. While
    paused, `due_at` stays as it was and `remaining` holds the business time
    left, which resuming adds to the moment of resumption.

    A broken promise stays outstanding (on the board's overdue list, as the
    case's next promise in the inbox) until it is settled: done late (a reply,
    solving), cancelled (the case closed), or renewed by a breach notice, whose
    new promise points back at it through `renewal_of`.
    """

    kind = models.CharField(_("kind"), max_length=24, choices=PromiseKind.choices)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="promises", verbose_name=_("case")
    )
    subject_type = models.CharField(_("subject type"), max_length=32, default="case")
    subject_id = models.PositiveBigIntegerField(_("subject id"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"))
    owner_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="promises",
        verbose_name=_("owner"),
    )
    owner_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="promises",
        verbose_name=_("owning team"),
    )
    customer_text = models.TextField(
        _("what the customer was told"), blank=True, help_text=_("Empty for internal targets.")
    )
    state = models.CharField(_("state"), max_length=10, choices=PromiseState.choices, default=PromiseState.PENDING)
    origin = models.CharField(_("origin"), max_length=8, choices=PromiseOrigin.choices)
    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="promises", verbose_name=_("policy")
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("calendar"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made by"),
    )
    created_at = models.DateTimeField(_("made"), default=timezone.now)
    kept_at = models.DateTimeField(_("kept"), null=True, blank=True)
    broken_at = models.DateTimeField(_("broken"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=200, blank=True)
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)
    remaining = models.DurationField(_("remaining when paused"), null=True, blank=True)
    settled_at = models.DateTimeField(
        _("settled"),
        null=True,
        blank=True,
        help_text=_(
            "For a broken promise: when it stopped being outstanding (done late, cancelled, or renewed with a new "
            "time the customer was told). Until then the case's inbox row and the board show it as broken."
        ),
    )
    renewal_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="renewals",
        verbose_name=_("renews"),
        help_text=_("The broken promise whose breach notice told the customer this new time."),
    )
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    next_escalation_at = models.DateTimeField(_("next escalation"), null=True, blank=True)
    tick_token = models.CharField(
        _("claimed by tick"), max_length=32, blank=True, help_text=_("The last tick that claimed this promise.")
    )
    eta_basis = models.CharField(
        _("acknowledged ETA"),
        max_length=24,
        blank=True,
        help_text=_(
            "Set when the due time is a predicted time the customer was told in the acknowledgement: "
            "what the prediction came from (channel_case_type, channel, all, sla, default)."
        ),
    )

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("promise")
        verbose_name_plural = _("promises")
        indexes = [
            # The tick's three scans, each O(due). The conditions leave paused promises out (they would
            # otherwise be read and dropped on every tick) and never name state, so PostgreSQL keeps state
            # as a real index condition; leading with state lets SQLite pick them even without statistics.
            models.Index(
                fields=["state", "due_at"], condition=models.Q(paused_at__isnull=True), name="promise_state_due"
            ),
            models.Index(
                fields=["state", "remind_at"],
                condition=models.Q(reminded_at__isnull=True, paused_at__isnull=True),
                name="promise_remind",
            ),
            models.Index(
                fields=["state", "next_escalation_at"],
                condition=models.Q(next_escalation_at__isnull=False),
                name="promise_escalate",
            ),
            # a case's pending promises and its next due time
            models.Index(fields=["case", "state", "due_at"], name="promise_case"),
            models.Index(fields=["tick_token"], name="promise_tick_token"),
            # a subject's promises (a callback's, a customer's)
            models.Index(fields=["subject_type", "subject_id", "state"], name="promise_subject"),
            models.Index(fields=["owner_team", "state", "due_at"], name="promise_team"),
            # the board: broken promises still owed (few: solving or closing a case settles them), and what
            # was kept or broken today, found without reading the history (lofte.promises.board)
            # (not a partial index: SQLite plans each arm of an OR without them)
            # (in due order within: SQLite reads the overdue list's first rows along it, with no sort)
            models.Index(fields=["state", "settled_at", "due_at", "id"], name="promise_owed"),
            models.Index(fields=["state", "kept_at"], name="promise_kept"),
            models.Index(fields=["state", "broken_at"], name="promise_broken"),
            # the board's overdue list on PostgreSQL: the broken promises still owed, in due order, the first few
            # read alone. Its planner takes state and settled_at for independent (its estimate of the owed rows
            # is 8 times too high) and reads and sorts every owed row rather than walk promise_owed.
            models.Index(
                fields=["due_at", "id"],
                condition=models.Q(state="broken", settled_at__isnull=True),
                name="promise_owed_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} due {self.due_at:%Y-%m-%d %H:%M} ({self.state})"


class ResponseTimeStat(models.Model):
    """Rolling first-response figures: per group and day, how many first responses took a number of business
    minutes in one of `lofte.promises.eta`'s fixed log-spaced buckets.

    A group is a channel and a case type, a channel (any case type: `case_type` 0), or every case (channel
    "" and `case_type` 0). Each first response adds one to its bucket in each of its groups (one upsert);
    the ETA prediction reads the last 30 days of a case's three groups in one grouped query, whatever the
    history holds. `case_type` is a plain id, not a foreign key: a statistic outlives what it counted.
    """

    channel = models.CharField(_("channel"), max_length=16, blank=True, help_text=_("Empty: any channel."))
    case_type = models.PositiveIntegerField(_("case type id"), default=0, help_text=_("0: any case type."))
    day = models.DateField(_("day (UTC)"))
    bucket = models.PositiveSmallIntegerField(_("bucket of business minutes"))
    count = models.PositiveIntegerField(_("first responses"), default=0)

    class Meta:
        verbose_name = _("first-response time figure")
        verbose_name_plural = _("first-response time figures")
        constraints = [
            # also the index the prediction reads: (channel, case_type) pairs, then a range of days
            models.UniqueConstraint(fields=["channel", "case_type", "day", "bucket"], name="response_time_stat_key")
        ]

    def __str__(self) -> str:
        return f"{self.channel or '*'}/{self.case_type or '*'} {self.day} bucket {self.bucket}: {self.count}"


class QueueStat(models.Model):
    """Per team and day: the first responses recorded and the sum of the unanswered queue each of them saw.

    The queue is the team's active cases without a first response, the answered case included (team 0:
    cases without a team). Their mean over 30 days is the typical queue the response times were made
    under; a prediction stretches its figure when the queue now is longer.
    """

    team = models.PositiveIntegerField(_("team id"), default=0, help_text=_("0: cases without a team."))
    day = models.DateField(_("day (UTC)"))
    responses = models.PositiveIntegerField(_("first responses"), default=0)
    queue_sum = models.PositiveBigIntegerField(_("sum of the queue lengths seen"), default=0)

    class Meta:
        verbose_name = _("queue figure")
        verbose_name_plural = _("queue figures")
        constraints = [models.UniqueConstraint(fields=["team", "day"], name="queue_stat_key")]

    def __str__(self) -> str:
        return f"team {self.team or '-'} {self.day}: {self.queue_sum}/{self.responses}"
