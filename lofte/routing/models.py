"""Routing: who is working now (an agent's status), how many open cases each may hold per channel, what they
know (skills), and how each team hands its new cases out (manual, round-robin, least-loaded)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lofte.accounts.models import Team
from lofte.core.choices import Channel

DEFAULT_CAPACITY = 5
MAX_CAPACITY = 500
MAX_GRACE_MINUTES = 24 * 60


class AgentStatus(models.TextChoices):
    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class RoutingMode(models.TextChoices):
    MANUAL = "manual", _("Manual")
    ROUND_ROBIN = "round_robin", _("Round-robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")


class SkillKind(models.TextChoices):
    LANGUAGE = "language", _("Language")
    PRODUCT = "product", _("Product")
    CHANNEL = "channel", _("Channel")
    TIER = "tier", _("Customer tier")


class Skill(models.Model):
    """Something an agent knows that a team's routing may ask of a case: its language ("sv"), its product (the
    case type's name, lower-case), its channel ("phone") or its customer's tier ("a": may take tier A customers)."""

    kind = models.CharField(_("kind"), max_length=16, choices=SkillKind.choices)
    value = models.CharField(_("value"), max_length=100)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="skill_kind_value")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class Availability(models.Model):
    """An agent's routing profile: their status (since when), how many open cases they may hold (per channel in
    ChannelCapacity, else `default_capacity`; at most `total_capacity` over all channels when set) and their
    skills. An agent without one is offline with the default capacity and no skills."""

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="availability",
        verbose_name=_("agent"),
    )
    status = models.CharField(_("status"), max_length=8, choices=AgentStatus.choices, default=AgentStatus.OFFLINE)
    status_since = models.DateTimeField(_("since"), default=timezone.now)
    default_capacity = models.PositiveSmallIntegerField(
        _("open cases per channel"),
        default=DEFAULT_CAPACITY,
        help_text=_("For every channel without a number of its own."),
    )
    total_capacity = models.PositiveSmallIntegerField(
        _("open cases in all"), null=True, blank=True, help_text=_("Empty: no limit over all channels.")
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="agents", verbose_name=_("skills"))

    class Meta:
        verbose_name = _("availability")
        verbose_name_plural = _("availabilities")
        indexes = [models.Index(fields=["status", "status_since"], name="availability_status")]

    def __str__(self) -> str:
        return f"{self.agent_id}: {self.status}"


class ChannelCapacity(models.Model):
    """How many open cases (not solved or closed) of one channel routing may give the agent."""

    availability = models.ForeignKey(
        Availability, on_delete=models.CASCADE, related_name="capacities", verbose_name=_("agent")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    capacity = models.PositiveSmallIntegerField(_("open cases"))

    class Meta:
        ordering = ["availability", "channel"]
        verbose_name = _("channel capacity")
        verbose_name_plural = _("channel capacities")
        constraints = [models.UniqueConstraint(fields=["availability", "channel"], name="capacity_agent_channel")]

    def __str__(self) -> str:
        return f"{self.availability_id} {self.channel}: {self.capacity}"


class TeamRouting(models.Model):
    """How a team's new cases find an agent. A team without one routes manually (nothing changes until a lead
    turns routing on). `last_agent` is the round-robin cursor: the next case goes to the next eligible agent
    after it, by id."""

    team = models.OneToOneField(
        Team, on_delete=models.CASCADE, primary_key=True, related_name="routing", verbose_name=_("team")
    )
    mode = models.CharField(_("routing"), max_length=16, choices=RoutingMode.choices, default=RoutingMode.MANUAL)
    grace_minutes = models.PositiveSmallIntegerField(
        _("grace for away agents (minutes)"),
        default=15,
        help_text=_("Unanswered cases of an agent away or offline this long go back through routing."),
    )
    require_language = models.BooleanField(_("agents must know the case's language"), default=False)
    require_product = models.BooleanField(_("agents must know the case type's product"), default=False)
    require_channel = models.BooleanField(_("agents must know the case's channel"), default=False)
    require_tier = models.BooleanField(_("agents must have the customer's tier"), default=False)
    last_agent_id = models.BigIntegerField(_("last agent given a case"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("team routing")
        verbose_name_plural = _("team routing")

    def __str__(self) -> str:
        return f"{self.team_id}: {self.mode}"


class RoutingSettings(models.Model):
    """The site's routing settings, one row (pk 1): the triage team that receives every new case without a team.
    Without one, such a case stays in the inbox's shared "no team yet" view, which every agent sees."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    triage_team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("triage team"),
        help_text=_('New cases without a team go to this team. Empty: to the shared "no team yet" view.'),
    )

    class Meta:
        verbose_name = _("routing settings")
        verbose_name_plural = _("routing settings")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="routing_settings_singleton")]

    def __str__(self) -> str:
        return "routing settings"
