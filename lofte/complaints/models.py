"""Complaints: the register (one row per complaint case), its categories and root causes, and the settings of
how a case becomes a complaint."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from lofte.accounts.models import Role
from lofte.core.choices import Channel


def _named(names: dict[str, str], fallback: str, language: str | None) -> str:
    language = (language or get_language() or "en")[:2]
    if language == "no":
        language = "nb"
    return (names or {}).get(language) or (names or {}).get("en") or fallback


class Category(models.Model):
    """A kind of complaint (a sub-category when it has a parent), with its handling deadline, how often the
    customer hears from us while it is open, and when the temperature check goes out after solving."""

    name = models.CharField(_("name"), max_length=100)
    names = models.JSONField(
        _("names per language"), default=dict, blank=True, help_text=_('{"sv": "...", "fi": "..."}')
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("category"),
    )
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    deadline_hours = models.PositiveIntegerField(
        _("handling deadline (hours)"),
        null=True,
        blank=True,
        help_text=_("Empty: the default for complaints (24 hours)."),
    )
    deadline_business_hours = models.BooleanField(
        _("deadline in business hours"),
        default=False,
        help_text=_("Off: wall-clock hours (24 hours is a day and a night)."),
    )
    update_hours = models.PositiveIntegerField(
        _("update the customer every (hours)"), null=True, blank=True, help_text=_("Empty: no update promise.")
    )
    check_after_days = models.PositiveSmallIntegerField(
        _("temperature check after (days)"), null=True, blank=True, help_text=_("Empty: the default (14 days).")
    )

    class Meta:
        ordering = ["order", "name", "id"]
        verbose_name = _("complaint category")
        verbose_name_plural = _("complaint categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="complaint_category_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.parent} / {self.name}" if self.parent_id else self.name

    def public_name(self, language: str | None = None) -> str:
        return _named(self.names, self.name, language)


class RootCause(models.Model):
    """Why a complaint happened, chosen after analysis (admin-defined)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    names = models.JSONField(_("names per language"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")

    def __str__(self) -> str:
        return self.name

    def public_name(self, language: str | None = None) -> str:
        return _named(self.names, self.name, language)


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Outcome(models.TextChoices):
    UPHELD = "upheld", _("Upheld")
    PARTLY_UPHELD = "partly_upheld", _("Partly upheld")
    REJECTED = "rejected", _("Rejected")


class Source(models.TextChoices):
    """How the case became a complaint."""

    CASE_TYPE = "case_type", _("Case type")
    AGENT = "agent", _("Flagged by an agent")
    DETECTION = "detection", _("Detected in the text")
    CUSTOMER = "customer", _("The customer chose to complain")
    API = "api", _("API")


class Complaint(models.Model):
    """The register's row of a complaint case: what it is about, who owns it, how it ended.

    One per case; un-flagging keeps the row (is_active off, with who and why) so the register and the timeline
    both show that the case was once taken for a complaint. `received_at`, `channel` and `customer` are copied
    from the case so that the register and its analysis read one table."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="complaint", verbose_name=_("case")
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="complaints", verbose_name=_("customer")
    )
    is_active = models.BooleanField(_("a complaint"), default=True)
    source = models.CharField(_("how it became a complaint"), max_length=16, choices=Source.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("category"),
    )
    subcategory = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sub_complaints",
        verbose_name=_("sub-category"),
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    product = models.CharField(_("product or service"), max_length=200, blank=True)
    root_cause = models.ForeignKey(
        RootCause,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("root cause"),
    )
    owner_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    owner_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owning team"),
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    outcome_reason = models.TextField(_("reason given to the customer"), blank=True)
    deadline_at = models.DateTimeField(_("handling deadline"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("flagged by"),
    )
    unflagged_at = models.DateTimeField(_("un-flagged"), null=True, blank=True)
    unflag_reason = models.CharField(_("why it is not a complaint"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["is_active", "received_at", "id"], name="complaint_register"),
            models.Index(fields=["received_at", "id"], name="complaint_received"),
            models.Index(fields=["category", "received_at"], name="complaint_category"),
            models.Index(fields=["customer", "received_at"], name="complaint_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}"

    def category_says(self, name: str) -> tuple[int | None, Category | None]:
        """A setting of the complaint's categories (deadline_hours, update_hours, check_after_days): its
        sub-category's when set there, else its category's; (None, None) when neither sets it."""
        for category in (self.subcategory, self.category):
            if category is not None and getattr(category, name):
                return getattr(category, name), category
        return None, None


class DetectionMode(models.TextChoices):
    OFF = "off", _("Never: agents flag complaints")
    APPLIED = "applied", _("When text understanding is sure enough to apply it")
    SUGGESTED = "suggested", _("Whenever text understanding suggests it")


class ComplaintSettings(models.Model):
    """The one row of settings for complaints (pk 1)."""

    detection = models.CharField(
        _("a detected complaint becomes a complaint"),
        max_length=16,
        choices=DetectionMode.choices,
        default=DetectionMode.APPLIED,
    )
    owner_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("complaints team"),
        help_text=_("Owns every new complaint. Empty: the case's team."),
    )
    deadline_hours = models.PositiveIntegerField(_("handling deadline (hours)"), default=24)
    check_after_days = models.PositiveSmallIntegerField(_("temperature check after (days)"), default=14)
    check_answer_days = models.PositiveSmallIntegerField(
        _("days to answer a temperature check"),
        default=7,
        help_text=_(
            "After these days without an answer the check is recorded as not answered; its link stops working."
        ),
    )
    # the loyalty light (lofte.complaints.loyalty): red, yellow or green from the latest signals
    loyalty_days = models.PositiveSmallIntegerField(_("loyalty light: recent means the last (days)"), default=90)
    loyalty_red_open = models.BooleanField(_("red while a complaint is open"), default=True)
    loyalty_red_check_no = models.BooleanField(_("red after a temperature check answered no (recently)"), default=True)
    loyalty_yellow_complaints = models.PositiveSmallIntegerField(
        _("yellow from this many recent complaints"), default=1, help_text=_("0: never.")
    )
    loyalty_yellow_contacts = models.PositiveSmallIntegerField(
        _("yellow from this many cases in 30 days"), default=5, help_text=_("0: never.")
    )
    red_raises_priority = models.BooleanField(_("a red customer's new case gets high priority"), default=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("complaint settings")
        verbose_name_plural = _("complaint settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class CompensationKind(models.TextChoices):
    REFUND = "refund", _("Refund")
    CREDIT = "credit", _("Credit")
    VOUCHER = "voucher", _("Voucher")
    GIFT = "gift", _("Goodwill gift")
    OTHER = "other", _("Other")


class CompensationState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed: waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class Compensation(models.Model):
    """One line of a complaint's compensation ledger: what is offered, why, who proposed and who approved it.

    Within the proposer's approval limit (ApprovalLimit, per role and currency) it is approved as it is proposed;
    above it, it waits for someone whose limit covers it, who is not the proposer, and who gives a reason."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="compensations", verbose_name=_("complaint")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CompensationKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=16, choices=CompensationState.choices)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or rejected by"),
    )
    decided_at = models.DateTimeField(_("approved or rejected"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("compensation")
        verbose_name_plural = _("compensations")
        indexes = [
            models.Index(fields=["state", "proposed_at"], name="compensation_state"),
            models.Index(fields=["proposed_at", "id"], name="compensation_ledger"),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="compensation_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.kind})"


class ApprovalLimit(models.Model):
    """Up to how much a role may approve compensation in a currency on its own. Without a row, agents may approve
    nothing on their own, and team leads and admins any amount."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.DecimalField(_("up to"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["role", "currency"]
        verbose_name = _("approval limit")
        verbose_name_plural = _("approval limits")
        constraints = [models.UniqueConstraint(fields=["role", "currency"], name="approval_limit_unique")]

    def __str__(self) -> str:
        return f"{self.role}: {self.amount} {self.currency}"


class StepRole(models.TextChoices):
    ANYONE = "", _("Whoever works the case")
    TEAM_LEAD = "team_lead", _("A team lead (or an admin)")
    ADMIN = "admin", _("An admin")


class ProcedureStep(models.Model):
    """One step of a complaint category's procedure: all of a complaint's steps (its category's and its
    sub-category's) must be done before its case can be solved; a step can require a role (a team lead's
    sign-off)."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="steps", verbose_name=_("complaint category")
    )
    order = models.PositiveIntegerField(_("order"), default=100)
    text = models.CharField(_("step"), max_length=200)
    texts = models.JSONField(_("the step per language"), default=dict, blank=True)
    required_role = models.CharField(
        _("who may do it"), max_length=16, choices=StepRole.choices, blank=True, default=StepRole.ANYONE
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category", "order", "id"]
        verbose_name = _("procedure step")
        verbose_name_plural = _("procedure steps")

    def __str__(self) -> str:
        return self.text

    def public_text(self, language: str | None = None) -> str:
        return _named(self.texts, self.text, language)


class StepDone(models.Model):
    """A procedure step done on a complaint: who did it and when (undone: the row goes, and the timeline keeps
    both)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="steps_done")
    step = models.ForeignKey(ProcedureStep, on_delete=models.CASCADE, related_name="+")
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("step done")
        verbose_name_plural = _("steps done")
        constraints = [models.UniqueConstraint(fields=["complaint", "step"], name="step_done_once")]

    def __str__(self) -> str:
        return f"{self.step_id} on {self.complaint_id}"


class CheckState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent: waiting for the answer")
    UNSENT = "unsent", _("Could not be sent")
    YES = "yes", _("Still solved")
    NO = "no", _("Not solved: reopened")
    NO_ANSWER = "no_answer", _("No answer")
    CANCELLED = "cancelled", _("Cancelled")


class TemperatureCheck(models.Model):
    """ "Is the problem still solved?": asked N days after a complaint's case was solved, on the channel the
    customer used, by a signed single-use link that works without logging in. Separate from any survey.

    Its sending is a temperature_check promise (due when it should go out), so the board shows checks that were
    due and not sent. `nonce` is part of the link: only the newest link of a check works."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="temperature_checks", verbose_name=_("complaint")
    )
    solved_at = models.DateTimeField(_("the solving it follows"))
    due_at = models.DateTimeField(_("due"), db_index=True)
    state = models.CharField(_("state"), max_length=16, choices=CheckState.choices, default=CheckState.SCHEDULED)
    nonce = models.CharField(max_length=32, blank=True)
    promise = models.ForeignKey(
        "promises.Promise",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("promise"),
    )
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, db_index=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        verbose_name = _("temperature check")
        verbose_name_plural = _("temperature checks")
        constraints = [
            models.UniqueConstraint(fields=["complaint", "solved_at"], name="temperature_check_once_per_solving")
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="temperature_check_due")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.state}"
