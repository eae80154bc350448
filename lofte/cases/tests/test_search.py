"""Search over what was written on a case: the customer's messages, the agents' replies and the subject, through
the database's index (PostgreSQL full text, SQLite FTS5), with the inbox's filters and its access rule, ranked on
request; customers' names through their own index."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases import selectors, services
from lofte.cases.models import CaseSearch
from lofte.cases.search import search_rebuild
from lofte.cases.selectors import CaseFilters
from lofte.cases.tests.factories import make_case
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.customers.services import customer_update
from lofte.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def found(agent, q: str, **filters) -> list[str]:  # type: ignore[no-untyped-def]
    page = selectors.case_list_for_agent(agent=agent, filters=CaseFilters(view="all", q=q, **filters), limit=100)
    return [c.reference for c in page.items]


def test_what_the_customer_wrote_later_and_what_the_agent_replied_are_found(agent, team):
    case = make_case(team=team, subject="Fråga", body="Hej, jag undrar över min beställning.")
    services.case_add_inbound(case=case, body="Paketet har fortfarande inte kommit fram till Kiruna.", channel="email")
    services.case_reply(case=case, author=agent, body="Vi har kontaktat transportören Bussgods.")
    make_case(team=team, subject="Annat", body="Något helt annat.")

    assert found(agent, "beställning") == [case.reference]  # the first message
    assert found(agent, "kiruna") == [case.reference]  # a later message, any case of letters
    assert found(agent, "Bussgods") == [case.reference]  # the agent's reply
    assert found(agent, "paketet kiruna") == [case.reference]  # every word, anywhere in the case
    assert found(agent, "paketet stockholm") == []


def test_a_word_matches_by_its_beginning(agent, team):
    case = make_case(team=team, subject="Faktura", body="Fakturorna för mars stämmer inte.")
    assert found(agent, "fakturor") == [case.reference]
    assert found(agent, "mar") == [case.reference]
    assert found(agent, "akturorna") == []  # the middle of a word is not a beginning


def test_a_word_is_found_by_its_stem_in_the_cases_language(agent, team):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite matches words by their beginning only")
    # each query word is longer than the written one, so it is no beginning of it: only the stem finds it
    swedish = make_case(team=team, subject="Hej", body="Mina beställningar kom aldrig.", language="sv")
    finnish = make_case(team=team, subject="Moi", body="Laskussa on virhe.", language="fi")
    english = make_case(team=team, subject="Hi", body="The invoices are wrong.", language="en")

    assert found(agent, "beställningen") == [swedish.reference]  # beställning
    assert found(agent, "laskun") == [finnish.reference]  # lasku
    assert found(agent, "invoicing") == [english.reference]  # invoic
    assert found(agent, "no invoicing") == []  # "no" is too common for English, but not left out


def test_an_automatic_message_is_not_searched(agent, team, customer):
    case = make_case(team=team, customer=customer, subject="Hej", body="Hej!")
    with clock.at(NOW):
        services.case_send_automatic(case=case, body="Automatiskt svar: vi återkommer inom två arbetsdagar.", now=NOW)
    assert found(agent, "arbetsdagar") == []


def test_a_new_subject_is_found(agent, team):
    case = make_case(team=team, subject="Fråga", body="Hej!")
    services.case_update(case=case, actor=agent, subject="Dubbeldebitering i april")
    assert found(agent, "dubbeldebitering") == [case.reference]


def test_nobody_finds_by_its_words_a_case_they_may_not_see(agent, team, other_team):
    # the attack: searching for words known to be in another team's case shows that it exists
    secret = make_case(team=other_team, subject="Uppsägning", body="Hemligt avtal om avgångsvederlag.")
    admin = AgentFactory(role=Role.ADMIN)

    assert found(agent, "avgångsvederlag") == []
    assert found(admin, "avgångsvederlag") == [secret.reference]


def test_the_words_combine_with_the_filters(agent, team, other_team):
    open_case = make_case(team=team, subject="Router", body="Routern blinkar.")
    solved = make_case(team=team, subject="Router", body="Routern blinkar igen.")
    services.case_transition(case=solved, status="solved", actor=agent)

    assert found(agent, "blinkar", status=["active"]) == [open_case.reference]
    assert sorted(found(agent, "blinkar", status=["all"])) == sorted([open_case.reference, solved.reference])
    assert found(agent, "blinkar", team=other_team.pk) == []


def test_a_customer_is_found_by_a_word_of_their_name_also_after_a_rename(agent, team):
    customer = CustomerFactory(name="Karin Lund")
    case = make_case(team=team, customer=customer, subject="Hej", body="Hej!")
    assert found(agent, "lund") == [case.reference]

    customer_update(customer=customer, name="Karin Berg")

    assert found(agent, "berg") == [case.reference]
    assert found(agent, "lund") == []


def test_the_best_matches_come_first_and_their_pages_follow_on(agent, team):
    once = make_case(team=team, subject="Hej", body="Routern är trasig.")
    often = make_case(team=team, subject="Router router", body="Routern, routern, routern: routern igen.")
    make_case(team=team, subject="Hej", body="Inget om det.")

    page = selectors.case_list_for_agent(
        agent=agent, filters=CaseFilters(view="all", q="routern", sort="relevance"), limit=1
    )
    assert [c.reference for c in page.items] == [often.reference]
    assert page.next_cursor
    following = selectors.case_list_for_agent(
        agent=agent, filters=CaseFilters(view="all", q="routern", sort="relevance"), cursor=page.next_cursor, limit=1
    )
    assert [c.reference for c in following.items] == [once.reference]
    assert following.next_cursor is None


def test_sorting_by_relevance_without_a_search_is_a_clear_error(agent):
    with pytest.raises(ValidationFailed) as error:
        selectors.case_list_for_agent(agent=agent, filters=CaseFilters(sort="relevance"))
    assert error.value.field == "sort"


@pytest.mark.parametrize(
    ("q", "matches"),
    [
        ('"', False),
        ("'", False),
        ('blinkar" OR "x', False),  # the words blinkar, or and x: all of them, as words
        ("NEAR(routern blinkar)", False),  # "near" is one more word to find
        ("routern:*", True),
        ("router)", True),
        ("* ^ -", False),
        ("text:blinkar", False),  # not a column filter: "text" is a word the case lacks
        ("\\", False),
        ("routern & !blinkar | x", False),
        ("%_", False),
    ],
)
def test_the_search_languages_syntax_is_only_words_to_it(agent, team, q, matches):
    case = make_case(team=team, subject="Router", body="Routern blinkar.")
    assert found(agent, q) == ([case.reference] if matches else [])


def test_the_search_text_written_along_the_way_is_the_one_rebuilt_from_the_messages(agent, team):
    case = make_case(team=team, subject="Fråga", body="Första meddelandet.")
    services.case_add_inbound(
        case=case,
        body="Andra meddelandet.\n\n> Första meddelandet.",
        visible_text="Andra meddelandet.",  # its new words: the quote is not searched twice
        channel="email",
    )
    services.case_reply(case=case, author=agent, body="Svaret.")
    written = CaseSearch.objects.get(pk=case.pk).text

    assert search_rebuild([case.pk]) == 1

    expected = "Fråga\nFörsta meddelandet.\nAndra meddelandet.\nSvaret."
    assert CaseSearch.objects.get(pk=case.pk).text == written == expected
    assert found(agent, "svaret") == [case.reference]


def test_a_search_costs_the_same_queries_for_one_match_as_for_many(agent, team):
    make_case(team=team, subject="Router", body="Routern blinkar.")
    found(agent, "blinkar")  # the agent's teams, once
    with CaptureQueriesContext(connection) as one:
        found(agent, "blinkar")
    for _ in range(5):
        make_case(team=team, subject="Router", body="Routern blinkar.", customer=CustomerFactory())
    with CaptureQueriesContext(connection) as many:
        assert len(found(agent, "blinkar")) == 6
    assert len(many.captured_queries) == len(one.captured_queries)


# --- a common word, walked case by case (PostgreSQL) ----------------------------------------------------------

POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's FTS5 gathers a word's matches fast enough: never walked"
)


def pages(agent, q: str, *, limit: int, **filters) -> list[str]:  # type: ignore[no-untyped-def]
    """Every page of a search, following the cursors: the references in order."""
    references: list[str] = []
    cursor = None
    while True:
        page = selectors.case_list_for_agent(
            agent=agent, filters=CaseFilters(q=q, **filters), cursor=cursor, limit=limit
        )
        references += [c.reference for c in page.items]
        if (cursor := page.next_cursor) is None:
            return references


@pytest.fixture
def common_word(agent, team, other_team):  # type: ignore[no-untyped-def]
    """Cases that a word finds by their messages, by a reply, by the customer's name and by the reference, among
    cases it does not find, in the agent's teams and in another team's (which the agent must never see)."""
    named = CustomerFactory(name="Kartongen Nordic AB")
    for i in range(12):
        make_case(team=team, subject=f"Leverans {i}", body="Det var trasigt när jag öppnade kartongen.")
        make_case(team=team, subject=f"Faktura {i}", body="Fel belopp.")
    make_case(team=team, subject="Hej", body="Fråga.", customer=named)
    replied = make_case(team=team, subject="Paket", body="Var är paketet?")
    services.case_reply(case=replied, author=agent, body="Kartongen skickades i går.")
    make_case(team=other_team, subject="Leverans", body="Kartongen var blöt.")
    solved = make_case(team=team, subject="Leverans", body="Kartongen kom fram.")
    services.case_transition(case=solved, status="solved", actor=agent)


@POSTGRES_ONLY
@pytest.mark.parametrize("sort", ["-updated_at", "created_at", "next_due_at", "-priority"])
@pytest.mark.parametrize("limit", [1, 4, 25])
def test_a_walked_search_gives_the_pages_of_the_gathered_one(agent, common_word, settings, sort, limit):
    # given: the same search gathered (no word is common enough) and walked (every word is)
    settings.LOFTE_SEARCH_WALK_ABOVE = 10**9
    gathered = {
        status: pages(agent, "kartongen", limit=limit, sort=sort, status=[status]) for status in ("active", "all")
    }
    settings.LOFTE_SEARCH_WALK_ABOVE = -1

    # when
    walked = {
        status: pages(agent, "kartongen", limit=limit, sort=sort, status=[status]) for status in ("active", "all")
    }

    # then: the same cases in the same order, page after page; the other team's never
    assert walked == gathered
    assert len(walked["active"]) == 14 and len(walked["all"]) == 15


@POSTGRES_ONLY
def test_a_walked_search_tests_each_case_and_never_gathers_every_match(agent, common_word, settings):
    settings.LOFTE_SEARCH_WALK_ABOVE = -1
    with CaptureQueriesContext(connection) as queries:
        assert len(found(agent, "kartongen")) == 14
    sql = " ".join(q["sql"] for q in queries.captured_queries)

    assert "EXISTS (SELECT 1 FROM cases_casesearch s WHERE s.case_id = cases_case.id" in sql
    assert "IN (SELECT case_id FROM cases_casesearch" not in sql


@POSTGRES_ONLY
def test_a_walk_that_finds_too_little_hands_over_to_the_gathered_search(agent, team, settings, monkeypatch):
    # given: 30 cases the word does not find, newer than the two it finds; a walk of 2 chunks of 10 gives up
    from lofte.core import pagination

    older = [make_case(team=team, subject="Leverans", body="Kartongen var blöt.") for _ in range(2)]
    for _ in range(30):
        make_case(team=team, subject="Faktura", body="Fel belopp.")
    walk = pagination.paginate_walk
    monkeypatch.setattr(selectors, "paginate_walk", lambda *a, **kw: walk(*a, **kw | {"chunk": 10, "chunks": 2}))
    settings.LOFTE_SEARCH_WALK_ABOVE = -1

    # when / then: the word's two cases, newest first
    assert found(agent, "kartongen") == [older[1].reference, older[0].reference]


def test_the_common_word_decision_is_the_planners_estimate_against_the_setting(agent, common_word, settings):
    from lofte.cases.search import search_walk

    settings.LOFTE_SEARCH_WALK_ABOVE = -1
    # a few matches estimated: the least walk, one chunk, on PostgreSQL
    assert search_walk("kartongen") == (1 if connection.vendor == "postgresql" else 0)
    assert search_walk("!!!") == 0  # no word: nothing to walk
    settings.LOFTE_SEARCH_WALK_ABOVE = 10**9
    assert search_walk("kartongen") == 0


@POSTGRES_ONLY
def test_a_company_with_fewer_documents_than_a_walk_needs_asks_no_plan(agent, common_word, settings, monkeypatch):
    # given: the planner's count of documents, fresh (some 30 here), and the default threshold, 50,000
    from lofte.cases import search

    monkeypatch.setattr(search, "_documents", None)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {search.TABLE}")

    # when: two searches
    with CaptureQueriesContext(connection) as queries:
        assert len(found(agent, "kartongen")) == 14
        assert len(found(agent, "faktura")) == 12
    sql = [q["sql"] for q in queries.captured_queries]

    # then: the count asked once, no plan asked at all
    assert sum("reltuples" in q for q in sql) == 1
    assert not [q for q in sql if q.startswith("EXPLAIN")]
