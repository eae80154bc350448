"""route_queue: a team's waiting cases routed in one transaction get the same decisions and the same assignment as
route_case would give them one by one, never beyond any capacity, in a fixed number of statements per case."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import Case, CaseEvent, EventKind, Status
from lofte.cases.services import case_assign, case_transition, case_update
from lofte.customers.services import customer_create
from lofte.promises.models import Promise, PromiseState
from lofte.promises.policies import policy_create
from lofte.routing.models import AgentStatus, RoutingMode, TeamRouting
from lofte.routing.services import ASSIGNED, MANUAL, QUEUED, SKIPPED, route_case, route_queue
from lofte.routing.tests.conftest import make_available, open_case, route_team

pytestmark = pytest.mark.django_db


def queued(customer, team, n: int, **extra: object) -> list[Case]:  # type: ignore[no-untyped-def]
    """n new cases of the team, opened while it routes by hand (so they wait unassigned in its queue)."""
    routing = TeamRouting.objects.filter(team=team).first()
    mode = routing.mode if routing else None
    route_team(team, RoutingMode.MANUAL)
    cases = [open_case(customer, team, **extra) for _ in range(n)]
    if mode is not None:
        route_team(team, mode)
    return cases


def holders(cases: list[Case]) -> list[int | None]:
    by_id = dict(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("pk", "assignee_id"))
    return [by_id[c.pk] for c in cases]


class TestDecisions:
    def test_least_loaded_in_turn_as_route_case_would(self, customer, team, crew):
        # given: crew 0 holds two open cases, crew 1 none, crew 2 one; four cases waiting
        for agent, n in zip(crew, (2, 0, 1), strict=True):
            for _ in range(n):
                case_assign(case=open_case(customer, team), actor=None, assignee=agent)
        waiting = queued(customer, team, 4)
        route_team(team, RoutingMode.LEAST_LOADED)

        # when
        routed = route_queue(team_id=team.pk, cases=waiting)

        # then: one by one, each counting the ones before: crew 1, crew 1 (tie with crew 2: lower id), crew 2, and
        # then all three hold two (tie: crew 0)
        assert [r.case.pk for r in routed] == [c.pk for c in waiting]
        assert [r.outcome for r in routed] == [ASSIGNED] * 4
        assert [r.assignee.pk for r in routed] == [crew[1].pk, crew[1].pk, crew[2].pk, crew[0].pk]
        assert holders(waiting) == [crew[1].pk, crew[1].pk, crew[2].pk, crew[0].pk]

    def test_round_robin_moves_the_cursor_once_and_route_case_goes_on_from_it(self, customer, team, crew):
        waiting = queued(customer, team, 4)
        route_team(team, RoutingMode.ROUND_ROBIN)

        route_queue(team_id=team.pk, cases=waiting)

        assert holders(waiting) == [crew[0].pk, crew[1].pk, crew[2].pk, crew[0].pk]
        assert TeamRouting.objects.get(team=team).last_agent_id == crew[0].pk
        assert route_case(open_case(customer, team)).assignee == crew[1]

    def test_the_whole_assignment_of_each_case(self, customer, team, crew):
        # given: a policy gives every new case a pending first-response promise, owned by the team
        policy_create(name="Standard", first_response_minutes=60, next_update_minutes=240, resolution_minutes=1440)
        waiting = queued(customer, team, 2)
        route_team(team, RoutingMode.ROUND_ROBIN)
        assert set(Promise.objects.filter(case__in=waiting).values_list("owner_agent_id", flat=True)) == {None}

        route_queue(team_id=team.pk, cases=waiting)

        # then: each case's timeline says who got it (no actor: routing), and its promises follow it
        for case, agent in zip(waiting, crew, strict=False):
            event = CaseEvent.objects.get(case=case, kind=EventKind.ASSIGNED)
            assert (event.actor_id, event.data) == (None, {"from": None, "to": {"id": agent.pk, "name": agent.name}})
            owners = Promise.objects.filter(case=case, state=PromiseState.PENDING).values_list("owner_agent_id")
            assert set(owners) == {(agent.pk,)}

    def test_never_beyond_capacity_the_rest_wait_in_the_queue(self, customer, team, crew):
        for agent, capacity in zip(crew, (1, 2, 0), strict=True):
            make_available(agent, capacity=capacity)
        waiting = queued(customer, team, 5)
        route_team(team, RoutingMode.LEAST_LOADED)

        routed = route_queue(team_id=team.pk, cases=waiting)

        assert [r.outcome for r in routed] == [ASSIGNED, ASSIGNED, ASSIGNED, QUEUED, QUEUED]
        assert holders(waiting) == [crew[0].pk, crew[1].pk, crew[1].pk, None, None]
        assert CaseEvent.objects.filter(case__in=waiting[3:], kind=EventKind.ASSIGNED).count() == 0

    def test_cases_asking_different_things_get_their_own_candidates(self, customer, team, crew):
        # given: the team asks for the case's language; room for one email case each, three phone cases
        route_team(team, RoutingMode.LEAST_LOADED, require_language=True)
        make_available(crew[0], skills=["language:sv"], capacity=3, email=1)
        make_available(crew[1], skills=["language:fi"], capacity=3, email=1)
        make_available(crew[2], skills=["language:en"], capacity=3, email=1)
        finn = customer_create(name="Fanni Asiakas", email="fanni@example.fi", language="fi")
        swedish = queued(customer, team, 2)
        finnish = queued(finn, team, 1)
        by_phone = queued(customer, team, 1, channel="phone")

        routed = route_queue(team_id=team.pk, cases=[*swedish, *finnish, *by_phone])

        # then: the Swedish emails: one to crew 0, the second waits (crew 0's email is full, crew 1 and 2 do not
        # know Swedish); the Finnish one to crew 1; the Swedish phone case to crew 0, who still has phone room
        assert [r.outcome for r in routed] == [ASSIGNED, QUEUED, ASSIGNED, ASSIGNED]
        assert holders([*swedish, *finnish, *by_phone]) == [crew[0].pk, None, crew[1].pk, crew[0].pk]

    def test_offline_inactive_and_other_teams_agents_get_nothing(self, customer, team, crew, other_team):
        crew[0].is_active = False
        crew[0].save(update_fields=["is_active"])
        crew[1].teams.set([other_team])
        make_available(crew[2], status=AgentStatus.OFFLINE)
        make_available(AgentFactory(teams=[other_team]))
        waiting = queued(customer, team, 2)
        route_team(team, RoutingMode.LEAST_LOADED)

        routed = route_queue(team_id=team.pk, cases=waiting)

        assert [r.outcome for r in routed] == [QUEUED, QUEUED]
        assert holders(waiting) == [None, None]


class TestWhatItLeaves:
    def test_cases_assigned_closed_or_moved_meanwhile_are_skipped(self, customer, team, crew, other_team, agent):
        waiting = queued(customer, team, 4)
        route_team(team, RoutingMode.ROUND_ROBIN)
        taken, solved, moved, _left = waiting
        case_assign(case=taken, actor=agent, assignee=agent)
        case_transition(case=solved, actor=agent, status=Status.SOLVED)
        case_update(case=moved, actor=agent, team=other_team)

        # when: routed from the queue as it was read before those changes
        routed = route_queue(team_id=team.pk, cases=waiting)

        # then: only the one still waiting is routed; the others keep what happened to them
        assert [r.outcome for r in routed] == [SKIPPED, SKIPPED, SKIPPED, ASSIGNED]
        assert holders(waiting) == [agent.pk, None, None, crew[0].pk]
        assert Case.objects.get(pk=moved.pk).team_id == other_team.pk

    def test_a_team_that_routes_by_hand_keeps_its_queue(self, customer, team, crew):
        waiting = queued(customer, team, 2)

        routed = route_queue(team_id=team.pk, cases=waiting)

        assert [r.outcome for r in routed] == [MANUAL, MANUAL]
        assert holders(waiting) == [None, None]

    def test_a_case_given_twice_is_routed_once(self, customer, team, crew):
        first, second = queued(customer, team, 2)
        route_team(team, RoutingMode.ROUND_ROBIN)

        routed = route_queue(team_id=team.pk, cases=[first, first, second])

        assert [(r.case.pk, r.outcome, r.assignee.pk) for r in routed] == [
            (first.pk, ASSIGNED, crew[0].pk),
            (first.pk, ASSIGNED, crew[0].pk),
            (second.pk, ASSIGNED, crew[1].pk),
        ]
        assert CaseEvent.objects.filter(case=first, kind=EventKind.ASSIGNED).count() == 1

    def test_nothing_to_route_costs_nothing(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert route_queue(team_id=1, cases=[]) == []


class TestQueries:
    @pytest.mark.parametrize("mode", [RoutingMode.ROUND_ROBIN, RoutingMode.LEAST_LOADED])
    def test_three_statements_per_case_whatever_the_queue_and_the_team(self, customer, team, mode):
        # given: a team that asks for the language, and cases of two channels (two kinds of candidates)
        route_team(team, mode, require_language=True)

        def count(agents: int, cases: int) -> int:
            for _ in range(agents - team.agents.count()):
                make_available(AgentFactory(teams=[team]), skills=["language:sv"])
            waiting = queued(customer, team, cases // 2) + queued(customer, team, cases - cases // 2, channel="chat")
            with CaptureQueriesContext(connection) as queries:
                routed = route_queue(team_id=team.pk, cases=waiting)
            assert {r.outcome for r in routed} == {ASSIGNED}
            return len(queries)

        # then: the same with 5 or 50 agents; each case adds its event, the case and its promises (case_assign)
        assert count(5, 4) == count(50, 4)
        assert count(50, 24) - count(50, 4) == 3 * 20
