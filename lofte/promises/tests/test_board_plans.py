"""The board reads the promises it shows through their own indexes, never the history: checked in the query
plans of its three reads (board_scans) over a history of 3,000 kept promises and a few dozen live ones, for an
agent of one team, and for an admin over every team."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases.tests.factories import make_case
from lofte.customers.tests.factories import CustomerFactory
from lofte.promises.board import board_for, board_scans
from lofte.promises.models import Promise, PromiseState
from lofte.promises.tests.test_tick import NOW, analyze, full_scans, promise

pytestmark = pytest.mark.django_db

# the owner index: walked for a GROUP BY of the owner columns, it reads every promise ever made
OWNER_INDEX = "promise_team"
# an index of the owed promises alone (partial): read from its start in due order, it holds no history
LIVE_ONLY_INDEX = "promise_owed_due"


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    support, billing = TeamFactory(name="Support"), TeamFactory(name="Billing")
    agent = AgentFactory(teams=[support])
    admin = AgentFactory(role=Role.ADMIN)
    customer = CustomerFactory()
    cases = [make_case(customer=customer, team=team) for team in (support, billing, support)]
    history = []
    for i in range(3000):  # kept long ago, on no case: what the board must never read
        p = promise(now=NOW - timedelta(days=1 + i % 300), due_in=timedelta(hours=1), owner=agent, team_id=support.pk)
        p.state, p.kept_at = PromiseState.KEPT, p.due_at - timedelta(minutes=30)
        history.append(p)
    live = [
        promise(now=NOW, due_in=timedelta(minutes=10 + i), owner=agent, team_id=support.pk, case=cases[i % 3])
        for i in range(10)
    ]
    live += [
        promise(now=NOW, due_in=-timedelta(minutes=5 + i), owner=agent, team_id=billing.pk, case=cases[i % 3])
        for i in range(10)
    ]
    for p in live[15:]:
        p.state, p.broken_at = PromiseState.BROKEN, p.due_at
    Promise.objects.bulk_create(history + live)
    return {"agent": agent, "admin": admin}


@pytest.mark.parametrize("who", ["agent", "admin"])
def test_each_read_of_the_board_uses_the_live_indexes_and_never_reads_the_history(world, who):
    # given: the planner's statistics (on PostgreSQL, with sequential scans off: see test_tick.analyze)
    reader = world[who]
    analyze()

    # when
    plans = {name: qs.explain() for name, qs in board_scans(agent=reader, now=NOW).items()}
    assert set(plans) == {"due_soon", "overdue_pending", "overdue_owed", "figures"}

    # then: no read of the whole promise table, nor of the whole owner index
    for name, plan in plans.items():
        assert [line for line in full_scans(plan) if LIVE_ONLY_INDEX not in line] == [], f"{name}: {plan}"
        assert OWNER_INDEX not in plan, f"{name}: {plan}"


def test_the_figures_count_what_the_lists_hold(world):
    # given/when: an admin's board over both teams
    board = board_for(agent=world["admin"], now=NOW)

    # then: 10 due within the hour, 5 pending and 5 broken past due (broken this morning); the history counts
    # nowhere
    assert (board.due_soon_count, board.overdue_count, board.kept_today, board.broken_today) == (10, 10, 0, 5)
    assert [(g["owner_team__name"], g["due_soon"], g["overdue"]) for g in board.by_team] == [
        ("Billing", 0, 10),
        ("Support", 10, 0),
    ]
    assert len(board.due_soon) == 10 and len(board.overdue) == 10
