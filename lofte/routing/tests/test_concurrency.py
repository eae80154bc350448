"""Eight assigners at once never give an agent more than their capacity (PostgreSQL: real row locks, real threads,
each with its own connection, as eight workers or requests would be)."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.db import connection
from django.db.models import Count

from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases.models import ACTIVE_STATUSES, Case
from lofte.core.tests.concurrency import run_concurrently
from lofte.customers.services import customer_create
from lofte.routing.models import RoutingMode, TeamRouting
from lofte.routing.services import ASSIGNED, QUEUED, route_case
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
