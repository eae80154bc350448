"""The promise board's numbers: what is due within the hour, what is overdue, what was kept and broken today."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.promises.models import Promise, PromiseState
from lofte.promises.subjects import describe

BOARD_ROWS = 50


@dataclass
class Board:
    due_soon: list[Promise]  # the first BOARD_ROWS
    overdue: list[Promise]  # the first BOARD_ROWS
    kept_today: int
    broken_today: int
    by_team: list[Any] = field(default_factory=list)
    by_agent: list[Any] = field(default_factory=list)
    due_soon_count: int = 0  # all of them, not only the rows listed
    overdue_count: int = 0

    @property
    def due_soon_more(self) -> int:
        return max(0, self.due_soon_count - len(self.due_soon))

    @property
    def overdue_more(self) -> int:
        return max(0, self.overdue_count - len(self.overdue))


def promises_visible_to(agent: Agent) -> QuerySet[Promise]:
    """The promises on cases the agent may see (lofte.accounts.access: the same rule as the inbox)."""
    return Promise.objects.filter(access.promise_scope_q(agent))


def _live_visible_to(agent: Agent) -> QuerySet[Promise]:
    """promises_visible_to, for the board's live rows: the same rule, with the case's side asked of each promise
    through its case's primary key. Written as a join, the planner may (on PostgreSQL it does, at 100,000
    cases) read every case into a hash to match a few thousand live promises; a subquery per row costs one
    index lookup per live promise, whatever the number of cases."""
    if not agent.is_active or access.is_admin(agent):
        return promises_visible_to(agent)
    cases = Promise._meta.get_field("case").related_model._default_manager  # the cases app's Case
    seen = (
        cases.filter(pk=OuterRef("case_id"))
        .order_by()
        .annotate(seen=ExpressionWrapper(access.case_scope_q(agent), output_field=BooleanField()))
        .values("seen")[:1]
    )
    return Promise.objects.alias(case_seen=Subquery(seen)).filter(
        access.promise_scope_q(agent, case_seen=Q(case_seen=True))
    )


def _described(rows: QuerySet[Promise]) -> list[Promise]:
    """The rows, each with what its subject's app calls it and where it links (`subject_reference`,
    `subject_url`), for a promise about no case (a customer's)."""
    promises = list(rows)
    for p in promises:
        p.subject_reference, p.subject_url = describe(p)  # type: ignore[attr-defined]
    return promises


def _first(*branches: QuerySet[Promise, tuple[datetime, int]]) -> list[Promise]:
    """The first BOARD_ROWS by due time of all the branches, with their case and owners. Each branch is read in
    due order along an index of its own and stops at BOARD_ROWS (an OR of them would read and sort every row of
    both); only the rows chosen are joined."""
    keys = sorted(key for branch in branches for key in branch)[:BOARD_ROWS]
    listed = Promise.objects.filter(pk__in=[pk for _due, pk in keys]).select_related(
        "case", "owner_agent", "owner_team"
    )
    return _described(listed.order_by("due_at", "id"))


def _in_due_order(rows: QuerySet[Promise]) -> QuerySet[Promise, tuple[datetime, int]]:
    return rows.order_by("due_at", "id").values_list("due_at", "id")[:BOARD_ROWS]


def _unindexed(column: str) -> ExpressionWrapper:
    """`column + 0`: the same value (NULL stays NULL), which no index of the column matches."""
    return ExpressionWrapper(F(column) + 0, output_field=IntegerField())


def _figures(counts: list[int]) -> dict[str, int]:
    return dict(zip(("due_soon", "overdue", "kept_today", "broken_today"), counts, strict=True))


def _nonzero(groups: Iterable[Any]) -> list[Any]:
    return [g for g in groups if g["due_soon"] or g["overdue"] or g["kept_today"] or g["broken_today"]]


def board_scans(
    *, agent: Agent, now: datetime, team: int | None = None, owner: int | None = None
) -> dict[str, QuerySet[Promise, Any]]:
    """The board's reads of the promise table: the first rows due within the hour, the first overdue rows (of
    each kind: pending past due, and broken still owed), and the figures (the live rows counted per owning team
    and agent, a few dozen groups whatever the number of promises).

    Overdue is what is still owed past its time: pending promises past due (the tick breaks them within
    seconds) and broken ones not yet settled on active cases.

    Every read starts from the promises the board is about, each kind found through an index of its own:
    pending ones due within the hour or past due (promise_state_due), broken ones still owed (promise_owed, and
    promise_owed_due in due order; solving or closing a case settles them), and those kept or broken since
    midnight (promise_kept, promise_broken). So the time goes with what the board shows, never with the history
    of kept and broken promises behind it, also for an admin over every team."""
    qs = _live_visible_to(agent)
    if team is not None:
        qs = qs.filter(owner_team_id=team)
    if owner is not None:
        qs = qs.filter(owner_agent_id=owner)
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    running = Q(state=PromiseState.PENDING, paused_at__isnull=True)
    soon = running & Q(due_at__gt=now, due_at__lte=now + timedelta(hours=1))
    owed = Q(state=PromiseState.BROKEN, settled_at__isnull=True)
    kept_today = Q(state=PromiseState.KEPT, kept_at__gte=start_of_day)
    broken_today = Q(state=PromiseState.BROKEN, broken_at__gte=start_of_day)
    live = (running & Q(due_at__lte=now + timedelta(hours=1))) | owed | kept_today | broken_today
    # a broken promise is owed until settled: done late, cancelled, renewed, or its case solved or closed (the
    # services settle it then), so the overdue list needs no look at the cases
    overdue_q = (running & Q(due_at__lte=now)) | owed
    # Which figures each live row counts in, summed by the database per (team, agent) pair. Grouped by the
    # owner columns as such, SQLite's planner walks the owner index for the grouping, through every promise
    # ever made; grouped by `owner + 0`, no index matches and it reads the live rows through their own.
    flags = {
        name: Sum(Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField()))
        for name, condition in (
            ("f_soon", soon),
            ("f_overdue", overdue_q),
            ("f_kept", kept_today),
            ("f_broken", broken_today),
        )
    }
    figures = (
        qs.filter(live)
        .order_by()
        .values(g_team=_unindexed("owner_team_id"), g_agent=_unindexed("owner_agent_id"))
        .annotate(**flags)
        .values_list("g_team", "g_agent", *flags)
    )
    return {
        "due_soon": _in_due_order(qs.filter(soon)),  # promise_state_due
        "overdue_pending": _in_due_order(qs.filter(running & Q(due_at__lte=now))),  # promise_state_due
        "overdue_owed": _in_due_order(qs.filter(owed)),  # promise_owed_due
        "figures": figures,
    }


def board_for(*, agent: Agent, now: datetime, team: int | None = None, owner: int | None = None) -> Board:
    """Everything the board shows (board_scans), in a fixed number of queries: the two lists, the figures, the
    names of their teams and agents. Every figure counts all rows; the lists show the first BOARD_ROWS."""
    scans = board_scans(agent=agent, now=now, team=team, owner=owner)
    due_soon = _first(scans["due_soon"])
    overdue = _first(scans["overdue_pending"], scans["overdue_owed"])
    totals = [0, 0, 0, 0]  # due soon, overdue, kept today, broken today
    teams: dict[int, list[int]] = {}
    agents: dict[int, list[int]] = {}
    for team_id, agent_id, *figures in scans["figures"]:
        for counts in (
            totals,
            teams.setdefault(team_id, [0, 0, 0, 0]) if team_id is not None else None,
            agents.setdefault(agent_id, [0, 0, 0, 0]) if agent_id is not None else None,
        ):
            if counts is not None:
                for i, n in enumerate(figures):
                    counts[i] += n
    by_team = _nonzero(
        sorted(
            (
                {"owner_team_id": t.pk, "owner_team__name": t.name, **_figures(teams[t.pk])}
                for t in Team.objects.filter(pk__in=list(teams)).only("id", "name")
            ),
            key=lambda g: (g["owner_team__name"], g["owner_team_id"]),
        )
    )
    by_agent = _nonzero(
        sorted(
            (
                {"owner_agent_id": a.pk, "owner_agent__name": a.name, "owner_agent__email": a.email}
                | _figures(agents[a.pk])
                for a in Agent.objects.filter(pk__in=list(agents)).only("id", "name", "email")
            ),
            key=lambda g: (g["owner_agent__name"], g["owner_agent__email"]),
        )
    )
    summed = _figures(totals)
    return Board(
        due_soon=due_soon,
        overdue=overdue,
        kept_today=summed["kept_today"],
        broken_today=summed["broken_today"],
        by_team=by_team,
        by_agent=by_agent,
        due_soon_count=summed["due_soon"],
        overdue_count=summed["overdue"],
    )
