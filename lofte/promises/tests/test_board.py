"""The promise board tells the truth: real counts behind capped lists, overdue per team and agent counted as the
overdue list counts, dates that say which day; and what is still owed after a breach (a broken promise not yet
settled) is on the board and in the inbox until it is done, cancelled or renewed.

The clock: Monday 16 November 2026, 09:00 in Stockholm (UTC+1); the office is open Monday to Friday
08:00-17:00; a first response is due in 2 business hours."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lofte.accounts.tests.factories import AgentFactory
from lofte.cases import services
from lofte.cases.models import Case, CaseEvent, Status
from lofte.cases.tests.factories import make_case
from lofte.core import clock
from lofte.notifications.models import Notification
from lofte.promises import calendars
from lofte.promises.board import BOARD_ROWS, board_for
from lofte.promises.calendars import calendar_create
from lofte.promises.models import Promise, PromiseKind, PromiseOrigin, PromiseState
from lofte.promises.policies import policy_create
from lofte.promises.services import promises_tick
from lofte.promises.tasks import promise_tick

pytestmark = pytest.mark.django_db

MONDAY_9 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in November 2026 given in Stockholm."""
    return datetime(2026, 11, day, hour - 1, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_schedule_cache():  # type: ignore[no-untyped-def]
    calendars.schedule_cache_clear()
    yield
    calendars.schedule_cache_clear()


@pytest.fixture
def policy(db):  # type: ignore[no-untyped-def]
    office = calendar_create(name="Kontor", time_zone="Europe/Stockholm", country="SE")
    return policy_create(
        name="Standard",
        first_response_minutes=120,
        first_response_calendar=office,
        next_update_minutes=8 * 60,
        next_update_calendar=office,
        resolution_minutes=3 * 9 * 60,
        resolution_calendar=office,
    )


def overdue_without_case(*, team, owner, count: int, now: datetime) -> None:
    """Pending promises of the team past their due time (no case: the team's own)."""
    Promise.objects.bulk_create(
        Promise(
            kind=PromiseKind.FOLLOW_UP,
            due_at=now - timedelta(minutes=1 + i),
            owner_agent=owner,
            owner_team=team,
            origin=PromiseOrigin.AGENT,
            created_at=now - timedelta(days=1),
            remind_at=now - timedelta(hours=1),
            reminded_at=now - timedelta(hours=1),
        )
        for i in range(count)
    )


# --- (a) real counts behind capped lists -----------------------------------------------------------------------------


def test_the_overdue_figure_counts_them_all_and_the_list_says_how_many_more(client, agent, team):
    now = MONDAY_9
    overdue_without_case(team=team, owner=agent, count=BOARD_ROWS + 10, now=now)
    with clock.at(now):
        board = board_for(agent=agent, now=now)
        client.force_login(agent)
        page = client.get(reverse("promises:board")).content.decode()
    assert (board.overdue_count, len(board.overdue), board.overdue_more) == (60, 50, 10)
    tile = re.search(r'<div class="tile overdue"><span class="n">(\d+)</span>', page)
    assert tile is not None and tile.group(1) == "60"
    assert "and 10 more" in page


def test_the_board_costs_the_same_queries_at_5_and_60_overdue(client, agent, team):
    client.force_login(agent)

    def count() -> int:
        cache.clear()  # the month's figures are computed again, as at most once a minute
        with CaptureQueriesContext(connection) as ctx, clock.at(MONDAY_9):
            assert client.get(reverse("promises:board")).status_code == 200
        return len(ctx.captured_queries)

    overdue_without_case(team=team, owner=agent, count=5, now=MONDAY_9)
    few = count()
    overdue_without_case(team=team, owner=agent, count=55, now=MONDAY_9)
    assert count() == few


# --- (b) overdue per team and per agent ---------------------------------------------------------------------------


def test_overdue_per_team_and_agent_counts_what_the_overdue_list_counts(policy, agent, team, customer):
    # given: two cases of the agent whose first responses broke on Monday, one of them answered since (settled);
    # and a pending promise past its due time that the tick has not seen yet
    with clock.at(MONDAY_9):
        owed = make_case(customer=customer, team=team, assignee=agent)
        answered = make_case(customer=customer, team=team, assignee=agent)
    with clock.at(local(16, 12)):
        promises_tick(now=clock.now())
    with clock.at(local(16, 13)):
        services.case_reply(case=answered, author=agent, body="Svar.")
    overdue_without_case(team=team, owner=agent, count=1, now=local(17, 9))

    # when: the next morning (the breaks were yesterday)
    board = board_for(agent=agent, now=local(17, 9))

    # then: the broken one still owed and the pending one past due; not the settled one
    assert sorted((p.kind, p.case_id) for p in board.overdue) == [
        (PromiseKind.FIRST_RESPONSE, owed.pk),
        (PromiseKind.FOLLOW_UP, None),
    ]
    assert board.overdue_count == 2
    assert [(g["owner_team__name"], g["overdue"]) for g in board.by_team] == [("Support", 2)]
    assert [(g["owner_agent_id"], g["overdue"]) for g in board.by_agent] == [(agent.pk, 2)]


# --- (c) no reminder for what is already due -----------------------------------------------------------------------


def test_a_promise_already_due_gets_its_breach_and_no_reminder(policy, agent, team, customer):
    # given: a first response due 11:00, reminded 20 minutes before; no tick ran before 11:05
    with clock.at(MONDAY_9):
        case = make_case(customer=customer, team=team, assignee=agent)
    # when
    with clock.at(local(16, 11, 5)):
        result = promise_tick.call()
    # then: the breach, no reminder after the time
    assert (result["reminded"], result["broken"]) == (0, 1)
    assert list(Notification.objects.filter(agent=agent).values_list("kind", flat=True)) == ["promise_broken"]
    promise = Promise.objects.get(case=case, kind=PromiseKind.FIRST_RESPONSE)
    assert (promise.state, promise.reminded_at) == (PromiseState.BROKEN, None)


# --- (d) what is owed after a breach, in the inbox ----------------------------------------------------------------


def inbox_row(html: str, reference: str) -> str:
    start = html.index(f'<a href="/cases/{reference}/" class="ref">')
    return html[start : html.index("</tr>", start)]


def test_the_inbox_shows_a_broken_promise_until_a_reply_settles_it(client, policy, agent, team, customer):
    with clock.at(MONDAY_9):
        case = make_case(customer=customer, team=team, assignee=agent)
    with clock.at(local(16, 12)):
        promise_tick.call()
    case.refresh_from_db()
    first = Promise.objects.get(case=case, kind=PromiseKind.FIRST_RESPONSE)
    assert case.next_due_at == first.due_at == local(16, 11)

    client.force_login(agent)
    with clock.at(local(16, 12)):
        row = inbox_row(client.get(reverse("cases:inbox")).content.decode(), case.reference)
    assert '<time class="due overdue"' in row
    assert '<span class="state state-broken">broken</span> Mon 11:00' in row

    # when: the agent answers, late
    with clock.at(local(16, 13)):
        services.case_reply(case=case, author=agent, body="Förlåt dröjsmålet.")
    # then: the breach is settled (done late; still broken in the figures), and the next promise is the next update
    first.refresh_from_db()
    assert (first.state, first.settled_at, first.next_escalation_at) == (PromiseState.BROKEN, local(16, 13), None)
    kept = CaseEvent.objects.get(case=case, kind="promise_kept", data__promise=first.pk)
    assert (kept.data["on_time"], kept.data["after_breach"]) == (False, True)
    case.refresh_from_db()
    next_update = Promise.objects.get(case=case, kind=PromiseKind.NEXT_UPDATE, state=PromiseState.PENDING)
    assert case.next_due_at == next_update.due_at
    with clock.at(local(16, 13)):
        row = inbox_row(client.get(reverse("cases:inbox")).content.decode(), case.reference)
    assert "state-broken" not in row


def test_a_broken_promise_sorts_first_and_the_inbox_costs_the_same_queries(client, policy, agent, team, customer):
    client.force_login(agent)

    def inbox() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as ctx, clock.at(local(16, 12)):
            response = client.get(reverse("cases:inbox"), {"view": "all", "sort": "next_due_at"})
        assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode()

    with clock.at(MONDAY_9 + timedelta(minutes=30)):
        later = [make_case(customer=customer, team=team) for _ in range(4)]
    with clock.at(MONDAY_9):
        broken = make_case(customer=customer, team=team)
    with clock.at(local(16, 11, 10)):
        promise_tick.call()  # breaks only the first response of `broken` (due 11:00)
    few, html = inbox()
    references = re.findall(r'class="ref">(LF-\d{4}-\d{6})<', html)
    assert references[0] == broken.reference
    assert set(references[1:]) == {c.reference for c in later}
    with clock.at(MONDAY_9 + timedelta(minutes=30)):
        for _ in range(20):
            make_case(customer=customer, team=team)
    with clock.at(MONDAY_9):
        for _ in range(5):
            make_case(customer=customer, team=team)
    with clock.at(local(16, 11, 10)):
        promise_tick.call()
    many, _ = inbox()
    assert many == few


def test_closing_a_case_cancels_what_is_owed_and_solving_keeps_a_late_resolution(policy, agent, team, customer):
    with clock.at(MONDAY_9):
        closed = make_case(customer=customer, team=team)
        solved = make_case(customer=customer, team=team)
    with clock.at(local(19, 12)):  # Thursday: first responses and resolutions are broken
        promise_tick.call()
        services.case_transition(case=closed, actor=agent, status=Status.CLOSED)
        services.case_transition(case=solved, actor=agent, status=Status.SOLVED)
    closed_events = CaseEvent.objects.filter(case=closed, kind="promise_cancelled", data__after_breach=True)
    assert sorted(e.data["kind"] for e in closed_events) == ["first_response", "resolution"]
    assert {e.data["reason"] for e in closed_events} == {"case closed"}
    kinds = dict(CaseEvent.objects.filter(case=solved, data__after_breach=True).values_list("data__kind", "kind"))
    assert kinds == {"resolution": "promise_kept", "first_response": "promise_cancelled"}
    assert not Promise.objects.filter(state=PromiseState.BROKEN, settled_at__isnull=True).exists()
    assert (
        list(Promise.objects.filter(state=PromiseState.BROKEN).values_list("next_escalation_at", flat=True))
        == [None] * 4
    )
    for case in (closed, solved):
        case.refresh_from_db()
        assert case.next_due_at is None


# --- (e) dates that say which day ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "shown"),
    [
        (local(16, 14), "Mon 14:00"),  # today
        (local(10, 11), "Tue 11:00"),  # within the past week
        (local(22, 9, 30), "Sun 09:30"),  # within the coming week
        (local(9, 11), "Mon 9 Nov 11:00"),  # a week ago: the weekday alone would say today
        (datetime(2026, 10, 19, 9, 0, tzinfo=UTC), "Mon 19 Oct 11:00"),  # weeks ago (summer time: UTC+2)
        (datetime(2025, 12, 1, 10, 0, tzinfo=UTC), "Mon 1 Dec 2025 11:00"),  # another year
    ],
)
def test_board_dates_show_the_date_beyond_the_week(due, shown):
    template = Template("{% load promise_dates %}{{ due|promise_when }}")
    with clock.at(local(16, 10)), timezone.override("Europe/Stockholm"):
        assert template.render(Context({"due": due})) == shown


def test_the_board_shows_the_date_of_a_promise_broken_weeks_ago(client, policy, agent, team, customer):
    with clock.at(datetime(2026, 10, 19, 7, 0, tzinfo=UTC)):  # Monday 19 October, 09:00
        make_case(customer=customer, team=team, assignee=agent)
    with clock.at(datetime(2026, 10, 19, 11, 0, tzinfo=UTC)):
        promise_tick.call()
    client.force_login(agent)
    with clock.at(local(16, 10)):
        page = client.get(reverse("promises:board")).content.decode()
    assert ">Mon 19 Oct 11:00</time>" in page


def test_a_reader_sees_dates_in_their_own_time_zone(client, policy, team, customer):
    helsinki = AgentFactory(teams=[team], time_zone="Europe/Helsinki")
    with clock.at(datetime(2026, 10, 19, 7, 0, tzinfo=UTC)):
        case = make_case(customer=customer, team=team, assignee=helsinki)
    with clock.at(datetime(2026, 10, 19, 11, 0, tzinfo=UTC)):
        promise_tick.call()
    client.force_login(helsinki)
    with clock.at(local(16, 10)):
        page = client.get(reverse("promises:board")).content.decode()
        inbox = client.get(reverse("cases:inbox")).content.decode()
    assert ">Mon 19 Oct 12:00</time>" in page
    assert "Mon 19 Oct 12:00" in inbox_row(inbox, case.reference)
    assert Case.objects.get(pk=case.pk).next_due_at == datetime(2026, 10, 19, 9, 0, tzinfo=UTC)


def test_the_months_figures_are_read_at_most_once_a_minute_and_the_live_ones_every_time(client, agent, team):
    # the board's live part reads only what is due, owed or settled today; the ETAs held and callbacks kept over
    # the last 30 days read a month of promises, so a reader's second look within the minute takes them as they were
    client.force_login(agent)

    def board_queries() -> list[str]:
        with CaptureQueriesContext(connection) as ctx, clock.at(MONDAY_9):
            assert client.get(reverse("promises:board")).status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    first = board_queries()
    overdue_without_case(team=team, owner=agent, count=3, now=MONDAY_9)
    second = board_queries()

    # ETAs held, callbacks kept (each by its own condition): read the first time, not again
    for marker in ('"eta_basis" > ', "\"kind\" = 'callback'"):
        assert (sum(marker in sql for sql in first), sum(marker in sql for sql in second)) == (1, 0)
    with clock.at(MONDAY_9):
        assert "3" in client.get(reverse("promises:board")).content.decode()  # the live figures are new
