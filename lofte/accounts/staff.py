"""Writes for the people settings pages: agents (create, edit, deactivate, reactivate), their roles, and teams'
names and members.

Who may do what is asked of lofte.accounts.access here too, not only by the pages: agents and roles are an
admin's (CONFIGURE), a team's members its leads' and the admins' (require_team). The rules that keep Lofte
usable are kept here, under a lock on the rows they count:

- an admin cannot deactivate themselves, and nobody can demote or deactivate the last active admin (the one
  who could undo it);
- a lead cannot remove themselves from a team whose last lead they are (admins may: they still manage it).

Deactivated agents cannot log in (Django's ModelBackend refuses inactive users, and its `get_user` ends their
sessions on the next request), their API tokens stop working (api_token_authenticate) and lofte.accounts.access
lets them see and do nothing. Their cases, notes and history stay theirs.

Sending the invitation (the email with the set-password link) goes through the outbox, which sits above this
app: lofte.teams.invitations does it, in the same transaction as agent_invite here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent, Role, Team
from lofte.accounts.services import agent_create
from lofte.core.errors import ValidationFailed
from lofte.core.validation import check_language, check_time_zone

MAX_NAME = 150


def _admins_q() -> Q:
    """The active admins, as access.is_admin decides: role admin, or a Django superuser."""
    return Q(is_active=True) & (Q(role=Role.ADMIN) | Q(is_superuser=True))


def _other_active_admins(agent: Agent) -> int:
    """The active admins other than `agent`, with their rows locked until the transaction ends (on PostgreSQL;
    SQLite's IMMEDIATE transaction already holds the write lock), so two admins demoting each other at the same
    moment cannot both succeed."""
    return len(list(Agent.objects.select_for_update().filter(_admins_q()).exclude(pk=agent.pk).values_list("pk")))


def _clean_name(name: str, *, field: str = "name") -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(_("Write the agent's name."), field=field)
    if len(name) > MAX_NAME:
        raise ValidationFailed(
            _("A name is at most %(max)d characters; this one has %(n)d.") % {"max": MAX_NAME, "n": len(name)},
            field=field,
        )
    return name


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            _("'%(value)s' is not a valid email address.") % {"value": email[:254]}, field="email"
        ) from exc
    return email


def _clean_role(role: str) -> str:
    if role not in Role.values:
        raise ValidationFailed(_("Unknown role '%(role)s'.") % {"role": role[:32]}, field="role")
    return role


# --- agents --------------------------------------------------------------------------------------------------


@transaction.atomic
def staff_agent_create(
    *,
    actor: Agent,
    name: str,
    email: str,
    role: str,
    teams: Iterable[Team] = (),
    language: str = "",
    time_zone: str = "",
) -> Agent:
    """A new agent without a password (they set one from the invitation, lofte.teams.invitations)."""
    access.require(actor, access.Perm.CONFIGURE)
    name = _clean_name(name)
    email = _clean_email(email)
    role = _clean_role(role)
    language = check_language(language)
    time_zone = check_time_zone(time_zone)
    agent = agent_create(email=email, name=name, password=None, role=role, teams=list(teams), language=language)
    if time_zone:
        agent.time_zone = time_zone
        agent.save(update_fields=["time_zone"])
    return agent


@transaction.atomic
def staff_agent_update(
    *,
    actor: Agent,
    agent: Agent,
    name: str,
    role: str,
    teams: Iterable[Team],
    language: str = "",
    time_zone: str = "",
) -> Agent:
    """An agent's name, role, teams, language and time zone. The last active admin keeps the admin role."""
    access.require(actor, access.Perm.CONFIGURE)
    name = _clean_name(name)
    role = _clean_role(role)
    language = check_language(language)
    time_zone = check_time_zone(time_zone)
    was_admin = agent.is_active and (agent.role == Role.ADMIN or agent.is_superuser)
    if was_admin and role != Role.ADMIN and not agent.is_superuser and _other_active_admins(agent) == 0:
        raise ValidationFailed(
            _("%(name)s is the last active admin; make another agent an admin first.") % {"name": agent},
            field="role",
        )
    agent.name, agent.role, agent.language, agent.time_zone = name, role, language, time_zone
    agent.save(update_fields=["name", "role", "language", "time_zone"])
    agent.teams.set(list(teams))
    return agent


@transaction.atomic
def staff_agent_deactivate(*, actor: Agent, agent: Agent) -> Agent:
    """The agent can no longer log in or use the API; everything they did stays."""
    access.require(actor, access.Perm.CONFIGURE)
    if agent.pk == actor.pk:
        raise ValidationFailed(_("You cannot deactivate yourself; ask another admin."), field="agent")
    if not agent.is_active:
        return agent
    is_admin = agent.role == Role.ADMIN or agent.is_superuser
    if is_admin and _other_active_admins(agent) == 0:
        raise ValidationFailed(
            _("%(name)s is the last active admin and cannot be deactivated.") % {"name": agent}, field="agent"
        )
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    return agent


@transaction.atomic
def staff_agent_reactivate(*, actor: Agent, agent: Agent) -> Agent:
    access.require(actor, access.Perm.CONFIGURE)
    if not agent.is_active:
        agent.is_active = True
        agent.save(update_fields=["is_active"])
    return agent


def staff_agent_invitable(*, actor: Agent, agent: Agent) -> None:
    """Whether an invitation (a set-password link) may be sent to the agent: by an admin, to an active agent."""
    access.require(actor, access.Perm.CONFIGURE)
    if not agent.is_active:
        raise ValidationFailed(_("%(name)s is deactivated; reactivate them first.") % {"name": agent}, field="agent")


# --- teams ---------------------------------------------------------------------------------------------------


def _clean_team_name(name: str, *, team: Team | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(_("A team needs a name."), field="name")
    limit = Team._meta.get_field("name").max_length or 100
    if len(name) > limit:
        raise ValidationFailed(
            _("A team's name is at most %(max)d characters.") % {"max": limit},
            field="name",
        )
    clash = Team.objects.filter(name__iexact=name)
    if team is not None:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise ValidationFailed(_("A team named '%(name)s' already exists.") % {"name": name}, field="name")
    return name


@transaction.atomic
def staff_team_create(*, actor: Agent, name: str) -> Team:
    access.require(actor, access.Perm.CONFIGURE)
    return Team.objects.create(name=_clean_team_name(name))


@transaction.atomic
def staff_team_rename(*, actor: Agent, team: Team, name: str) -> Team:
    access.require(actor, access.Perm.CONFIGURE)
    team.name = _clean_team_name(name, team=team)
    team.save(update_fields=["name"])
    return team


@transaction.atomic
def staff_team_member_add(*, actor: Agent, team: Team, agent: Agent) -> Agent:
    """Make an active agent a member of the team (they see its cases from now on)."""
    access.require_team(actor, team.pk)
    if not agent.is_active:
        raise ValidationFailed(_("%(name)s is deactivated and cannot join a team.") % {"name": agent}, field="agent")
    if agent.teams.filter(pk=team.pk).exists():
        raise ValidationFailed(
            _("%(name)s is already a member of %(team)s.") % {"name": agent, "team": team.name}, field="agent"
        )
    agent.teams.add(team)
    return agent


def _is_lead(agent: Agent) -> bool:
    return agent.is_active and agent.role == Role.TEAM_LEAD


@transaction.atomic
def staff_team_member_remove(*, actor: Agent, team: Team, agent: Agent) -> Agent:
    """Take the agent out of the team. A lead may not leave a team without a lead (an admin may)."""
    access.require_team(actor, team.pk)
    if not agent.teams.filter(pk=team.pk).exists():
        raise ValidationFailed(
            _("%(name)s is not a member of %(team)s.") % {"name": agent, "team": team.name}, field="agent"
        )
    if _is_lead(agent) and not access.is_admin(actor):
        other_leads = (
            Agent.objects.select_for_update()
            .filter(teams=team, role=Role.TEAM_LEAD, is_active=True)
            .exclude(pk=agent.pk)
            .values_list("pk", flat=True)
        )
        if not list(other_leads):
            if agent.pk == actor.pk:
                message = _("You are the last lead of %(team)s; make another member a lead first.")
            else:
                message = _("%(name)s is the last lead of %(team)s; make another member a lead first.")
            raise ValidationFailed(message % {"name": agent, "team": team.name}, field="agent", code="last_lead")
    agent.teams.remove(team)
    return agent
