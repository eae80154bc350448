"""Outage mode: a banner on the public pages while an incident is active; new contacts about it are linked and
told where to follow it (counted as status questions the page answered); agents link a case in one click; on
resolving, each linked case gets the final update on its own channel, and is solved or left open as chosen."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lofte.cases.acknowledgements import acknowledge_new_cases
from lofte.cases.models import CaseEvent, Status
from lofte.cases.tests.factories import make_case
from lofte.core import clock
from lofte.customers.services import customer_create
from lofte.incidents import selectors, services
from lofte.incidents.models import IncidentCase, IncidentStatus, Severity
from lofte.incidents.tests.conftest import T0
from lofte.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(lead, bank):  # type: ignore[no-untyped-def]
    with clock.at(T0):
        return services.incident_open(
            actor=lead,
            title="Online banking is down",
            titles={"sv": "Internetbanken ligger nere"},
            severity=Severity.CRITICAL,
            components={bank["login"].pk: "major_outage"},
            match_words="bank id\ncannot log in",
            first_update="Troubleshooting.",
        )


@pytest.mark.parametrize("path", ["/contact/", "/portal/", "/help/"])
def test_the_banner_is_on_the_public_pages_while_the_incident_is_active(client, incident, lead, path):
    html = client.get(path, follow=True).content.decode()
    assert 'class="outage-banner"' in html and "Online banking is down" in html and 'href="/status/"' in html

    services.incident_update_post(actor=lead, incident=incident, body="Fixed.", status=IncidentStatus.RESOLVED)

    assert 'class="outage-banner"' not in client.get(path, follow=True).content.decode()


def test_no_banner_and_no_query_for_it_when_nothing_is_broken(client, bank, django_assert_num_queries):
    from lofte.incidents.status import active_summary
    from lofte.incidents.templatetags.incidents import outage_banner

    html = client.get("/contact/", follow=True).content.decode()
    assert 'class="outage-banner"' not in html
    with django_assert_num_queries(0):  # the first page filled the cache: nothing is read again for the banner
        assert active_summary() == []
        assert outage_banner({"request": object()}) == ""


def test_a_new_contact_in_its_words_is_linked_and_told_where_to_follow_it(incident):
    customer = customer_create(name="Ella", email="ella@example.com", language="en")
    with clock.at(T0 + timedelta(minutes=3)):
        about = make_case(customer=customer, channel="web", subject="Help", body="I CANNOT  log in to the bank")
        other = make_case(customer=customer, channel="web", subject="Invoice", body="My invoice is wrong")
        acknowledge_new_cases(now=T0 + timedelta(minutes=3, seconds=20))

    link = IncidentCase.objects.get()
    assert (link.case_id, link.automatic, link.answered) == (about.pk, True, True)
    assert CaseEvent.objects.filter(case=about, kind="incident_linked").exists()
    acks = {r.payload["text"] for r in OutboxMessage.objects.filter(to="ella@example.com")}
    told = next(t for t in acks if "We know about the problem (Online banking is down)" in t)
    assert "/status/" in told
    assert sum("We know about the problem" in t for t in acks) == 1  # not in the invoice case's
    assert not IncidentCase.objects.filter(case=other).exists()
    assert selectors.measures(incident).answered == 1


def test_an_agent_links_a_case_with_one_click_and_unlinks_it(client, incident, agent, team):
    case = make_case(team=team, subject="Log-in trouble", body="Hi")
    client.force_login(agent)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert f'action="/incidents/{incident.pk}/link"' in page

    response = client.post(f"/incidents/{incident.pk}/link", {"reference": case.reference})

    assert response.status_code == 302
    link = IncidentCase.objects.get(case=case)
    assert (link.automatic, link.linked_by_id) == (False, agent.pk)
    client.post(f"/incidents/{incident.pk}/link", {"reference": case.reference, "unlink": "1"})
    assert not IncidentCase.objects.exists()
    assert list(CaseEvent.objects.filter(case=case, kind__startswith="incident").values_list("kind", flat=True)) == [
        "incident_linked",
        "incident_unlinked",
    ]


def test_a_case_the_agent_cannot_see_cannot_be_linked(client, incident, outsider, team):
    case = make_case(team=team, subject="Not yours", body="Hi")
    client.force_login(outsider)

    response = client.post(f"/incidents/{incident.pk}/link", {"reference": case.reference})

    assert response.status_code == 404
    assert not IncidentCase.objects.exists()


def test_resolving_tells_each_linked_case_and_solves_them_when_chosen(incident, lead, team, agent):
    sv = customer_create(name="Sven", email="sven@example.se", language="sv")
    en = customer_create(name="Ella", email="ella@example.com", language="en")
    with clock.at(T0 + timedelta(minutes=3)):
        cases = [
            make_case(customer=sv, team=team, channel="email", subject="Bank id", body="bank id does not work"),
            make_case(customer=en, team=team, channel="email", subject="Log-in", body="cannot log in"),
        ]
    before = OutboxMessage.objects.count()

    with clock.at(T0 + timedelta(minutes=40)):
        services.incident_update_post(
            actor=lead,
            incident=incident,
            body="The problem is solved.",
            bodies={"sv": "Problemet är löst."},
            status=IncidentStatus.RESOLVED,
            solve_linked=True,
        )

    told = {
        r.to: r.payload["text"]
        for r in OutboxMessage.objects.order_by("id")[before:]
        if r.to in ("sven@example.se", "ella@example.com")
    }
    assert "Problemet är löst." in told["sven@example.se"] and "Internetbanken ligger nere" in told["sven@example.se"]
    assert "The problem is solved." in told["ella@example.com"]
    for case in cases:
        case.refresh_from_db()
        assert case.status == Status.SOLVED
    assert IncidentCase.objects.filter(final_sent_at__isnull=True).count() == 0


def test_resolving_without_solving_leaves_the_cases_open(incident, lead, team):
    with clock.at(T0 + timedelta(minutes=3)):
        case = make_case(team=team, channel="email", subject="Log-in", body="cannot log in")
    with clock.at(T0 + timedelta(minutes=40)):
        services.incident_update_post(actor=lead, incident=incident, body="Solved.", status=IncidentStatus.RESOLVED)
    case.refresh_from_db()
    assert case.status != Status.SOLVED
    assert IncidentCase.objects.get().final_sent_at is not None


def test_a_resolved_incident_takes_no_new_links(client, incident, lead, agent, team):
    services.incident_update_post(actor=lead, incident=incident, body="Solved.", status=IncidentStatus.RESOLVED)
    case = make_case(team=team, subject="cannot log in", body="cannot log in")
    assert not IncidentCase.objects.exists()  # no automatic link either
    client.force_login(agent)
    client.post(f"/incidents/{incident.pk}/link", {"reference": case.reference})
    assert not IncidentCase.objects.exists()


def test_the_contact_form_asks_whether_it_is_about_the_outage_and_links_the_answer(client, incident, bank):
    from lofte.cases.models import Case
    from lofte.webform.tests.test_views import form_data

    page = client.get("/contact/?lang=en", follow=True).content.decode()
    assert "Is it about a problem we already know of?" in page
    assert f'<option value="{bank["login"].pk}">Log-in</option>' in page

    response = client.post(
        "/contact",
        form_data(subject="Money", message="Where is my money?", incident_component=str(bank["login"].pk)),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    link = IncidentCase.objects.get()
    assert (link.case_id, link.incident_id, link.automatic) == (case.pk, incident.pk, True)


def test_a_component_no_outage_affects_links_nothing(client, incident, bank):
    from lofte.cases.models import Case
    from lofte.webform.tests.test_views import form_data

    response = client.post("/contact", form_data(message="Where is my money?", incident_component=str(bank["app"].pk)))

    assert response.status_code == 422  # not one of the choices: named, nothing sent
    assert not Case.objects.exists() and not IncidentCase.objects.exists()
