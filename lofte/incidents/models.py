"""Incidents and the status page: components (in groups, a public name per language), incidents and scheduled
maintenance with the components they affect, their public updates and internal notes, and the cadence of public
updates per severity (each next update is an incident_update promise to the owner: lofte.incidents.services)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from lofte.accounts.models import Team


def named(names: dict[str, str], fallback: str, language: str | None = None) -> str:
    """The text in the language (Norwegian as nb), else the one written in the main field (the site's)."""
    language = (language or get_language() or "en")[:2]
    if language == "no":
        language = "nb"
    return (names or {}).get(language) or fallback


def components_in_order() -> models.QuerySet[Component]:
    """The active components as the status page lists them: by group, then their own position."""
    return (
        Component.objects.filter(is_active=True)
        .select_related("group")
        .order_by(
            models.F("group__position").asc(nulls_last=True),
            models.F("group__name").asc(nulls_last=True),
            "position",
            "name",
        )
    )


class ComponentGroup(models.Model):
    """A heading on the status page ("Online banking"), its components under it."""

    name = models.CharField(_("name"), max_length=100)
    names = models.JSONField(
        _("names per language"), default=dict, blank=True, help_text=_('{"sv": "...", "fi": "..."}')
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("component group")
        verbose_name_plural = _("component groups")

    def __str__(self) -> str:
        return self.name

    def public_name(self, language: str | None = None) -> str:
        return named(self.names, self.name, language)


class Component(models.Model):
    """Something customers use that can break ("Mobile app", "Card payments"); its state on the status page is
    the worst state any active incident gives it (operational when none)."""

    group = models.ForeignKey(
        ComponentGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="components",
        verbose_name=_("group"),
    )
    name = models.CharField(_("name"), max_length=100)
    names = models.JSONField(
        _("names per language"), default=dict, blank=True, help_text=_('{"sv": "...", "fi": "..."}')
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("shown on the status page"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("component")
        verbose_name_plural = _("components")

    def __str__(self) -> str:
        return self.name

    def public_name(self, language: str | None = None) -> str:
        return named(self.names, self.name, language)


class ComponentState(models.TextChoices):
    OPERATIONAL = "operational", _("Operational")
    DEGRADED = "degraded", _("Degraded performance")
    PARTIAL_OUTAGE = "partial_outage", _("Partial outage")
    MAJOR_OUTAGE = "major_outage", _("Major outage")
    MAINTENANCE = "maintenance", _("Under maintenance")


# worst last: a component's state is the worst of what its active incidents say
STATE_ORDER = [
    ComponentState.OPERATIONAL,
    ComponentState.MAINTENANCE,
    ComponentState.DEGRADED,
    ComponentState.PARTIAL_OUTAGE,
    ComponentState.MAJOR_OUTAGE,
]
OUTAGES = (ComponentState.PARTIAL_OUTAGE, ComponentState.MAJOR_OUTAGE)  # what counts against uptime


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")


class IncidentKind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    MAINTENANCE = "maintenance", _("Scheduled maintenance")


class Incident(models.Model):
    """Something broken (or maintenance planned): its public title per language, severity, status, the
    components it affects, its owner, and the words that tie new contacts to it. Active until resolved; a
    maintenance is shown as planned until its start, then active until it is resolved."""

    kind = models.CharField(_("kind"), max_length=16, choices=IncidentKind.choices, default=IncidentKind.INCIDENT)
    title = models.CharField(_("title"), max_length=200)
    titles = models.JSONField(_("titles per language"), default=dict, blank=True)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices, default=Severity.MAJOR)
    status = models.CharField(
        _("status"), max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.INVESTIGATING
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
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("owning team")
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    scheduled_start = models.DateTimeField(_("maintenance starts"), null=True, blank=True)
    scheduled_end = models.DateTimeField(_("maintenance ends"), null=True, blank=True)
    match_words = models.TextField(
        _("words that tie a new contact to it"),
        blank=True,
        help_text=_("One word or phrase per line, e.g. 'bank id', 'cannot log in'."),
    )
    first_update_at = models.DateTimeField(_("first public update"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["resolved_at", "started_at"], name="incident_active")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_active(self) -> bool:
        return self.resolved_at is None

    def public_title(self, language: str | None = None) -> str:
        return named(self.titles, self.title, language)

    def words(self) -> list[str]:
        return [w for w in (" ".join(line.split()).lower() for line in self.match_words.splitlines()) if w]


class Affected(models.Model):
    """A component an incident affects, and how badly (maintenance: under maintenance)."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="affected", verbose_name=_("incident")
    )
    component = models.ForeignKey(
        Component, on_delete=models.CASCADE, related_name="affected_by", verbose_name=_("component")
    )
    state = models.CharField(_("state"), max_length=16, choices=ComponentState.choices)

    class Meta:
        verbose_name = _("affected component")
        verbose_name_plural = _("affected components")
        constraints = [models.UniqueConstraint(fields=["incident", "component"], name="affected_once")]

    def __str__(self) -> str:
        return f"{self.component_id}: {self.state}"


class IncidentUpdate(models.Model):
    """One entry of an incident's timeline: a public update (its text per language, the default language's in
    `body`) or an internal note (never on the status page), with the status it set."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates", verbose_name=_("incident"))
    status = models.CharField(_("status"), max_length=16, choices=IncidentStatus.choices)
    is_public = models.BooleanField(_("public"), default=True)
    body = models.TextField(_("text"))
    bodies = models.JSONField(_("text per language"), default=dict, blank=True)
    ready = models.BooleanField(_("a ready text"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    posted_at = models.DateTimeField(_("posted"), default=timezone.now)

    class Meta:
        ordering = ["posted_at", "id"]
        verbose_name = _("incident update")
        verbose_name_plural = _("incident updates")
        indexes = [models.Index(fields=["is_public", "posted_at"], name="incident_update_feed")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.posted_at:%Y-%m-%d %H:%M}"

    def text(self, language: str | None = None) -> str:
        return named(self.bodies, self.body, language)


class CadenceStep(models.Model):
    """From `after_minutes` into an incident of this severity, a public update is promised every
    `every_minutes` (until the next step). Without steps for a severity, lofte.incidents.cadence's defaults."""

    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    after_minutes = models.PositiveIntegerField(_("from minute"))
    every_minutes = models.PositiveIntegerField(_("an update every (minutes)"))

    class Meta:
        ordering = ["severity", "after_minutes"]
        verbose_name = _("update cadence step")
        verbose_name_plural = _("update cadence")
        constraints = [
            models.UniqueConstraint(fields=["severity", "after_minutes"], name="cadence_step_once"),
            models.CheckConstraint(condition=models.Q(every_minutes__gte=1), name="cadence_every_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.severity} {self.after_minutes}+: {self.every_minutes}"


class IncidentCase(models.Model):
    """A case tied to an incident (the customer asks about what is broken): it is counted as a status question
    the page answered, and gets the final update when the incident resolves."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links", verbose_name=_("incident"))
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="incident_links", verbose_name=_("case")
    )
    automatic = models.BooleanField(_("linked by Lofte"), default=False)
    answered = models.BooleanField(_("answered with the status page"), default=False)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("linked by"),
    )
    linked_at = models.DateTimeField(_("linked"), default=timezone.now)
    final_sent_at = models.DateTimeField(_("final update sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("linked case")
        verbose_name_plural = _("linked cases")
        constraints = [models.UniqueConstraint(fields=["incident", "case"], name="incident_case_once")]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.case_id}"


class SubscriberKind(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class Subscriber(models.Model):
    """Someone who follows the status page by email or SMS, for some components (none: all). Sent nothing until
    they confirm (double opt-in); every message carries a one-click unsubscribe link. The links are signed over
    (id, nonce); a new nonce voids the old links."""

    kind = models.CharField(_("kind"), max_length=8, choices=SubscriberKind.choices)
    address = models.CharField(_("address"), max_length=254)  # normalised: lower-case email, or E.164
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    components = models.ManyToManyField(Component, blank=True, related_name="subscribers", verbose_name=_("components"))
    nonce = models.CharField(_("link nonce"), max_length=32)
    created_at = models.DateTimeField(_("signed up"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        constraints = [models.UniqueConstraint(fields=["kind", "address"], name="subscriber_once")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.address}"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None
