"""The public status page: what it shows (components, active incidents with their updates and the next promised
update, maintenance, 90 days of history with uptime), in every language, as HTML, JSON and Atom; no query with the
cache warm, and an update visible at once in the process that wrote it and within the cache's seconds elsewhere."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from lofte.core import clock
from lofte.incidents import services, status
from lofte.incidents.models import IncidentStatus, Severity
from lofte.incidents.tests.conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def outage(lead, bank):  # type: ignore[no-untyped-def]
    with clock.at(T0):
        incident = services.incident_open(
            actor=lead,
            title="Online banking is down",
            titles={"sv": "Internetbanken ligger nere"},
            severity=Severity.CRITICAL,
            components={bank["login"].pk: "major_outage", bank["payments"].pk: "degraded"},
        )
    with clock.at(T0 + timedelta(minutes=5)):
        services.incident_update_post(
            actor=lead, incident=incident, body="Troubleshooting, no estimate yet.", bodies={"sv": "Felsökning pågår."}
        )
        services.incident_update_post(actor=lead, incident=incident, body="secret internal words", public=False)
    return incident


def test_the_page_shows_states_the_incident_its_public_updates_and_the_next_update(client, outage, bank):
    with clock.at(T0 + timedelta(minutes=6)):
        html = client.get("/status/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Online banking is down" in html and "Troubleshooting, no estimate yet." in html
    assert "secret internal words" not in html
    assert "Next update by 18:15" in html  # 17:05 UTC + 10 minutes, told in Stockholm time
    assert "Major outage" in html and "Degraded performance" in html
    assert "Some systems have problems" in html
    assert 'class="outage-banner"' not in html  # the page itself is the status


def test_in_swedish_by_lang_or_browser(client, outage):
    with clock.at(T0 + timedelta(minutes=6)):
        by_lang = client.get("/status/?lang=sv").content.decode()
        by_browser = client.get("/status/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    for html in (by_lang, by_browser):
        assert 'lang="sv"' in html
        assert "Internetbanken ligger nere" in html and "Felsökning pågår." in html and "Inloggning" in html


def test_no_query_with_the_cache_warm_and_a_write_shows_at_once_here(client, outage, lead, django_assert_num_queries):
    with clock.at(T0 + timedelta(minutes=6)):
        client.get("/status/")
        client.get("/status.json")
        with django_assert_num_queries(0):
            assert client.get("/status/").status_code == 200
            assert client.get("/status.json").status_code == 200
        services.incident_update_post(actor=lead, incident=outage, body="Found the cause.", status="identified")
        assert "Found the cause." in client.get("/status/").content.decode()


def test_another_process_sees_an_update_within_the_cache_seconds(client, outage, settings):
    settings.LOFTE_STATUS_CACHE_SECONDS = 0.2
    with clock.at(T0 + timedelta(minutes=6)):
        client.get("/status/")
        # a write in another process: this one's cache is not told
        outage.updates.create(status="identified", body="Written elsewhere", posted_at=clock.now())
        assert "Written elsewhere" not in client.get("/status/").content.decode()
        import time

        time.sleep(0.25)
        assert "Written elsewhere" in client.get("/status/").content.decode()


def _rebuilt() -> None:
    import time

    deadline = time.monotonic() + 10
    while status.refreshes_running() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert status.refreshes_running() == 0


@pytest.mark.django_db(transaction=True)  # the rebuilding thread reads on a connection of its own
def test_an_expired_page_is_answered_at_once_while_a_thread_rebuilds_it(client, outage, settings):
    import time

    settings.LOFTE_STATUS_REFRESH_BEHIND = True
    settings.LOFTE_STATUS_CACHE_SECONDS = 0.2
    with clock.at(T0 + timedelta(minutes=6)):
        client.get("/status/")
        outage.updates.create(status="identified", body="Written elsewhere", posted_at=clock.now())
        time.sleep(0.25)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            stale = client.get("/status/").content.decode()
        assert "Written elsewhere" not in stale  # the old page, at once: this request read nothing
        assert len(queries) == 0
        _rebuilt()
        fresh = client.get("/status/").content.decode()
    assert "Written elsewhere" in fresh
    assert "Next update by 18:15" in fresh  # built at the test's time, handed to the thread


@pytest.mark.django_db(transaction=True)
def test_a_page_stale_for_longer_than_a_lifetime_is_rebuilt_in_the_request(client, outage, settings):
    import time

    settings.LOFTE_STATUS_REFRESH_BEHIND = True
    settings.LOFTE_STATUS_CACHE_SECONDS = 0.1
    with clock.at(T0 + timedelta(minutes=6)):
        client.get("/status/")
        outage.updates.create(status="identified", body="Written elsewhere", posted_at=clock.now())
        time.sleep(0.25)  # past the lifetime and one more: a thread that failed is not waited for forever
        assert "Written elsewhere" in client.get("/status/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_begun_before_a_change_is_not_kept(client, outage, lead, settings):
    import threading
    import time

    settings.LOFTE_STATUS_REFRESH_BEHIND = True
    settings.LOFTE_STATUS_CACHE_SECONDS = 0.2
    gate = threading.Event()
    calls = []

    def slow() -> str:
        calls.append(1)
        if len(calls) == 2:  # the rebuild behind: it read the old state, then waits
            gate.wait(5)
        return f"built {len(calls)}"

    assert status.cached("probe", slow) == "built 1"
    time.sleep(0.25)
    assert status.cached("probe", slow) == "built 1"  # stale, a thread rebuilds
    status.status_changed()  # an update is posted meanwhile
    assert status.cached("probe", slow) == "built 3"  # built anew in this request
    gate.set()
    _rebuilt()
    assert status.cached("probe", slow) == "built 3"  # the late rebuild of the old state was dropped


def test_the_json_has_components_incidents_and_uptime(client, outage, bank):
    with clock.at(T0 + timedelta(minutes=6)):
        response = client.get("/status.json?lang=sv")
    body = json.loads(response.content)
    assert response["Content-Type"] == "application/json" and response["Access-Control-Allow-Origin"] == "*"
    assert body["state"] == "major_outage" and body["language"] == "sv"
    assert [(c["name"], c["state"]) for c in body["components"]] == [
        ("Inloggning", "major_outage"),
        ("Betalningar", "degraded"),
        ("Mobile app", "operational"),
    ]
    (incident,) = body["incidents"]
    assert incident["title"] == "Internetbanken ligger nere"
    assert [u["text"] for u in incident["updates"]] == ["Felsökning pågår."]
    assert incident["next_update_by"] == (T0 + timedelta(minutes=15)).isoformat()


def test_the_atom_feed_lists_public_updates(client, outage):
    with clock.at(T0 + timedelta(minutes=6)):
        response = client.get("/status/feed.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed, from the test client
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert len(entries) == 1
    assert entries[0].find("a:title", ns).text == "[Investigating] Online banking is down"
    assert entries[0].find("a:summary", ns).text == "Troubleshooting, no estimate yet."


def test_history_uptime_counts_outages_per_component(lead, bank):
    with clock.at(T0 - timedelta(days=10)):
        incident = services.incident_open(
            actor=lead, title="Log-in broken", severity=Severity.MAJOR, components={bank["login"].pk: "major_outage"}
        )
    with clock.at(T0 - timedelta(days=10) + timedelta(hours=24)):
        services.incident_update_post(actor=lead, incident=incident, body="Fixed.", status=IncidentStatus.RESOLVED)
    with clock.at(T0):
        page = status.page()
    rows = {r.name: r for r in page.components}
    assert rows["Log-in"].uptime == round(100 * (1 - 1 / 90), 2)  # one day of ninety
    assert rows["Payments"].uptime == 100.0
    assert rows["Log-in"].days.count("major_outage") == 2  # the outage spans two local days
    assert page.state == "operational" and [h.title for h in page.history] == ["Log-in broken"]


def test_nothing_broken_says_so(client, bank):
    html = client.get("/status/").content.decode()
    assert "All systems are working." in html and "Log-in" in html


def test_an_incident_naming_no_component_is_not_all_systems_working(client, lead, bank):
    with clock.at(T0):
        services.incident_open(actor=lead, title="Something is off", severity=Severity.MINOR)
        html = client.get("/status/?lang=en").content.decode()
        body = json.loads(client.get("/status.json").content)
    assert "All systems are working." not in html and "Some systems have problems" in html
    assert body["state"] == "degraded"
