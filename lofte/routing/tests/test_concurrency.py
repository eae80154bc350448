"""Eight assigners at once never give an agent more than their capacity (PostgreSQL: real row locks, real threads,
each with its own connection, as eight workers or requests would be)."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count

from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases.models import ACTIVE_STATUSES, Case, CaseEvent, EventKind
from lofte.core.tests.concurrency import run_concurrently
from lofte.customers.services import customer_create
from lofte.routing.models import RoutingMode, TeamRouting
from lofte.routing.services import ASSIGNED, QUEUED, SKIPPED, route_case, route_queue
from lofte.routing.tests.conftest import make_available, open_case

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks need PostgreSQL: SQLite lets one writer in at a time, so assigners never overlap there",
    ),
]

WORKERS = 8
CASES = 200


@pytest.mark.parametrize("mode", [RoutingMode.LEAST_LOADED, RoutingMode.ROUND_ROBIN])
def test_eight_assigners_never_exceed_any_capacity(mode):
    # given: two teams sharing some agents, small capacities (room for 60 email cases in all), 200 new cases
    # opened while routing was off, so that the threads do all the assigning
    support, billing = TeamFactory(name="Support"), TeamFactory(name="Billing")
    capacities = [1, 2, 3, 5, 8, 1, 2, 3, 5, 30]
    agents = []
    for i, capacity in enumerate(capacities):
        teams = [support, billing] if i % 3 == 0 else [support if i % 2 else billing]
        agent = AgentFactory(email=f"load{i}@example.com", teams=teams)
        make_available(agent, capacity=capacity)
        agents.append(agent)
    customer = customer_create(name="Karin Kund", email="karin@example.se", language="sv")
    cases = [open_case(customer, support if i % 2 else billing) for i in range(CASES)]
    assert Case.objects.filter(assignee__isnull=False).count() == 0
    for team in (support, billing):
        TeamRouting.objects.create(team=team, mode=mode)
    queue = itertools.count()
    lock = threading.Lock()
    ids = [c.pk for c in cases]

    def assigner() -> dict[str, int]:
        outcomes = {ASSIGNED: 0, QUEUED: 0}
        while True:
            with lock:
                i = next(queue)
            if i >= len(ids):
                return outcomes
            outcomes[route_case(Case.objects.get(pk=ids[i])).outcome] += 1

    # when
    results = run_concurrently(WORKERS, assigner)

    # then: every case was decided once, the room was filled exactly, and nobody holds more than their capacity
    assigned = sum(r[ASSIGNED] for r in results)
    assert assigned + sum(r[QUEUED] for r in results) == CASES
    loads = dict(
        Case.objects.filter(status__in=ACTIVE_STATUSES, assignee__isnull=False)
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    over = {a.email: (loads.get(a.pk, 0), c) for a, c in zip(agents, capacities, strict=True) if loads.get(a.pk, 0) > c}
    assert over == {}
    assert assigned == sum(capacities) == sum(loads.values())


@pytest.mark.parametrize("mode", [RoutingMode.LEAST_LOADED, RoutingMode.ROUND_ROBIN])
def test_eight_assigners_routing_queues_in_chunks_and_single_cases_never_exceed_any_capacity(mode):
    # given: as above, but the assigners take the teams' queues seven cases at a time (route_queue), and every
    # third assigner routes single cases (route_case) at the same time, as new cases come while the sweep runs
    support, billing = TeamFactory(name="Support"), TeamFactory(name="Billing")
    capacities = [1, 2, 3, 5, 8, 1, 2, 3, 5, 30]
    agents = []
    for i, capacity in enumerate(capacities):
        teams = [support, billing] if i % 3 == 0 else [support if i % 2 else billing]
        agent = AgentFactory(email=f"load{i}@example.com", teams=teams)
        make_available(agent, capacity=capacity)
        agents.append(agent)
    customer = customer_create(name="Karin Kund", email="karin@example.se", language="sv")
    by_team: dict[int, list[int]] = {support.pk: [], billing.pk: []}
    for i in range(CASES):
        team = support if i % 2 else billing
        by_team[team.pk].append(open_case(customer, team, channel="email" if i % 5 else "chat").pk)
    for team in (support, billing):
        TeamRouting.objects.create(team=team, mode=mode)
    work = [(team_id, ids[i : i + 7]) for team_id, ids in by_team.items() for i in range(0, len(ids), 7)]
    work.sort(key=lambda item: item[1][0])  # the two teams' chunks interleaved
    queue = itertools.count()
    lock = threading.Lock()
    workers = itertools.count()

    def assigner() -> dict[str, int]:
        single = next(workers) % 3 == 0
        outcomes = {ASSIGNED: 0, QUEUED: 0, SKIPPED: 0}
        while True:
            with lock:
                i = next(queue)
            if i >= len(work):
                return outcomes
            team_id, ids = work[i]
            cases = list(Case.objects.filter(pk__in=ids).order_by("pk"))
            routed = [route_case(c) for c in cases] if single else route_queue(team_id=team_id, cases=cases)
            for result in routed:
                outcomes[result.outcome] += 1

    # when
    results = run_concurrently(WORKERS, assigner)

    # then: every case decided once, the room filled exactly, nobody beyond their capacity in any channel
    assert sum(r[SKIPPED] for r in results) == 0
    assigned = sum(r[ASSIGNED] for r in results)
    assert assigned + sum(r[QUEUED] for r in results) == CASES
    loads = dict(
        Case.objects.filter(status__in=ACTIVE_STATUSES, assignee__isnull=False)
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    per_channel = (
        Case.objects.filter(status__in=ACTIVE_STATUSES, assignee__isnull=False)
        .values_list("assignee_id", "channel")
        .annotate(n=Count("pk"))
        .order_by()
    )
    capacity_of = {a.pk: c for a, c in zip(agents, capacities, strict=True)}
    assert [(a, ch, n) for a, ch, n in per_channel if n > capacity_of[a]] == []
    assert assigned == sum(loads.values())
    assert CaseEvent.objects.filter(kind=EventKind.ASSIGNED).count() == assigned


def test_a_queue_skips_the_cases_another_transaction_holds_without_waiting():
    # given: a team that routes, two cases waiting, one of them held by someone changing it right now
    team = TeamFactory(name="Support")
    make_available(AgentFactory(email="alma@example.com", teams=[team]))
    customer = customer_create(name="Karin Kund", email="karin@example.se", language="sv")
    held, free = open_case(customer, team), open_case(customer, team)
    TeamRouting.objects.create(team=team, mode=RoutingMode.ROUND_ROBIN)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                list(Case.objects.select_for_update().filter(pk=held.pk))
                holding.set()
                release.wait(timeout=10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        # when
        start = time.monotonic()
        routed = route_queue(team_id=team.pk, cases=[held, free])
        waited = time.monotonic() - start
    finally:
        release.set()
        holder.join(timeout=10)

    # then: the free case is routed at once; the held one is left for the next run, unchanged
    assert [r.outcome for r in routed] == [SKIPPED, ASSIGNED]
    assert waited < 2
    assert Case.objects.get(pk=held.pk).assignee_id is None
    assert CaseEvent.objects.filter(case_id=held.pk, kind=EventKind.ASSIGNED).count() == 0
