"""Saved views: the inbox's filters kept under a name, an agent's own or shared with a team.

Anyone who reads cases saves their own; a team's leads (and admins) share one with the team. A view's cases are
counted through the same condition as its list (`selectors.filters_q`), the agent's own visibility included, so
a view shared with a team shows each member only what they may see. The sidebar's saved views are counted in one
query (`saved_view_counts`). One that someone may not use is not found.
"""

from __future__ import annotations

from django.db.models import Count, F, Q
from django.http import QueryDict
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.accounts.selectors import agent_team_ids
from lofte.cases.models import Case, SavedView
from lofte.cases.selectors import FILTER_KEYS, case_visible_q, filters_parse, filters_q
from lofte.core import clock
from lofte.core.errors import NotFound, PermissionDenied, ValidationFailed

MAX_PER_AGENT = 50  # the sidebar's list: an agent's own and their teams' views
MAX_EACH = 25  # an agent's own, and each team's


def saved_view_q(agent: Agent) -> Q:
    """The saved views the agent may use: their own and their teams'."""
    if not agent.is_active:
        return Q(pk__in=[])
    return Q(owner_id=agent.pk) | Q(team_id__in=agent_team_ids(agent=agent))


def saved_views_for_agent(*, agent: Agent) -> list[SavedView]:
    """Their own first, then their teams', by name."""
    rows = SavedView.objects.filter(saved_view_q(agent)).select_related("team")
    rows = rows.order_by(F("team_id").asc(nulls_first=True), "name", "id")
    return list(rows[:MAX_PER_AGENT])


def saved_view_get_for_agent(*, agent: Agent, view_id: int) -> SavedView:
    view = SavedView.objects.filter(saved_view_q(agent), pk=view_id).first()
    if view is None:
        raise NotFound(_("Saved view %(id)s not found.") % {"id": view_id})
    return view


def filters_query(query: str) -> str:
    """The inbox's filters in `query`, checked, as a query string of those alone (a cursor or anything else
    dropped)."""
    params = QueryDict(query.lstrip("?")[:2000])
    kept = QueryDict(mutable=True)
    for key in FILTER_KEYS:
        values = [v for v in params.getlist(key) if v]
        if values:
            kept.setlist(key, values)
    filters_parse(kept).validate()  # a view that is not one is refused now, not each time it is counted
    return kept.urlencode()


def saved_view_create(*, agent: Agent, name: str, query: str, team: Team | None = None) -> SavedView:
    """Save the filters under a name: the agent's own, or (`team`) shared with a team they lead."""
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed(_("Give the view a name."), field="name")
    if len(name) > 100:
        raise ValidationFailed(_("The name is longer than 100 characters."), field="name")
    if team is not None and not access.can_manage_team(agent, team.pk):
        raise PermissionDenied(_("Only the team's leads and admins can share a view with the team."))
    mine = SavedView.objects.filter(team=team) if team is not None else SavedView.objects.filter(owner=agent)
    if mine.count() >= MAX_EACH:  # the sidebar counts them all every 30 seconds
        raise ValidationFailed(
            _("There are %(max)d saved views already; delete one first.") % {"max": MAX_EACH}, field="name"
        )
    return SavedView.objects.create(
        name=name,
        query=filters_query(query),
        owner=None if team is not None else agent,
        team=team,
        created_by=agent,
        created_at=clock.now(),
    )


def saved_view_can_delete(agent: Agent, view: SavedView) -> bool:
    """The owner deletes their own; a team's leads and admins the team's."""
    if view.owner_id is not None:
        return view.owner_id == agent.pk
    return access.can_manage_team(agent, view.team_id or 0)


def saved_view_delete(*, agent: Agent, view: SavedView) -> None:
    if not saved_view_can_delete(agent, view):
        if view.owner_id is not None:  # another agent's own: as if it did not exist
            raise NotFound(_("Saved view %(id)s not found.") % {"id": view.pk})
        raise PermissionDenied(_("Only the team's leads and admins can delete the team's views."))
    view.delete()


def saved_view_counts(*, agent: Agent, views: list[SavedView]) -> dict[int, int]:
    """How many cases each view shows the agent, in one query."""
    if not views:
        return {}
    conditions = {view.pk: filters_q(agent, filters_parse(QueryDict(view.query))) for view in views}
    rows = Case.objects.filter(case_visible_q(agent))
    if all(conditions.values()):  # (a view of every case one sees has no condition: then all are read)
        any_of = Q()
        for condition in conditions.values():
            any_of |= condition
        rows = rows.filter(any_of)
    counts = rows.aggregate(
        **{
            f"v{pk}": Count("pk", filter=condition) if condition else Count("pk")
            for pk, condition in conditions.items()
        }
    )
    return {pk: counts[f"v{pk}"] for pk in conditions}
