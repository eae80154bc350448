"""The promise board's numbers: what is due within the hour, what is overdue, what was kept and broken today."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.core.choices import ACTIVE_STATUSES
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


ACTIVE_CASE = [status.value for status in ACTIVE_STATUSES]


def promises_visible_to(agent: Agent) -> QuerySet[Promise]:
    """The promises on cases the agent may see (lofte.accounts.access: the same rule as the inbox)."""
    return Promise.objects.filter(access.promise_scope_q(agent))


def _described(rows: QuerySet[Promise]) -> list[Promise]:
    """The rows, each with what its subject's app calls it and where it links (`subject_reference`,
    `subject_url`), for a promise about no case (a customer's)."""
    promises = list(rows)
    for p in promises:
        p.subject_reference, p.subject_url = describe(p)  # type: ignore[attr-defined]
    return promises


def _nonzero(groups: Iterable[Any]) -> list[Any]:
    return [g for g in groups if g["due_soon"] or g["overdue"] or g["kept_today"] or g["broken_today"]]


def board_for(*, agent: Agent, now: datetime, team: int | None = None, owner: int | None = None) -> Board:
    """Everything the board shows, in a fixed number of queries (two lists, one count row, two groupings).

    Overdue is what is still owed past its time: pending promises past due (the tick breaks them within
    seconds) and broken ones not yet settled on active cases. Every figure counts all rows; the lists show the
    first BOARD_ROWS.

    Every query starts from the promises the board is about, each kind found through an index of its own
    (`LIVE`): pending ones due within the hour or past due, broken ones still owed (solving or closing a case
    settles them), and those kept or broken since midnight. So the time goes with what the board shows, never
    with the history of kept and broken promises behind it, also for an admin over every team."""
    qs = promises_visible_to(agent)
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
    # each branch is one index: promise_state_due, promise_owed, promise_kept, promise_broken
    live = (running & Q(due_at__lte=now + timedelta(hours=1))) | owed | kept_today | broken_today
    # a broken promise on a case is owed while the case is active; one about no case (a customer's) until settled
    overdue_q = (running & Q(due_at__lte=now)) | (owed & (Q(case__status__in=ACTIVE_CASE) | Q(case__isnull=True)))
    rows = qs.select_related("case", "owner_agent", "owner_team")
    due_soon = _described(rows.filter(soon).order_by("due_at")[:BOARD_ROWS])
    overdue = _described(
        rows.filter((running & Q(due_at__lte=now)) | owed).filter(overdue_q).order_by("due_at")[:BOARD_ROWS]
    )
    group = {
        "due_soon": Count("pk", filter=soon),
        "overdue": Count("pk", filter=overdue_q),
        "kept_today": Count("pk", filter=kept_today),
        "broken_today": Count("pk", filter=broken_today),
    }
    current = qs.filter(live)
    counts = current.aggregate(**group)
    by_team = _nonzero(
        current.filter(owner_team__isnull=False)
        .values("owner_team_id", "owner_team__name")
        .annotate(**group)
        .order_by("owner_team__name")
    )
    by_agent = _nonzero(
        current.filter(owner_agent__isnull=False)
        .values("owner_agent_id", "owner_agent__name", "owner_agent__email")
        .annotate(**group)
        .order_by("owner_agent__name", "owner_agent__email")
    )
    return Board(
        due_soon=due_soon,
        overdue=overdue,
        kept_today=counts["kept_today"],
        broken_today=counts["broken_today"],
        by_team=by_team,
        by_agent=by_agent,
        due_soon_count=counts["due_soon"],
        overdue_count=counts["overdue"],
    )
