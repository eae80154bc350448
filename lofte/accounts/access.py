"""Who may see what, and who may do what: the one access module.

Every page, API endpoint, selector, board, queue, notification and live update
asks here; nothing else compares roles or team ids.

**Seeing** (`case_scope_q`): an admin sees every case. Everyone else sees the
cases of their teams, the cases assigned to them, and the cases no team owns
yet (the shared triage queue, so that no case is where nobody looks). What
hangs off a case follows its case: its timeline, promises, callbacks, calls,
attachments, and its customer (a customer is visible when one of their cases
is, or when they have none yet). A thing an actor may not see is *not found*
(404), never *forbidden*, so ids and references cannot be probed.

**Doing** (`can` / `require`): what a role may do to what it sees.

| role        | works cases | edits customers | team settings     | admin site and configuration |
|-------------|-------------|-----------------|-------------------|------------------------------|
| agent       | yes         | yes             | no                | no                           |
| team lead   | yes         | yes             | of their own teams| no                           |
| QA reviewer | no (reads)  | no              | no                | no                           |
| admin       | yes         | yes             | every team        | yes                          |

A customer's identities (the addresses that open their portal) can be changed
only by someone who sees every case of that customer: adding one's own address
to a customer must never reach another team's cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lofte.accounts.models import Agent, Role, Team
from lofte.accounts.selectors import agent_team_ids
from lofte.core.errors import PermissionDenied

if TYPE_CHECKING:
    from lofte.customers.models import Customer


class Perm(StrEnum):
    """Things a role may do (to what it can see)."""

    CASE_WORK = "case.work"  # create, reply, note, status, assign, promise, calls, callbacks
    CUSTOMER_EDIT = "customer.edit"  # name, tier, language, notes, organisation, suggestions
    BOARD_VIEW = "board.view"  # the promise board and kept rates (scoped to what the reader sees)
    TEAM_SETTINGS = "team.settings"  # a team's own settings (see can_manage_team for which teams)
    CONFIGURE = "configure"  # the admin site: channels, case types, policies, calendars, agents, teams
    KB_WRITE = "kb.write"  # write and change knowledge-base articles (publish where the category needs no review)
    KB_PUBLISH = "kb.publish"  # review and publish in every category; categories and sections
    INCIDENT_MANAGE = "incident.manage"  # open, change and resolve incidents; post any incident's updates
    PULSE_RESULTS = "pulse.results"  # the employee pulse's figures (never below its smallest group)


ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.TEAM_LEAD: frozenset(
        {
            Perm.CASE_WORK,
            Perm.CUSTOMER_EDIT,
            Perm.BOARD_VIEW,
            Perm.TEAM_SETTINGS,
            Perm.KB_WRITE,
            Perm.KB_PUBLISH,
            Perm.INCIDENT_MANAGE,
            Perm.PULSE_RESULTS,
        }
    ),
    Role.AGENT: frozenset({Perm.CASE_WORK, Perm.CUSTOMER_EDIT, Perm.BOARD_VIEW, Perm.KB_WRITE}),
    Role.QA_REVIEWER: frozenset({Perm.BOARD_VIEW}),
}

_DENIED = {
    Perm.CASE_WORK: gettext_lazy("Your role (%(role)s) can read cases but not change them."),
    Perm.CUSTOMER_EDIT: gettext_lazy("Your role (%(role)s) can read customers but not change them."),
    Perm.BOARD_VIEW: gettext_lazy("Your role (%(role)s) cannot see the promise board."),
    Perm.TEAM_SETTINGS: gettext_lazy(
        "Your role (%(role)s) cannot change team settings: a team's leads and admins can."
    ),
    Perm.CONFIGURE: gettext_lazy("Only admins can change this."),
    Perm.INCIDENT_MANAGE: gettext_lazy(
        "Your role (%(role)s) cannot open or change incidents: team leads and admins can (and an incident's owner "
        "posts its updates)."
    ),
    Perm.KB_WRITE: gettext_lazy("Your role (%(role)s) can read the knowledge base but not write in it."),
    Perm.PULSE_RESULTS: gettext_lazy("Your role (%(role)s) cannot see the pulse's figures: team leads and admins can."),
    Perm.KB_PUBLISH: gettext_lazy(
        "Your role (%(role)s) cannot do this: in the knowledge base, team leads and admins review, publish and keep "
        "the categories."
    ),
}


def role_of(agent: Agent) -> str:
    """The agent's role; a Django superuser is an admin whatever the column says."""
    if agent.is_superuser:
        return Role.ADMIN
    return agent.role if agent.role in ROLE_PERMS else Role.AGENT


def is_admin(agent: Agent) -> bool:
    return agent.is_active and role_of(agent) == Role.ADMIN


def can(agent: Agent | None, perm: Perm) -> bool:
    """Whether the (active) agent's role allows `perm` at all."""
    if agent is None or not agent.is_authenticated or not agent.is_active:
        return False
    return perm in ROLE_PERMS[role_of(agent)]


def require(agent: Agent | None, perm: Perm) -> None:
    """PermissionDenied (403, with the reason) unless the agent's role allows `perm`."""
    if not can(agent, perm):
        role = Role(role_of(agent)).label if agent is not None and agent.is_authenticated else "-"
        raise PermissionDenied(str(_DENIED[perm]) % {"role": role})


# --- seeing -----------------------------------------------------------------------


def case_scope_q(agent: Agent, prefix: str = "") -> Q:
    """The cases `agent` may see, as a filter on Case, or on any model through `prefix` ("case__" for a
    promise or callback, "cases__" for a customer). The one rule; every list and lookup goes through it."""
    if not agent.is_active:
        return Q(pk__in=[])
    if is_admin(agent):
        return Q()
    return (
        Q(**{f"{prefix}team_id__in": agent_team_ids(agent=agent)})
        | Q(**{f"{prefix}assignee_id": agent.pk})
        | Q(**{f"{prefix}team__isnull": True})
    )


def promise_scope_q(agent: Agent, *, case_seen: Q | None = None) -> Q:
    """The promises `agent` may see, as a filter on Promise: a promise on a case follows its case; a promise
    about no case (a customer's, after their case was closed) is its owners': the owning team's members and the
    owning agent. `case_seen` asks the case's side another way than through the join (case_scope_q over
    `case__`): the promise board asks it of each promise by its case's key (lofte.promises.board)."""
    if not agent.is_active:
        return Q(pk__in=[])
    if is_admin(agent):
        return Q()
    on_case = Q(case__isnull=False) & (case_seen if case_seen is not None else case_scope_q(agent, prefix="case__"))
    own = Q(owner_team_id__in=agent_team_ids(agent=agent)) | Q(owner_agent_id=agent.pk)
    return on_case | (Q(case__isnull=True) & own)


def case_visible(agent: Agent, *, team_id: int | None, assignee_id: int | None) -> bool:
    """case_scope_q for one case already in memory."""
    if not agent.is_active:
        return False
    if is_admin(agent) or team_id is None or assignee_id == agent.pk:
        return True
    return team_id in agent_team_ids(agent=agent)


def customer_sees_all_cases(agent: Agent, customer: Customer) -> bool:
    """Whether every case of the customer is visible to the agent (needed to change their identities)."""
    if is_admin(agent):
        return True
    return not customer.cases.exclude(case_scope_q(agent)).exists()  # type: ignore[attr-defined]


def require_identity_change(agent: Agent, customer: Customer) -> None:
    """Changing a customer's identities opens their portal to the new address: only someone who works
    cases and sees every one of that customer's cases may do it."""
    require(agent, Perm.CUSTOMER_EDIT)
    if not customer_sees_all_cases(agent, customer):
        raise PermissionDenied(
            _(
                "This customer has cases of teams you are not in. Ask an admin or a lead of those teams "
                "to change the customer's addresses."
            ),
            code="identity_change_denied",
        )


# --- teams ------------------------------------------------------------------------


def managed_team_ids(agent: Agent) -> list[int] | None:
    """The teams whose settings the agent may change: None means every team (admins)."""
    if is_admin(agent):
        return None
    if can(agent, Perm.TEAM_SETTINGS):
        return agent_team_ids(agent=agent)
    return []


def managed_teams(agent: Agent, teams: Iterable[Team] | None = None) -> list[Team]:
    """The teams whose settings the agent may change (and with which they may share a macro or a view), of
    `teams` when given (a list already read), else of every team, by name."""
    managed = managed_team_ids(agent)
    if managed == []:
        return []
    if teams is None:
        teams = Team.objects.order_by("name")
    return [t for t in teams if managed is None or t.pk in managed]


def can_manage_team(agent: Agent, team_id: int) -> bool:
    managed = managed_team_ids(agent)
    return managed is None or team_id in managed


def require_team(agent: Agent, team_id: int) -> None:
    require(agent, Perm.TEAM_SETTINGS)
    if not can_manage_team(agent, team_id):
        raise PermissionDenied(_("Only the team's leads and admins can change its settings."))


# --- who hears about a case ---------------------------------------------------------


def agents_who_see_q(*, team_id: int | None, assignee_id: int | None) -> Q:
    """A filter on Agent: the active agents who may see a case of this team and assignee (for
    notifications and escalations, which must never tell someone about a case they cannot open)."""
    q = Q(role=Role.ADMIN) | Q(is_superuser=True)
    if team_id is None:
        q |= Q(pk__isnull=False)
    else:
        q |= Q(teams=team_id)
    if assignee_id is not None:
        q |= Q(pk=assignee_id)
    return Q(is_active=True) & q
