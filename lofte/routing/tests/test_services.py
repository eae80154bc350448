"""Routing a new case: each mode picks the right agent among the eligible ones, never beyond capacity; the triage
team for cases without one; unanswered cases of agents who went away go back after the grace."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import Case, CaseEvent, CaseType, EventKind, Status
from lofte.cases.services import case_assign, case_transition
from lofte.core import clock
from lofte.core.errors import PermissionDenied, ValidationFailed
from lofte.customers.models import Tier
from lofte.customers.services import customer_create
from lofte.routing import services
from lofte.routing.models import AgentStatus, Availability, RoutingMode, RoutingSettings, TeamRouting
from lofte.routing.services import (
    ASSIGNED,
    MANUAL,
    NO_TEAM,
    QUEUED,
    SKIPPED,
    agent_routing_update,
    agent_status_set,
    reroute_away,
    route_case,
    team_routing_set,
    triage_team_set,
)
from lofte.routing.tests.conftest import make_available, open_case, route_team

pytestmark = pytest.mark.django_db


def assignees(cases: list[Case]) -> list[str | None]:
    return [Case.objects.get(pk=c.pk).assignee.email if Case.objects.get(pk=c.pk).assignee else None for c in cases]


class TestManualByDefault:
    def test_a_team_without_routing_keeps_its_new_cases_unassigned(self, customer, team, crew):
        # given: agents online, but nobody turned routing on for the team
        # when
        case = open_case(customer, team)

        # then: nothing changed from before routing existed
        case.refresh_from_db()
        assert (case.team_id, case.assignee_id) == (team.pk, None)
        assert list(case.events.values_list("kind", flat=True)) == [EventKind.CREATED]
        assert route_case(case).outcome == MANUAL

    def test_a_manual_team_keeps_its_new_cases_unassigned(self, customer, team, crew):
        route_team(team, RoutingMode.MANUAL)

        case = open_case(customer, team)

        assert Case.objects.get(pk=case.pk).assignee_id is None

    def test_a_case_opened_with_an_assignee_keeps_it(self, customer, team, crew, agent):
        route_team(team)

        case = open_case(customer, team, assignee=agent)

        assert Case.objects.get(pk=case.pk).assignee_id == agent.pk
        assert route_case(case).outcome == SKIPPED


class TestRoundRobin:
    def test_each_eligible_agent_in_turn_by_id_and_round_again(self, customer, team, crew):
        route_team(team, RoutingMode.ROUND_ROBIN)

        cases = [open_case(customer, team) for _ in range(4)]

        emails = [a.email for a in crew]
        assert assignees(cases) == [emails[0], emails[1], emails[2], emails[0]]
        assert TeamRouting.objects.get(team=team).last_agent_id == crew[0].pk

    def test_the_assignment_is_on_the_timeline_without_an_actor(self, customer, team, crew):
        route_team(team)

        case = open_case(customer, team)

        event = CaseEvent.objects.get(case=case, kind=EventKind.ASSIGNED)
        assert event.actor_id is None
        assert event.data["to"] == {"id": crew[0].pk, "name": crew[0].display_name}

    def test_skips_an_agent_whose_turn_it_is_when_they_are_full(self, customer, team, crew):
        route_team(team)
        make_available(crew[1], capacity=0)

        cases = [open_case(customer, team) for _ in range(3)]

        assert assignees(cases) == [crew[0].email, crew[2].email, crew[0].email]


class TestLeastLoaded:
    def test_the_agent_with_the_smallest_share_of_their_capacity_in_use(self, customer, team, crew):
        # given: crew 0 holds two open cases, crew 1 none, crew 2 one
        for agent, n in zip(crew, (2, 0, 1), strict=True):
            for _ in range(n):
                case_assign(case=open_case(customer, team), actor=None, assignee=agent)
        route_team(team, RoutingMode.LEAST_LOADED)

        # when
        first, second, third = (open_case(customer, team) for _ in range(3))

        # then: crew 1 (none open); then crew 1 and 2 hold one each: a tie goes to the lower id; then crew 2
        assert assignees([first, second, third]) == [crew[1].email, crew[1].email, crew[2].email]

    def test_share_of_capacity_not_count(self, customer, team, crew):
        # given: crew 0 has 2 of 10 (20 %), crew 1 has 1 of 2 (50 %); crew 2 is offline
        make_available(crew[0], capacity=10)
        make_available(crew[1], capacity=2)
        make_available(crew[2], status=AgentStatus.OFFLINE)
        for agent, n in ((crew[0], 2), (crew[1], 1)):
            for _ in range(n):
                case_assign(case=open_case(customer, team), actor=None, assignee=agent)
        route_team(team, RoutingMode.LEAST_LOADED)

        assert Case.objects.get(pk=open_case(customer, team).pk).assignee_id == crew[0].pk

    def test_solved_and_closed_cases_are_no_load(self, customer, team, crew, agent):
        make_available(crew[0], capacity=1)
        make_available(crew[1], status=AgentStatus.OFFLINE)
        make_available(crew[2], status=AgentStatus.OFFLINE)
        old = open_case(customer, team)
        case_assign(case=old, actor=None, assignee=crew[0])
        case_transition(case=old, actor=agent, status=Status.SOLVED)
        route_team(team, RoutingMode.LEAST_LOADED)

        assert Case.objects.get(pk=open_case(customer, team).pk).assignee_id == crew[0].pk


class TestEligibility:
    def test_offline_and_away_agents_get_nothing(self, customer, team, crew):
        route_team(team)
        agent_status_set(agent=crew[0], status=AgentStatus.AWAY)
        agent_status_set(agent=crew[2], status=AgentStatus.OFFLINE)

        cases = [open_case(customer, team) for _ in range(2)]

        assert assignees(cases) == [crew[1].email, crew[1].email]

    def test_inactive_agents_and_other_teams_agents_get_nothing(self, customer, team, crew, other_team):
        route_team(team)
        crew[0].is_active = False
        crew[0].save(update_fields=["is_active"])
        crew[1].teams.set([other_team])
        make_available(crew[2], status=AgentStatus.OFFLINE)
        stranger = AgentFactory(teams=[other_team])
        make_available(stranger)

        routed = route_case(open_case(customer, team))

        assert (routed.outcome, routed.case.assignee_id) == (QUEUED, None)

    def test_full_agents_are_skipped_per_channel(self, customer, team, crew):
        # given: room for one email case each, and for five phone cases
        for agent in crew:
            make_available(agent, capacity=5, email=1)
        route_team(team, RoutingMode.LEAST_LOADED)

        emails = [open_case(customer, team) for _ in range(4)]
        phone = open_case(customer, team, channel="phone")

        # then: three emails assigned, the fourth waits in the team's queue; the phone case still finds room
        assert assignees(emails) == [crew[0].email, crew[1].email, crew[2].email, None]
        assert Case.objects.get(pk=emails[3].pk).team_id == team.pk
        assert Case.objects.get(pk=phone.pk).assignee_id == crew[0].pk

    def test_the_total_capacity_caps_all_channels(self, customer, team, crew):
        make_available(crew[0], capacity=5, total=2)
        make_available(crew[1], status=AgentStatus.OFFLINE)
        make_available(crew[2], status=AgentStatus.OFFLINE)
        route_team(team)

        cases = [open_case(customer, team, channel=c) for c in ("email", "phone", "sms")]

        assert assignees(cases) == [crew[0].email, crew[0].email, None]

    def test_nobody_eligible_leaves_the_case_unassigned_in_its_team_queue(self, customer, team, agent):
        route_team(team)  # the only member (agent) never went online

        case = open_case(customer, team)

        routed = route_case(case)
        assert routed.outcome == QUEUED
        case.refresh_from_db()
        assert (case.team_id, case.assignee_id, case.status) == (team.pk, None, Status.NEW)
        assert list(case.events.values_list("kind", flat=True)) == [EventKind.CREATED]

    def test_language_skill(self, customer, team, crew):
        route_team(team, require_language=True)
        make_available(crew[0], skills=["language:en"])
        make_available(crew[1], skills=["language:sv", "language:en"])

        cases = [open_case(customer, team) for _ in range(2)]  # the customer writes Swedish

        assert assignees(cases) == [crew[1].email, crew[1].email]

    def test_product_and_channel_skills(self, customer, team, crew):
        route_team(team, require_product=True, require_channel=True)
        invoice = CaseType.objects.create(name="Invoice")
        make_available(crew[0], skills=["product:invoice", "channel:email"])
        make_available(crew[1], skills=["product:invoice", "channel:phone"])
        make_available(crew[2], skills=["product:delivery", "channel:phone"])

        by_phone = open_case(customer, team, channel="phone", case_type=invoice)
        by_email = open_case(customer, team, channel="email", case_type=invoice)
        no_type = open_case(customer, team, channel="phone")  # no case type: no product asked

        # (round-robin: after crew 0, the next of crew 1 and 2 who know the phone)
        assert assignees([by_phone, by_email, no_type]) == [crew[1].email, crew[0].email, crew[1].email]

    def test_tier_skill_keeps_tier_a_customers_with_the_agents_who_may_take_them(self, team, crew):
        route_team(team, require_tier=True)
        make_available(crew[0], skills=["tier:a", "tier:b", "tier:c"])
        make_available(crew[1], skills=["tier:c"])
        make_available(crew[2], skills=[])  # no tier skill: takes no case of this team
        big = customer_create(name="Storbank", email="bank@example.com", tier=Tier.A, language="sv")
        small = customer_create(name="Kiosken", email="kiosk@example.com", tier=Tier.C, language="sv")

        cases = [open_case(big, team), open_case(small, team), open_case(big, team), open_case(small, team)]

        # (round-robin among those who may: A only ever to crew 0; C in turn to crew 1 and crew 0)
        assert assignees(cases) == [crew[0].email, crew[1].email, crew[0].email, crew[1].email]

    def test_without_tier_required_the_tier_skill_changes_nothing(self, team, crew):
        route_team(team)
        make_available(crew[0], skills=["tier:c"])
        big = customer_create(name="Storbank", email="bank@example.com", tier=Tier.A, language="sv")

        assert assignees([open_case(big, team)]) == [crew[0].email]

    def test_an_agent_needs_the_tier_skill_of_the_customer_when_the_team_asks_for_it(self, team, crew):
        route_team(team, require_tier=True)
        big = customer_create(name="Storbank", email="bank@example.com", tier=Tier.A, language="sv")

        assert route_case(open_case(big, team)).outcome == QUEUED

    def test_nobody_with_the_skill_queues_the_case(self, customer, team, crew):
        route_team(team, require_language=True)

        assert route_case(open_case(customer, team)).outcome == QUEUED


class TestTriage:
    def test_a_case_without_a_team_goes_to_the_triage_team_and_through_its_routing(self, customer, triage_team, admin):
        triage_team_set(actor=admin, team=triage_team)
        route_team(triage_team)
        sorter = AgentFactory(teams=[triage_team])
        make_available(sorter)

        case = open_case(customer, None)

        case.refresh_from_db()
        assert (case.team_id, case.assignee_id) == (triage_team.pk, sorter.pk)
        changed = CaseEvent.objects.get(case=case, kind=EventKind.TEAM_CHANGED)
        assert (changed.data["from"], changed.data["to"]) == (None, "Triage")

    def test_without_a_triage_team_the_case_stays_in_the_no_team_view(self, customer, crew):
        case = open_case(customer, None)

        case.refresh_from_db()
        assert (case.team_id, case.assignee_id) == (None, None)
        assert route_case(case).outcome == NO_TEAM

    def test_a_manual_triage_team_queues_the_case_there(self, customer, triage_team, admin):
        triage_team_set(actor=admin, team=triage_team)

        case = open_case(customer, None)

        assert Case.objects.filter(pk=case.pk).values_list("team_id", "assignee_id").get() == (triage_team.pk, None)

    def test_only_admins_choose_the_triage_team(self, lead, triage_team):
        with pytest.raises(PermissionDenied):
            triage_team_set(actor=lead, team=triage_team)
        assert not RoutingSettings.objects.exists()


class TestRerouteAway:
    @pytest.fixture
    def away_case(self, customer, team, crew):  # type: ignore[no-untyped-def]
        """crew 0 got a case, then went away at T0; crew 1 and 2 are online (crew 2 full)."""
        route_team(team, RoutingMode.ROUND_ROBIN, grace_minutes=10)
        make_available(crew[2], capacity=0)
        case = open_case(customer, team)
        assert case.assignee_id == crew[0].pk
        with clock.at(T0):
            agent_status_set(agent=crew[0], status=AgentStatus.AWAY)
        return case

    def test_not_before_the_grace(self, away_case, crew):
        assert reroute_away(now=T0 + timedelta(minutes=9)) == {"rerouted": 0, "assigned": 0, "queued": 0}
        assert Case.objects.get(pk=away_case.pk).assignee_id == crew[0].pk

    def test_after_the_grace_the_case_goes_back_through_routing(self, away_case, crew):
        counts = reroute_away(now=T0 + timedelta(minutes=10))

        assert counts == {"rerouted": 1, "assigned": 1, "queued": 0}
        assert Case.objects.get(pk=away_case.pk).assignee_id == crew[1].pk
        kinds = list(away_case.events.filter(kind=EventKind.ASSIGNED).values_list("data", flat=True))
        assert [(d["from"] or {}).get("id") for d in kinds] == [None, crew[0].pk, None]
        # and a second run finds nothing more to do
        assert reroute_away(now=T0 + timedelta(minutes=11))["rerouted"] == 0

    def test_with_nobody_else_online_the_case_waits_unassigned_in_the_team_queue(self, away_case, crew):
        agent_status_set(agent=crew[1], status=AgentStatus.OFFLINE)  # just now: not past the grace

        assert reroute_away(now=T0 + timedelta(minutes=30)) == {"rerouted": 1, "assigned": 0, "queued": 1}
        assert Case.objects.filter(pk=away_case.pk).values_list("assignee_id", "team_id").get() == (
            None,
            away_case.team_id,
        )

    def test_an_answered_case_stays(self, away_case, crew):
        Case.objects.filter(pk=away_case.pk).update(first_response_at=T0 - timedelta(minutes=1))

        assert reroute_away(now=T0 + timedelta(hours=1))["rerouted"] == 0
        assert Case.objects.get(pk=away_case.pk).assignee_id == crew[0].pk

    def test_back_online_in_time_keeps_the_case(self, away_case, crew):
        with clock.at(T0 + timedelta(minutes=5)):
            agent_status_set(agent=crew[0], status=AgentStatus.ONLINE)

        assert reroute_away(now=T0 + timedelta(hours=1))["rerouted"] == 0

    def test_a_manual_team_is_left_alone(self, away_case, team, crew):
        TeamRouting.objects.filter(team=team).update(mode=RoutingMode.MANUAL)

        assert reroute_away(now=T0 + timedelta(hours=1))["rerouted"] == 0


T0 = clock.now().replace(microsecond=0) - timedelta(days=1)


class TestStatusAndSettings:
    def test_the_status_records_since_when_and_only_on_a_change(self, agent):
        with clock.at(T0):
            agent_status_set(agent=agent, status=AgentStatus.ONLINE)
        with clock.at(T0 + timedelta(minutes=5)):
            availability = agent_status_set(agent=agent, status=AgentStatus.ONLINE)

        assert (availability.status, availability.status_since) == (AgentStatus.ONLINE, T0)

    def test_an_unknown_status_is_refused(self, agent):
        with pytest.raises(ValidationFailed) as caught:
            agent_status_set(agent=agent, status="asleep")
        assert caught.value.field == "status"
        assert not Availability.objects.exists()

    def test_a_lead_changes_their_members_capacity_and_skills(self, lead, agent):
        availability = agent_routing_update(
            actor=lead,
            agent=agent,
            default_capacity=3,
            total_capacity=6,
            capacities={"phone": 1, "email": 4},
            skills=["Language:SV", "product: Invoice ", "language:sv"],
        )

        assert (availability.default_capacity, availability.total_capacity) == (3, 6)
        assert dict(availability.capacities.values_list("channel", "capacity")) == {"email": 4, "phone": 1}
        assert sorted(str(s) for s in availability.skills.all()) == ["language:sv", "product:invoice"]

        # capacities replace the channels' own numbers
        agent_routing_update(actor=lead, agent=agent, capacities={"chat": 2})
        assert dict(availability.capacities.values_list("channel", "capacity")) == {"chat": 2}

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"skills": ["cooking:pasta"]}, "skills"),
            ({"skills": ["channel:pigeon"]}, "skills"),
            ({"capacities": {"pigeon": 1}}, "capacities"),
            ({"capacities": {"email": 501}}, "capacities"),
            ({"default_capacity": -1}, "default_capacity"),
        ],
    )
    def test_wrong_input_changes_nothing(self, lead, agent, changes, field):
        with pytest.raises(ValidationFailed) as caught:
            agent_routing_update(actor=lead, agent=agent, total_capacity=9, **changes)
        assert caught.value.field == field
        assert not Availability.objects.exists()

    def test_an_agent_cannot_change_another_agents_capacity(self, agent, crew):
        with pytest.raises(PermissionDenied):
            agent_routing_update(actor=agent, agent=crew[0], default_capacity=50)
        assert Availability.objects.get(agent=crew[0]).default_capacity == 5

    def test_a_lead_cannot_change_another_teams_agent(self, lead, outsider):
        with pytest.raises(PermissionDenied):
            agent_routing_update(actor=lead, agent=outsider, default_capacity=50)
        assert not Availability.objects.filter(agent=outsider).exists()

    def test_an_admin_changes_anyone(self, admin, outsider):
        agent_routing_update(actor=admin, agent=outsider, default_capacity=7)
        assert Availability.objects.get(agent=outsider).default_capacity == 7

    def test_a_lead_sets_their_teams_routing_only(self, lead, team, other_team):
        routing = team_routing_set(actor=lead, team=team, mode=RoutingMode.LEAST_LOADED, grace_minutes=20)
        assert (routing.mode, routing.grace_minutes) == (RoutingMode.LEAST_LOADED, 20)

        with pytest.raises(PermissionDenied):
            team_routing_set(actor=lead, team=other_team, mode=RoutingMode.ROUND_ROBIN, grace_minutes=5)
        assert not TeamRouting.objects.filter(team=other_team).exists()

    def test_an_agent_cannot_set_a_teams_routing(self, agent, team):
        with pytest.raises(PermissionDenied):
            team_routing_set(actor=agent, team=team, mode=RoutingMode.ROUND_ROBIN, grace_minutes=5)
        assert not TeamRouting.objects.exists()

    @pytest.mark.parametrize(
        ("mode", "grace", "field"), [("random", 5, "mode"), ("round_robin", 1441, "grace_minutes")]
    )
    def test_a_wrong_mode_or_grace_is_refused(self, lead, team, mode, grace, field):
        with pytest.raises(ValidationFailed) as caught:
            team_routing_set(actor=lead, team=team, mode=mode, grace_minutes=grace)
        assert caught.value.field == field
        assert not TeamRouting.objects.exists()

    def test_case_route_needs_an_agent_who_works_cases(self, customer, team, crew):
        route_team(team, RoutingMode.MANUAL)
        case = open_case(customer, team)
        route_team(team)
        reviewer = AgentFactory(role="qa_reviewer", teams=[team])

        with pytest.raises(PermissionDenied):
            services.case_route(case=case, actor=reviewer)
        assert Case.objects.get(pk=case.pk).assignee_id is None

        routed = services.case_route(case=case, actor=crew[0])
        assert (routed.outcome, routed.assignee) == (ASSIGNED, crew[0])
        assert CaseEvent.objects.get(case=case, kind=EventKind.ASSIGNED).actor_id == crew[0].pk


class TestQueries:
    @pytest.mark.parametrize("mode", [RoutingMode.ROUND_ROBIN, RoutingMode.LEAST_LOADED])
    def test_routing_a_case_costs_the_same_few_queries_with_5_or_50_agents(self, customer, team, mode):
        routing = route_team(team, mode, require_language=True)

        def count(agents: int) -> int:
            for _ in range(agents - team.agents.count()):
                make_available(AgentFactory(teams=[team]), skills=["language:sv"])
            TeamRouting.objects.filter(pk=routing.pk).update(mode=RoutingMode.MANUAL)
            case = open_case(customer, team)
            TeamRouting.objects.filter(pk=routing.pk).update(mode=mode)
            with CaptureQueriesContext(connection) as queries:
                assert route_case(case).outcome == ASSIGNED
            return len(queries)

        few, many = count(5), count(50)

        # the team's mode; the transaction; the case and the team's routing locked; the agents locked (with the
        # names the timeline shows); their loads; the assignment (its event, the case, its promises); round-robin's
        # cursor; the commit
        assert few == many == (10 if mode == RoutingMode.ROUND_ROBIN else 9)

    def test_a_team_that_routes_by_hand_costs_one_query(self, customer, team, django_assert_num_queries):
        case = open_case(customer, team)

        with django_assert_num_queries(1):
            assert route_case(case).outcome == MANUAL


class TestRouteWaiting:
    def test_waiting_cases_go_to_agents_with_room_oldest_first(self, customer, team, crew, agent):
        # given: a least-loaded team whose agents were full when three cases came
        route_team(team, RoutingMode.LEAST_LOADED)
        for member in crew:
            make_available(member, capacity=0)
        waiting = [open_case(customer, team) for _ in range(3)]
        answered = open_case(customer, team)
        Case.objects.filter(pk=answered.pk).update(first_response_at=clock.now())
        assert Case.objects.filter(assignee__isnull=False).count() == 0
        # when: crew 1 gets room for two
        make_available(crew[1], capacity=2)
        counts = services.route_waiting(now=clock.now())

        # then: the two oldest go to crew 1; the third waits; an answered case is nobody's new case
        assert counts == {"assigned": 2, "queued": 1}
        assert assignees([*waiting, answered]) == [crew[1].email, crew[1].email, None, None]

    def test_a_manual_team_is_left_alone(self, customer, team, crew):
        case = open_case(customer, team)

        assert services.route_waiting(now=clock.now()) == {"assigned": 0, "queued": 0}
        assert Case.objects.get(pk=case.pk).assignee_id is None

    def test_the_periodic_job_does_both(self, customer, team, crew):
        from lofte.routing.tasks import reroute_away_cases

        route_team(team, RoutingMode.ROUND_ROBIN)
        make_available(crew[0], capacity=0)
        make_available(crew[1], capacity=0)
        make_available(crew[2], capacity=0)
        open_case(customer, team)
        make_available(crew[2], capacity=1)

        result = reroute_away_cases.call()

        assert result == {"rerouted": 0, "assigned": 0, "queued": 0, "waiting_assigned": 1, "waiting_queued": 0}
