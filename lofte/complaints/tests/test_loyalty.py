"""Each customer's loyalty light: red (an open complaint, a recent 'not solved'), yellow (recent complaints, many
contacts), green; the rule on hover, configurable; shown on the customer list and page, the case page and the
register; a red light can raise a new case's priority."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.cases.services import case_transition
from lofte.cases.tests.factories import make_case
from lofte.complaints import services
from lofte.complaints.models import CheckState, ComplaintSettings, Source, TemperatureCheck
from lofte.core import clock
from lofte.customers.lights import lights_for
from lofte.customers.services import customer_create

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)


def person(name: str):
    return customer_create(name=name, email=f"{name.lower()}@example.com", language="en")


def test_the_rule_sets_each_light_and_says_why(team, agent):
    calm, open_, recent, unhappy, busy = (person(n) for n in ("Calm", "Open", "Recent", "Unhappy", "Busy"))
    with clock.at(T0 - timedelta(days=40)):
        make_case(customer=calm, team=team)
        solved = make_case(customer=recent, team=team)
        services.complaint_flag(case=solved, source=Source.AGENT, actor=agent)
        case_transition(case=solved, actor=agent, status="solved")
        earlier = make_case(customer=unhappy, team=team)
        complaint = services.complaint_flag(case=earlier, source=Source.AGENT, actor=agent)
        case_transition(case=earlier, actor=agent, status="solved")
    TemperatureCheck.objects.create(
        complaint=complaint, solved_at=T0, due_at=T0, state=CheckState.NO, answered_at=T0 - timedelta(days=10)
    )
    with clock.at(T0 - timedelta(days=1)):
        services.complaint_flag(case=make_case(customer=open_, team=team), source=Source.AGENT, actor=agent)
        for i in range(5):
            make_case(customer=busy, team=team, subject=f"Again {i}")
    with clock.at(T0), CaptureQueriesContext(connection) as queries:
        lights = lights_for([c.pk for c in (calm, open_, recent, unhappy, busy)])
    assert len(queries) == 5  # the complaint rule's four, and the surveys' negative answers (lofte.surveys)
    assert {k: (v.color, v.reason) for k, v in lights.items()} == {
        calm.pk: ("green", "No open or recent complaint, no unsolved temperature check"),
        open_.pk: ("red", "1 complaint open"),
        recent.pk: ("yellow", "1 complaint within 90 days"),
        unhappy.pk: ("red", "Said a solved complaint was not solved, within 90 days"),
        busy.pk: ("yellow", "5 cases in 30 days"),
    }
    # the admins' rule: recent complaints need not be yellow, a 'no' need not be red
    ComplaintSettings.objects.filter(pk=1).update(loyalty_red_check_no=False)
    with clock.at(T0):
        assert lights_for([unhappy.pk])[unhappy.pk].color == "yellow"  # still a recent complaint
    ComplaintSettings.objects.filter(pk=1).update(loyalty_yellow_complaints=0)
    with clock.at(T0):
        lights = lights_for([recent.pk, unhappy.pk])
    assert (lights[recent.pk].color, lights[unhappy.pk].color) == ("green", "green")


def test_the_light_is_shown_where_the_customer_is(client, agent, team, case):
    services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
    client.force_login(agent)
    for url in ("/customers/", f"/customers/{case.customer_id}/", f"/cases/{case.reference}/", "/complaints/"):
        page = client.get(url).content.decode()
        assert 'data-loyalty="red"' in page, url
        assert 'title="1 complaint open"' in page, url


def test_a_red_customers_new_case_gets_high_priority_when_the_rule_says_so(team, agent):
    customer = person("Angry")
    services.complaint_flag(case=make_case(customer=customer, team=team), source=Source.AGENT, actor=agent)
    assert make_case(customer=customer, team=team, subject="Without the rule").priority == 2
    ComplaintSettings.objects.filter(pk=1).update(red_raises_priority=True)
    raised = make_case(customer=customer, team=team, subject="With the rule")
    raised.refresh_from_db()
    assert raised.priority == 3
    calm = make_case(customer=person("Calm"), team=team, subject="A green customer")
    assert calm.priority == 2
