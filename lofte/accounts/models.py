"""Agents (the users of Lofte), teams, and personal API tokens."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lofte.core.validation import validate_time_zone


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    TEAM_LEAD = "team_lead", _("Team lead")
    QA_REVIEWER = "qa_reviewer", _("QA reviewer")
    ADMIN = "admin", _("Admin")


class Team(models.Model):
    """A group of agents that owns cases (for example "Billing" or "Support")."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    email = models.EmailField(_("email address"), blank=True, help_text=_("Address replies are sent from."))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class AgentManager(BaseUserManager["Agent"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> Agent:
        if not email:
            raise ValueError("An agent needs an email address.")
        agent = self.model(email=self.normalize_email(email).lower(), **extra)
        agent.set_password(password)
        agent.save(using=self._db)
        return agent

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> Agent:
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> Agent:
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Role.ADMIN)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> Agent:
        return self.get(email__iexact=username or "")


class Agent(AbstractBaseUser, PermissionsMixin):
    """A person who works cases; logs in with an email address. The role decides what they may do
    (lofte/accounts/access.py); admins (role admin) use the admin site and may change everything there."""

    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    teams = models.ManyToManyField(Team, related_name="agents", blank=True, verbose_name=_("teams"))
    language = models.CharField(_("language"), max_length=8, blank=True, help_text=_("Empty: the browser's."))
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, help_text=_("Empty: the site's."), validators=[validate_time_zone]
    )
    send_and_next = models.BooleanField(
        _("open the next case after a reply"),
        default=False,
        help_text=_("In the inbox's case pane: after you send a reply, the next case of the list opens."),
    )
    email_mentions = models.BooleanField(
        _("email me when I am mentioned"),
        default=True,
        help_text=_("A colleague's @mention in a note is always in your notifications; this also emails it."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects: ClassVar[AgentManager] = AgentManager()  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["name", "email"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@")[0]

    @property
    def is_admin(self) -> bool:
        """Role admin (or a Django superuser); see lofte.accounts.access for every other question."""
        return self.is_active and (self.role == Role.ADMIN or self.is_superuser)

    @property
    def is_staff(self) -> bool:
        """Django's admin site lets admins in, and nobody else: the role decides, not a second flag."""
        return self.is_admin

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        # Admins may change everything the admin site offers; nobody else gets in (is_staff above).
        return self.is_admin or super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_admin or super().has_module_perms(app_label)


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("agent"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    token_hash = models.CharField(_("hash"), max_length=64)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.agent})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
