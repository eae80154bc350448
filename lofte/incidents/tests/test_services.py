"""Incidents: opening one promises the first public update by its cadence; each public update keeps that promise
and makes the next, the interval widening as the outage drags on; the ready update in one click in every language;
what is refused, and that nothing is written then."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lofte.accounts.tests.factories import AgentFactory
from lofte.core import clock
from lofte.core.errors import PermissionDenied, ValidationFailed
from lofte.incidents import services
from lofte.incidents.models import CadenceStep, Incident, IncidentStatus, IncidentUpdate, Severity
from lofte.incidents.tests.conftest import T0
from lofte.promises.models import Promise, PromiseKind, PromiseState
from lofte.promises.tasks import promise_tick

pytestmark = pytest.mark.django_db


def updates(incident: Incident) -> list[Promise]:
    return list(
        Promise.objects.filter(
            subject_type="incident", subject_id=incident.pk, kind=PromiseKind.INCIDENT_UPDATE
        ).order_by("id")
    )


def open_critical(lead, bank) -> Incident:  # type: ignore[no-untyped-def]
    with clock.at(T0):
        return services.incident_open(
            actor=lead,
            title="Online banking is down",
            titles={"sv": "Internetbanken ligger nere"},
            severity=Severity.CRITICAL,
            components={bank["login"].pk: "major_outage"},
        )


def test_opening_promises_the_first_update_in_ten_minutes_to_the_owner(lead, bank):
    incident = open_critical(lead, bank)

    (first,) = updates(incident)
    assert (first.state, first.due_at, first.owner_agent_id) == (
        PromiseState.PENDING,
        T0 + timedelta(minutes=10),
        lead.pk,
    )
    assert first.remind_at == T0 + timedelta(minutes=7)  # the owner is reminded before the 10-minute mark
    assert [(a.component_id, a.state) for a in incident.affected.all()] == [(bank["login"].pk, "major_outage")]
    assert incident.public_title("sv") == "Internetbanken ligger nere" and incident.public_title("fi") == incident.title


def test_each_update_keeps_the_promise_and_the_interval_widens(lead, bank):
    incident = open_critical(lead, bank)
    with clock.at(T0 + timedelta(minutes=8)):
        services.incident_update_post(actor=lead, incident=incident, body="Troubleshooting, no estimate yet.")
    first, second = updates(incident)
    assert (first.state, second.due_at) == (PromiseState.KEPT, T0 + timedelta(minutes=18))
    incident.refresh_from_db()
    assert incident.first_update_at == T0 + timedelta(minutes=8)
    # past the first hour: every 20 minutes; past two: every 30; past four: every hour
    for minutes, expected in ((65, 20), (125, 30), (245, 60)):
        with clock.at(T0 + timedelta(minutes=minutes)):
            services.incident_update_post(actor=lead, incident=incident, body="Still working on it.")
        assert updates(incident)[-1].due_at == T0 + timedelta(minutes=minutes + expected)


def test_an_admins_cadence_replaces_the_default(lead, bank):
    CadenceStep.objects.create(severity=Severity.CRITICAL, after_minutes=0, every_minutes=5)

    incident = open_critical(lead, bank)

    assert updates(incident)[0].due_at == T0 + timedelta(minutes=5)


def test_a_missed_update_breaks_on_the_board_and_the_next_update_settles_it(lead, bank):
    incident = open_critical(lead, bank)
    with clock.at(T0 + timedelta(minutes=11)):
        promise_tick.call()
    assert updates(incident)[0].state == PromiseState.BROKEN

    with clock.at(T0 + timedelta(minutes=12)):
        services.incident_ready_post(actor=lead, incident=incident)

    first, second = updates(incident)
    assert first.state == PromiseState.BROKEN and second.state == PromiseState.PENDING


def test_the_ready_update_is_posted_in_every_language(lead, bank):
    incident = open_critical(lead, bank)

    with clock.at(T0 + timedelta(minutes=9)):
        update = services.incident_ready_post(actor=lead, incident=incident)

    assert update.ready and update.is_public and update.status == IncidentStatus.INVESTIGATING
    assert sorted(update.bodies) == ["da", "en", "fi", "nb", "sv"]
    assert update.body.startswith("We are still investigating the problem.")
    assert update.text("sv").startswith("Vi undersöker fortfarande problemet.")
    assert updates(incident)[0].state == PromiseState.KEPT


def test_an_internal_note_keeps_no_promise(lead, bank):
    incident = open_critical(lead, bank)

    with clock.at(T0 + timedelta(minutes=5)):
        note = services.incident_update_post(actor=lead, incident=incident, body="DB failover started", public=False)

    assert not note.is_public
    assert [p.state for p in updates(incident)] == [PromiseState.PENDING]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("   ", "Write the update: what is happening, even if nothing has changed."),
        ("x" * 5001, "The text is too long"),
    ],
)
def test_an_empty_or_too_long_update_is_refused_and_nothing_written(lead, bank, body, error):
    incident = open_critical(lead, bank)

    with pytest.raises(ValidationFailed, match=error) as caught:
        services.incident_update_post(actor=lead, incident=incident, body=body)

    assert caught.value.field == "body"
    assert not IncidentUpdate.objects.exists()
    assert [p.state for p in updates(incident)] == [PromiseState.PENDING]


def test_resolving_keeps_the_promise_and_a_resolved_incident_takes_no_more_updates(lead, bank):
    incident = open_critical(lead, bank)
    with clock.at(T0 + timedelta(minutes=30)):
        services.incident_update_post(actor=lead, incident=incident, body="Fixed.", status=IncidentStatus.RESOLVED)
    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at) == (IncidentStatus.RESOLVED, T0 + timedelta(minutes=30))
    assert [p.state for p in updates(incident)] == [PromiseState.KEPT]  # and no next one

    with pytest.raises(ValidationFailed, match="This incident is resolved and takes no more updates"):
        services.incident_update_post(actor=lead, incident=incident, body="Again?")
    assert IncidentUpdate.objects.count() == 1


def test_who_may_open_and_post(lead, bank, agent):
    with pytest.raises(PermissionDenied, match="cannot open or change incidents"):
        services.incident_open(actor=agent, title="Down", severity=Severity.MINOR)
    assert not Incident.objects.exists()

    incident = open_critical(lead, bank)
    with pytest.raises(PermissionDenied):
        services.incident_update_post(actor=agent, incident=incident, body="Hello")
    # the owner posts their own incident's updates
    services.incident_change(actor=lead, incident=incident, owner_agent=agent.pk)
    assert updates(incident)[0].owner_agent_id == agent.pk  # the promise is the new owner's
    services.incident_update_post(actor=agent, incident=incident, body="On it.")
    qa = AgentFactory(role="qa_reviewer")
    with pytest.raises(PermissionDenied):
        services.incident_update_post(actor=qa, incident=incident, body="Hi")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": " "}, "title"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"components": {999999: "major_outage"}}, "components"),
        ({"components": {"x": "major_outage"}}, "components"),
        ({"titles": {"xx": "Hi"}}, "titles"),
        ({"kind": "maintenance"}, "scheduled_start"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(lead, bank, kwargs, field):
    values = {"title": "Down", "severity": Severity.MAJOR, **kwargs}
    with pytest.raises(ValidationFailed) as caught:
        services.incident_open(actor=lead, **values)
    assert caught.value.field == field
    assert not Incident.objects.exists() and not Promise.objects.exists()


def test_scheduled_maintenance_promises_no_cadence(lead, bank):
    with clock.at(T0):
        incident = services.incident_open(
            actor=lead,
            kind="maintenance",
            title="Database upgrade",
            components={bank["payments"].pk: "degraded"},
            scheduled_start=T0 + timedelta(days=1),
            scheduled_end=T0 + timedelta(days=1, hours=2),
        )
    assert updates(incident) == []
    assert [a.state for a in incident.affected.all()] == ["maintenance"]


def test_maintenance_past_its_end_is_resolved_with_the_completed_update(lead, bank, client):
    from lofte.incidents.tasks import finish_maintenance

    with clock.at(T0):
        incident = services.incident_open(
            actor=lead,
            kind="maintenance",
            title="Database upgrade",
            components={bank["payments"].pk: "maintenance"},
            scheduled_start=T0 + timedelta(hours=1),
            scheduled_end=T0 + timedelta(hours=2),
        )
    with clock.at(T0 + timedelta(hours=1, minutes=30)):
        assert finish_maintenance.call() == {"finished": 0}  # under way: on the page as maintenance
        assert "Maintenance is under way." in client.get("/status/?lang=en").content.decode()
    with clock.at(T0 + timedelta(hours=2, minutes=1)):
        assert finish_maintenance.call() == {"finished": 1}
        assert finish_maintenance.call() == {"finished": 0}  # once
    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at) == (IncidentStatus.RESOLVED, T0 + timedelta(hours=2, minutes=1))
    (update,) = incident.updates.all()
    assert update.ready and update.text("en") == "The maintenance is completed and everything works as usual again."
    assert sorted(update.bodies) == ["da", "en", "fi", "nb", "sv"]


def test_a_first_update_given_when_opening_is_the_first_public_update(lead, bank):
    with clock.at(T0):
        incident = services.incident_open(
            actor=lead, title="Down", severity=Severity.CRITICAL, first_update="Looking into it."
        )
    incident.refresh_from_db()
    assert incident.first_update_at == T0
    (next_one,) = updates(incident)  # no promise for the update given, the next one by the cadence
    assert (next_one.state, next_one.due_at) == (PromiseState.PENDING, T0 + timedelta(minutes=10))
