"""The promise board's numbers: what is due within the hour, what is overdue, what was kept and broken today."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.promises.models import Promise, PromiseState

BOARD_ROWS = 50


@dataclass
class Board:
    due_soon: list[Promise]
    overdue: list[Promise]
    kept_today: int
    broken_today: int
    by_team: list[Any] = field(default_factory=list)
    by_agent: list[Any] = field(default_factory=list)


def promises_visible_to(agent: Agent) -> QuerySet[Promise]:
    """The promises on cases the agent may see (lofte.accounts.access: the same rule as the inbox)."""
    return Promise.objects.filter(access.promise_scope_q(agent))


def board_for(*, agent: Agent, now: datetime, team: int | None = None, owner: int | None = None) -> Board:
    """Everything the board shows, in a fixed number of queries (two lists, one count row, two groupings)."""
    qs = promises_visible_to(agent)
    if team is not None:
        qs = qs.filter(owner_team_id=team)
    if owner is not None:
        qs = qs.filter(owner_agent_id=owner)
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = qs.select_related("case", "owner_agent", "owner_team")
    running = rows.filter(state=PromiseState.PENDING, paused_at__isnull=True)
    due_soon = list(
        running.filter(due_at__gt=now, due_at__lte=now + timedelta(hours=1)).order_by("due_at")[:BOARD_ROWS]
    )
    overdue = list(
        rows.filter(
            Q(state=PromiseState.PENDING, paused_at__isnull=True, due_at__lte=now)
            | Q(
                state=PromiseState.BROKEN,
                case__status__in=["new", "open", "waiting_on_customer", "waiting_on_third_party"],
            )
        ).order_by("due_at")[:BOARD_ROWS]
    )
    today = qs.aggregate(
        kept=Count("pk", filter=Q(state=PromiseState.KEPT, kept_at__gte=start_of_day)),
        broken=Count("pk", filter=Q(state=PromiseState.BROKEN, broken_at__gte=start_of_day)),
    )
    group = {
        "due_soon": Count(
            "pk",
            filter=Q(
                state=PromiseState.PENDING, paused_at__isnull=True, due_at__gt=now, due_at__lte=now + timedelta(hours=1)
            ),
        ),
        "overdue": Count("pk", filter=Q(state=PromiseState.PENDING, paused_at__isnull=True, due_at__lte=now)),
        "kept_today": Count("pk", filter=Q(state=PromiseState.KEPT, kept_at__gte=start_of_day)),
        "broken_today": Count("pk", filter=Q(state=PromiseState.BROKEN, broken_at__gte=start_of_day)),
    }
    active = Q(state=PromiseState.PENDING) | Q(kept_at__gte=start_of_day) | Q(broken_at__gte=start_of_day)
    by_team = list(
        qs.filter(active, owner_team__isnull=False)
        .values("owner_team_id", "owner_team__name")
        .annotate(**group)
        .order_by("owner_team__name")
    )
    by_agent = list(
        qs.filter(active, owner_agent__isnull=False)
        .values("owner_agent_id", "owner_agent__name", "owner_agent__email")
        .annotate(**group)
        .order_by("owner_agent__name", "owner_agent__email")
    )
    return Board(
        due_soon=due_soon,
        overdue=overdue,
        kept_today=today["kept"],
        broken_today=today["broken"],
        by_team=by_team,
        by_agent=by_agent,
    )
