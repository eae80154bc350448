"""Writes for agents, teams and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from lofte.accounts.models import Agent, ApiToken, Role, Team
from lofte.core import clock
from lofte.core.errors import NotFound, ValidationFailed
from lofte.core.validation import check_language, check_time_zone

TOKEN_PREFIX = "lofte"  # noqa: S105 - a marker, not a secret
LAST_USED_GRANULARITY = timedelta(minutes=1)


def team_create(*, name: str, email: str = "") -> Team:
    name = name.strip()
    if not name:
        raise ValidationFailed(_("A team needs a name."), field="name")
    if Team.objects.filter(name__iexact=name).exists():
        raise ValidationFailed(_("A team named '%(name)s' already exists.") % {"name": name}, field="name")
    return Team.objects.create(name=name, email=email)


def team_update(*, team: Team, email: str) -> Team:
    """A team's own settings that its leads may change: the address replies are sent from."""
    email = (email or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError as exc:
            raise ValidationFailed(
                _("'%(value)s' is not a valid email address.") % {"value": email[:254]}, field="email"
            ) from exc
    team.email = email
    team.save(update_fields=["email"])
    return team


@transaction.atomic
def agent_create(
    *,
    email: str,
    name: str = "",
    password: str | None = None,
    role: str = Role.AGENT,
    teams: list[Team] | None = None,
    language: str = "",
) -> Agent:
    email = email.strip().lower()
    if not email or "@" not in email:
        raise ValidationFailed(_("An agent needs a valid email address."), field="email")
    if Agent.objects.filter(email__iexact=email).exists():
        raise ValidationFailed(
            _("An agent with the email address %(email)s already exists.") % {"email": email}, field="email"
        )
    if role not in Role.values:
        raise ValidationFailed(_("Unknown role '%(role)s'.") % {"role": role}, field="role")
    agent = Agent.objects.create_user(
        email=email,
        password=password,
        name=name,
        role=role,
        language=language,
    )
    if teams:
        agent.teams.set(teams)
    return agent


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the whole token string; shown once, never stored


def api_token_create(*, agent: Agent, name: str = "") -> IssuedToken:
    """Issue a token `lofte_<prefix>_<secret>`; only its SHA-256 is kept."""
    if not agent.is_active:
        raise ValidationFailed(_("An inactive agent cannot get an API token."), field="agent")
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(agent=agent, name=name, prefix=prefix, token_hash=_hash(secret))
    return IssuedToken(token=token, secret=secret)


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_revoke_by_prefix(*, prefix: str, agent: Agent | None = None) -> ApiToken:
    tokens = ApiToken.objects.filter(prefix=prefix)
    if agent is not None:
        tokens = tokens.filter(agent=agent)
    token = tokens.first()
    if token is None:
        raise NotFound(_("No API token with the prefix %(prefix)s.") % {"prefix": prefix}, field="prefix")
    return api_token_revoke(token=token)


def api_token_authenticate(*, secret: str) -> Agent | None:
    """The active agent behind a token string, or None. Constant-time hash comparison."""
    parts = secret.split("_")
    if len(parts) < 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = ApiToken.objects.select_related("agent").filter(prefix=parts[1], revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.token_hash, _hash(secret)):
        return None
    if not token.agent.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.agent


def agent_update_preferences(
    *,
    agent: Agent,
    name: str,
    language: str,
    time_zone: str,
    send_and_next: bool | None = None,
    email_mentions: bool | None = None,
) -> Agent:
    language = check_language(language)
    time_zone = check_time_zone(time_zone)
    agent.name = name.strip()[:150]
    agent.language = language
    agent.time_zone = time_zone
    fields = ["name", "language", "time_zone"]
    if send_and_next is not None:
        agent.send_and_next = send_and_next
        fields.append("send_and_next")
    if email_mentions is not None:
        agent.email_mentions = email_mentions
        fields.append("email_mentions")
    agent.save(update_fields=fields)
    return agent
