"""Notifications about promises: in the reader's time zone and language, and only to agents who may open the
case (lofte.accounts.access), up the ladder owner → team lead → admin (a superuser counts as an admin).

The clock: Monday 16 November 2026 in Stockholm (UTC+1); Helsinki is UTC+2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases import services
from lofte.cases.tests.factories import make_case
from lofte.core import clock
from lofte.notifications.models import Notification
from lofte.outbox.models import OutboxMessage
from lofte.promises.models import Promise, PromiseKind, PromiseState
from lofte.promises.services import promises_tick

pytestmark = pytest.mark.django_db

MONDAY_9 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)  # 09:00 in Stockholm, 10:00 in Helsinki
DUE = MONDAY_9 + timedelta(hours=2)  # 10:00 UTC: 11:00 in Stockholm, 12:00 in Helsinki


@pytest.fixture(autouse=True)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def texts(agent) -> list[tuple[str, str]]:
    return list(Notification.objects.filter(agent=agent).order_by("id").values_list("kind", "text"))


def emails(agent) -> list[tuple[str, str]]:
    rows = OutboxMessage.objects.filter(to=agent.email).order_by("id")
    return [(row.payload["subject"], row.payload["text"]) for row in rows]


# --- the reader's time zone and language --------------------------------------------------------------------------


def test_reminders_breaches_and_escalations_read_in_the_agents_zone_and_language(client, team, customer):
    # given: an agent in Helsinki who reads Finnish, owning a promise due at 12:00 their time
    helsinki = AgentFactory(email="aino@example.fi", teams=[team], time_zone="Europe/Helsinki", language="fi")
    with clock.at(MONDAY_9):
        case = make_case(customer=customer, team=team, assignee=helsinki)
        promise = services.case_promise_make(case=case, author=helsinki, due_at=DUE, kind=PromiseKind.FOLLOW_UP)

    # when: the reminder an hour before, then the breach
    promises_tick(now=DUE - timedelta(minutes=30))
    promises_tick(now=DUE + timedelta(minutes=1))

    # then: both read in Finnish with 12:00, in the list, the emails and the page
    kind = "Seuranta"
    reminder = f"Muistutus: {kind} tapauksessa {case.reference} viimeistään 2026-11-16 12:00."
    assert texts(helsinki)[0] == ("promise_reminder", reminder)
    assert texts(helsinki)[1][0] == "promise_broken"
    assert "2026-11-16 12:00" in texts(helsinki)[1][1] and case.reference in texts(helsinki)[1][1]
    assert "11:00" not in "".join(t for _k, t in texts(helsinki)) and "10:00" not in texts(helsinki)[1][1]
    assert emails(helsinki) == [
        (f"[Lofte] {reminder}", f"{reminder}\n\nhttp://localhost:8000/cases/{case.reference}/"),
        (
            f"[Lofte] {texts(helsinki)[1][1]}",
            f"{texts(helsinki)[1][1]}\n\nhttp://localhost:8000/cases/{case.reference}/",
        ),
    ]
    client.force_login(helsinki)
    page = client.get(reverse("notifications:list")).content.decode()
    assert reminder in page
    assert Promise.objects.get(pk=promise.pk).state == PromiseState.BROKEN


def test_a_reader_without_settings_or_with_a_stored_zone_that_is_none_reads_the_sites(team, customer):
    plain = AgentFactory(teams=[team])
    odd = AgentFactory(teams=[team], time_zone="Not/AZone", language="xx")
    with clock.at(MONDAY_9):
        case = make_case(customer=customer, team=team)
        for agent in (plain, odd):
            services.case_promise_make(case=case, author=agent, due_at=DUE)
    promises_tick(now=DUE - timedelta(minutes=30))
    expected = f"Reminder: Follow-up on {case.reference} is due 2026-11-16 11:00."
    assert texts(plain) == [("promise_reminder", expected)]
    assert texts(odd) == [("promise_reminder", expected)]


# --- only those who may open the case ------------------------------------------------------------------------------


@pytest.fixture
def people(team, other_team):
    """Support (the case's team now) and Billing (the team it came from), each with a lead; an agent of Billing;
    an admin by being a superuser (role agent)."""
    return {
        "lead_support": AgentFactory(email="lead.support@example.com", role=Role.TEAM_LEAD, teams=[team]),
        "lead_billing": AgentFactory(email="lead.billing@example.com", role=Role.TEAM_LEAD, teams=[other_team]),
        "billing_agent": AgentFactory(email="billing@example.com", teams=[other_team]),
        "root": AgentFactory(email="root@example.com", role=Role.AGENT, is_superuser=True),
        "admin": AgentFactory(email="admin@example.com", role=Role.ADMIN),
    }


def test_nobody_is_told_about_a_case_they_cannot_open(settings, people, team, other_team, customer):
    settings.LOFTE_ESCALATION_INTERVAL_MINUTES = 30
    billing_agent = people["billing_agent"]
    # given: a Billing agent promised a follow-up on a Billing case; the case then moved to Support, unassigned.
    # The agent's own promise stays theirs (and Billing's), but neither may open the case any more.
    with clock.at(MONDAY_9):
        case = make_case(customer=customer, team=other_team, assignee=billing_agent)
        promise = services.case_promise_make(case=case, author=billing_agent, due_at=DUE)
        services.case_update(case=case, actor=people["admin"], team=team, assignee=None)
    promise.refresh_from_db()
    assert (promise.owner_agent, promise.owner_team) == (billing_agent, other_team)

    # when: reminded, broken, escalated to the leads, escalated to the admins
    for now in (
        DUE - timedelta(minutes=30),
        DUE + timedelta(minutes=1),
        DUE + timedelta(minutes=31),
        DUE + timedelta(minutes=61),
    ):
        promises_tick(now=now)

    # then: the Billing agent and Billing's lead hear nothing; Support's lead hears as the case's owner, then as
    # its lead; the admins (the superuser too) at the top
    assert texts(billing_agent) == []
    assert texts(people["lead_billing"]) == []
    assert not OutboxMessage.objects.filter(to__in=[billing_agent.email, people["lead_billing"].email]).exists()
    assert [kind for kind, _t in texts(people["lead_support"])] == [
        "promise_reminder",
        "promise_broken",
        "promise_escalated",
    ]
    assert [kind for kind, _t in texts(people["root"])] == ["promise_escalated"]
    assert [kind for kind, _t in texts(people["admin"])] == ["promise_escalated"]
    promise.refresh_from_db()
    assert (promise.state, promise.escalation_level) == (PromiseState.BROKEN, 3)


def test_the_owner_who_still_sees_the_case_is_told_and_a_lead_only_of_the_cases_team(people, team, customer):
    owner = AgentFactory(email="owner@example.com", teams=[team])
    with clock.at(MONDAY_9):
        case = make_case(customer=customer, team=team, assignee=owner)
        services.case_promise_make(case=case, author=owner, due_at=DUE)
    promises_tick(now=DUE + timedelta(minutes=1))
    promises_tick(now=DUE + timedelta(minutes=31))
    assert [kind for kind, _t in texts(owner)] == ["promise_broken"]
    assert [kind for kind, _t in texts(people["lead_support"])] == ["promise_escalated"]
    assert texts(people["lead_billing"]) == []


def test_a_superuser_is_an_admin_for_the_breach_notice_reports(people):
    from lofte.notifications.selectors import admin_agents

    inactive = AgentFactory(role=Role.ADMIN, is_active=False)
    assert admin_agents() == [people["root"], people["admin"]]
    assert inactive not in admin_agents()
