"""Case selectors: who sees what, the inbox's filters, keyset pages, constant query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases import selectors, services
from lofte.cases.models import Case, Priority, Status
from lofte.cases.selectors import CaseFilters
from lofte.cases.tests.factories import CaseTypeFactory, make_case
from lofte.core import clock
from lofte.core.errors import NotFound, ValidationFailed
from lofte.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def refs(page) -> list[str]:
    return [c.reference for c in page.items]


def listed(agent, **filters) -> list[str]:
    page = selectors.case_list_for_agent(agent=agent, filters=CaseFilters(**filters), limit=100)
    return sorted(refs(page))


@pytest.fixture
def world(agent, outsider, team, other_team):
    """Cases of the agent's team (assigned and not), of another team, with no team, and one assigned across teams."""
    mine = make_case(team=team, assignee=agent, subject="Mine")
    team_unassigned = make_case(team=team, subject="Team unassigned")
    team_colleague = make_case(team=team, assignee=AgentFactory(teams=[team]), subject="Colleague's")
    other = make_case(team=other_team, subject="Other team")
    teamless = make_case(subject="No team")
    lent = make_case(team=other_team, assignee=agent, subject="Lent to me")
    return {
        "mine": mine.reference,
        "team_unassigned": team_unassigned.reference,
        "colleague": team_colleague.reference,
        "other": other.reference,
        "teamless": teamless.reference,
        "lent": lent.reference,
    }


class TestVisibility:
    def test_agent_sees_team_cases_own_cases_and_teamless_ones(self, agent, world):
        expected = sorted(world[k] for k in ("mine", "team_unassigned", "colleague", "teamless", "lent"))
        assert listed(agent, view="all") == expected

    def test_outsider_does_not_see_the_other_teams_cases(self, outsider, world):
        assert listed(outsider, view="all") == sorted([world["other"], world["teamless"], world["lent"]])

    def test_admin_sees_everything(self, world):
        admin = AgentFactory(role=Role.ADMIN)
        assert listed(admin, view="all") == sorted(world.values())

    def test_case_of_another_team_is_not_found_for_the_outsider(self, outsider, world):
        with pytest.raises(NotFound):
            selectors.case_get_for_agent(agent=outsider, reference=world["mine"])

    def test_reference_lookup_is_case_insensitive_and_trimmed(self, agent, world):
        case = selectors.case_get_for_agent(agent=agent, reference=f" {world['mine'].lower()} ")
        assert case.reference == world["mine"]


class TestInboxFilters:
    def test_default_view_is_mine_my_teams_unassigned_and_the_triage_queue(self, agent, world):
        assert listed(agent) == sorted([world["mine"], world["team_unassigned"], world["lent"], world["teamless"]])

    def test_a_new_case_with_no_team_is_in_an_admins_first_view_and_found_by_search(self, world):
        """A fresh install: no teams, nobody assigned, an admin in no team. No case is where nobody looks."""
        admin = AgentFactory(role=Role.ADMIN)
        assert world["teamless"] in listed(admin)
        assert listed(admin, q="No team") == [world["teamless"]]

    def test_search_looks_beyond_the_view(self, agent, world):
        assert listed(agent, q="Colleague") == [world["colleague"]]

    def test_unassigned_view(self, agent, world):
        assert listed(agent, view="unassigned") == sorted([world["team_unassigned"], world["teamless"]])

    def test_default_status_is_active_only(self, agent, team):
        open_case = make_case(team=team)
        solved = make_case(team=team)
        services.case_transition(case=solved, actor=agent, status=Status.SOLVED)
        assert listed(agent) == [open_case.reference]
        assert listed(agent, status=["solved"]) == [solved.reference]
        assert listed(agent, status=["all"]) == sorted([open_case.reference, solved.reference])

    def test_each_filter_narrows(self, agent, team, other_team):
        case_type = CaseTypeFactory(name="Faktura")
        base = make_case(team=team, channel="email")
        web = make_case(team=team, channel="web")
        typed = make_case(team=team, case_type=case_type)
        tagged = make_case(team=team, tags=["VIP"])
        assigned = make_case(team=team, assignee=agent)
        elsewhere = make_case(team=other_team, assignee=agent)
        everything = {c.reference for c in (base, web, typed, tagged, assigned, elsewhere)}
        assert set(listed(agent, view="all")) == everything
        assert listed(agent, view="all", channel="web") == [web.reference]
        assert listed(agent, view="all", case_type=case_type.pk) == [typed.reference]
        assert listed(agent, view="all", tag="vip") == [tagged.reference]
        assert listed(agent, view="all", team=other_team.pk) == [elsewhere.reference]
        assert listed(agent, view="all", assignee="me") == sorted([assigned.reference, elsewhere.reference])
        assert listed(agent, view="all", assignee=str(agent.pk)) == sorted([assigned.reference, elsewhere.reference])
        assert set(listed(agent, view="all", assignee="none")) == everything - {assigned.reference, elsewhere.reference}

    def test_free_text_matches_reference_subject_customer_name_and_email(self, agent, team):
        karin = CustomerFactory(name="Karin Lund", email="karin.lund@example.se")
        by_subject = make_case(team=team, subject="Router blinkar rött")
        by_customer = make_case(team=team, customer=karin, subject="Annat")
        make_case(team=team, subject="Inget")
        assert listed(agent, view="all", q="blinkar") == [by_subject.reference]
        assert listed(agent, view="all", q="karin lund") == [by_customer.reference]
        assert listed(agent, view="all", q="KARIN.LUND@example.se") == [by_customer.reference]
        assert listed(agent, view="all", q=by_subject.reference.lower()) == [by_subject.reference]

    @pytest.mark.parametrize(
        ("filters", "field"),
        [
            ({"view": "everything"}, "view"),
            ({"status": ["lost"]}, "status"),
            ({"sort": "name"}, "sort"),
            ({"channel": "fax"}, "channel"),
            ({"assignee": "someone"}, "assignee"),
        ],
    )
    def test_bad_filters_name_the_field(self, agent, filters, field):
        with pytest.raises(ValidationFailed) as err:
            selectors.case_list_for_agent(agent=agent, filters=CaseFilters(**filters))
        assert err.value.field == field


class TestKeysetPagination:
    @pytest.mark.parametrize("sort", list(selectors.SORTS))
    def test_walking_pages_returns_every_case_once_in_order(self, agent, team, sort):
        base = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
        for i in range(11):
            with clock.at(base + timedelta(minutes=i % 4)):  # ties on the sort value
                make_case(team=team, priority=[Priority.LOW, Priority.HIGH][i % 2])
        # some with a next promise, some without (nulls last)
        ids = list(Case.objects.order_by("id").values_list("id", flat=True))
        for i, pk in enumerate(ids[:6]):
            Case.objects.filter(pk=pk).update(next_due_at=base + timedelta(hours=i % 3))
        seen: list[str] = []
        cursor = None
        q = "question" if sort == "relevance" else ""  # every case's first message: equal ranks, ties on the id
        for _ in range(20):
            page = selectors.case_list_for_agent(
                agent=agent, filters=CaseFilters(view="all", sort=sort, q=q), cursor=cursor, limit=3
            )
            seen += refs(page)
            cursor = page.next_cursor
            if cursor is None:
                break
        full = selectors.case_list_for_agent(agent=agent, filters=CaseFilters(view="all", sort=sort, q=q), limit=100)
        assert seen == refs(full)
        assert len(seen) == len(set(seen)) == 11

    def test_tampered_cursor_is_a_clear_error(self, agent):
        with pytest.raises(ValidationFailed) as err:
            selectors.case_list_for_agent(agent=agent, filters=CaseFilters(), cursor="bm90IGEgY3Vyc29y")
        assert err.value.field == "cursor"


@pytest.mark.parametrize("view", ["mine", "all"])
def test_inbox_query_count_does_not_grow_with_rows(agent, team, view):
    def count_queries() -> int:
        agent_fresh = type(agent).objects.get(pk=agent.pk)
        with CaptureQueriesContext(connection) as ctx:
            page = selectors.case_list_for_agent(agent=agent_fresh, filters=CaseFilters(view=view), limit=100)
            for case in page.items:  # what the row template touches
                _ = (
                    case.customer.name,
                    case.team and case.team.name,
                    case.assignee,
                    case.case_type,
                    [t.name for t in case.tags.all()],
                )
        return len(ctx.captured_queries)

    for _ in range(5):
        make_case(team=team, assignee=agent, tags=["a", "b"], case_type=CaseTypeFactory(name="T"))
    few = count_queries()
    for _ in range(45):
        make_case(team=team, tags=["c"])
    assert count_queries() == few


def test_timeline_query_count_does_not_grow_with_events(case, agent):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            for event in selectors.case_timeline(case=case):
                _ = (
                    event.actor,
                    event.message and list(event.message.attachments.all()),
                    event.message and event.message.outbox_message,
                    event.note and event.note.author,
                )
        return len(ctx.captured_queries)

    services.case_reply(case=case, author=agent, body="Ett")
    few = count_queries()
    for i in range(10):
        services.case_note_add(case=case, author=agent, body=f"Not {i}")
        services.case_reply(case=case, author=agent, body=f"Svar {i}")
        services.case_add_inbound(case=case, body=f"Fråga {i}", channel="email")
    assert count_queries() == few


def test_other_cases_of_the_customer_respect_visibility(agent, customer, team, other_team):
    current = make_case(customer=customer, team=team)
    visible = make_case(customer=customer, team=team)
    make_case(customer=customer, team=other_team)  # not for this agent
    others = selectors.case_list_for_customer(agent=agent, customer=customer, exclude=current)
    assert [c.reference for c in others] == [visible.reference]
    assert selectors.case_count_for_customer(agent=agent, customer=customer) == 2
