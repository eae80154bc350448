"""The seams a new capability plugs into, proven by a tiny app that touches no file of the cases app
(tests/example_capability): timeline event kinds with their own templates, case-page panels with their own query
budgets, and the tick's hooks. And the rules that keep the seams open: the cases templates load no other app's
template tags, an event kind needs no migration, an unregistered kind is refused."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from lofte.callbacks import services as callbacks
from lofte.cases.events import event_type, event_type_register
from lofte.cases.models import CaseEvent
from lofte.cases.timeline import case_event, case_event_add
from lofte.core import clock
from lofte.core.panels import panels_for, panels_render
from lofte.promises.services import promise_make
from lofte.promises.tasks import promise_tick

pytestmark = pytest.mark.django_db

EXAMPLE = "tests.example_capability.apps.ExampleCapabilityConfig"
CASES = Path(settings.BASE_DIR) / "lofte" / "cases"


@pytest.fixture
def client_agent(client, agent):  # type: ignore[no-untyped-def]
    client.force_login(agent)
    return client


@pytest.fixture
def example_app():  # type: ignore[no-untyped-def]
    from tests.example_capability import seams

    seams.heard.clear()
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, EXAMPLE]):
        yield seams
    seams.unregister()


def test_a_new_app_adds_an_event_kind_a_panel_and_a_tick_hook_without_touching_cases(
    example_app, client_agent, case, agent
):
    # given: the example app writes its own kind of event through the one writer
    case_event_add(case=case, kind=example_app.SURVEY_SENT, actor=agent, data={"questions": 3}, now=clock.now())

    # when
    html = client_agent.get(f"/cases/{case.reference}/").content.decode()

    # then: the event renders with the app's template inside the timeline's line, with who and when
    [line] = re.findall(r'<li class="event event-survey_sent"[^>]*>(.*?)</li>', html, re.S)
    assert "sent the satisfaction survey (3 questions)" in line
    assert agent.display_name in line and "<time" in line
    # and its panel shows on the case page, after the calls panel (order 10 < 50)
    assert "1 survey(s) sent." in html
    assert html.index("case-calls") < html.index("example-survey")

    # when: a promise of the case comes due, the tick tells the app, inside the same batch
    promise = promise_make(case=case, due_at=clock.now() + timedelta(minutes=5), created_by=agent, now=clock.now())
    with clock.at(clock.now() + timedelta(minutes=10)):
        result = promise_tick.call()
    assert example_app.heard == [("broken", promise.pk)]
    assert result["surveys_checked"] == 1


def test_a_new_app_adds_a_panel_to_the_customer_page(example_app, client_agent, case):
    case_event_add(case=case, kind=example_app.SURVEY_SENT, data={"questions": 2}, now=clock.now())
    html = client_agent.get(f"/customers/{case.customer_id}/").content.decode()
    assert "1 survey(s) sent to this customer." in html
    request_panels = [p.name for p in panels_for("customer")]
    assert request_panels == ["surveys"]


@override_settings(ROOT_URLCONF="tests.example_capability.urls")
def test_a_new_app_adds_an_api_router_with_the_projects_tokens_errors_and_access(example_app, case, agent, outsider):
    from lofte.accounts.models import Role
    from lofte.accounts.services import api_token_create
    from lofte.accounts.tests.factories import AgentFactory

    def call(who, method, body=None):  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {api_token_create(agent=who).secret}"}
        url = f"/api/example/surveys/{case.reference}"
        if method == "get":
            return Client().get(url, headers=headers)
        return Client().post(url, body, content_type="application/json", headers=headers)

    # an agent of the case's team sends one and reads the count
    sent = call(agent, "post", {"questions": 3})
    assert (sent.status_code, sent.json()) == (201, {"reference": case.reference, "sent": 1})
    assert call(agent, "get").json()["sent"] == 1
    # the project's error format: a bad value names its field
    bad = call(agent, "post", {"questions": 0})
    assert (bad.status_code, bad.json()["code"], bad.json()["field"]) == (422, "validation_error", "questions")
    # an agent of another team may not see the case: not found, not forbidden
    hidden = call(outsider, "get")
    assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
    # a QA reviewer of the team reads it but may not send one
    qa = AgentFactory(email="qa@example.com", role=Role.QA_REVIEWER)
    qa.teams.add(case.team)
    assert call(qa, "get").status_code == 200
    refused = call(qa, "post", {"questions": 2})
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    # no token: the project's 401
    assert Client().get(f"/api/example/surveys/{case.reference}").status_code == 401
    assert CaseEvent.objects.filter(case=case, kind=example_app.SURVEY_SENT).count() == 1


def test_a_new_app_adds_a_periodic_job_and_promises_about_its_own_subject(example_app, case, agent, team):
    from django_tasks_db.models import DBTaskResult

    from lofte.accounts.models import Role
    from lofte.accounts.tests.factories import AgentFactory
    from lofte.cases.services import case_transition
    from lofte.core import scheduler
    from lofte.notifications.models import Notification
    from lofte.promises.models import Promise, PromiseState
    from tests.example_capability.schedule import JOBS
    from tests.example_capability.tasks import surveys_due

    lead = AgentFactory(email="lead@example.com", role=Role.TEAM_LEAD, teams=[team])
    case_transition(case=case, actor=agent, status="solved")

    # when: the scheduler runs the app's job (its line in the schedule) and the worker runs the task
    assert "example.surveys" in scheduler.tick(JOBS, worker="test")
    assert DBTaskResult.objects.filter(task_path=surveys_due.module_path).count() == 1
    assert surveys_due.call() == {"surveys": 1}

    # then: a survey on the timeline and a promise about it (not about the case), shown on the case
    event = CaseEvent.objects.get(case=case, kind=example_app.SURVEY_SENT)
    promise = Promise.objects.get(subject_type=example_app.SURVEY)
    assert (promise.subject_id, promise.case_id, promise.state) == (event.pk, case.pk, PromiseState.PENDING)

    # when: nobody reads the answer in three days, the tick breaks it like any promise
    with clock.at(promise.due_at + timedelta(minutes=1)):
        result = promise_tick.call()
    promise.refresh_from_db()
    assert (promise.state, result["broken"]) == (PromiseState.BROKEN, 1)
    # and its owner (the team: the case has no assignee) hears of it in the words its subject type gives
    [note] = Notification.objects.filter(agent=lead, kind="promise_broken")
    assert f"survey {event.pk} on {case.reference}" in note.text
    assert note.url == f"/cases/{case.reference}/"


def test_a_panel_with_nothing_to_show_is_left_out(example_app, client_agent, case):
    html = client_agent.get(f"/cases/{case.reference}/").content.decode()
    assert "example-survey" not in html
    assert "case-calls" in html


def test_every_case_panel_keeps_to_its_query_budget(example_app, rf, case, agent):
    # given: a case with calls and a survey, so each panel has something to read
    callbacks.call_log(case=case, agent=agent, direction="in", number="0701234567", outcome="answered")
    callbacks.call_log(case=case, agent=agent, direction="out", number="0701234567", outcome="no_answer")
    case_event_add(case=case, kind=example_app.SURVEY_SENT, data={"questions": 1}, now=clock.now())
    from lofte.triage.models import Suggestion

    for field, label in (("complaint", "complaint"), ("team", str(case.team_id)), ("case_type", "1")):
        Suggestion.objects.create(
            case=case, message=case.messages.first(), field=field, label=label, confidence=0.7, state="suggested"
        )
    request = rf.get(f"/cases/{case.reference}/")
    request.user = agent
    # (the incidents panel says nothing while nothing is broken and the case is linked to nothing)
    assert "incidents" not in [p.name for p in panels_render("case", request, case)]
    from lofte.accounts.tests.factories import AgentFactory
    from lofte.incidents.services import incident_open

    incident_open(actor=AgentFactory(role="admin"), title="Log-in down")
    assert [p.name for p in panels_for("case")] == ["suggestions", "complaint", "incidents", "calls", "survey"]
    assert [p.name for p in panels_render("case", request, case)] == [
        "suggestions",
        "complaint",
        "incidents",
        "calls",
        "survey",
    ]
    panels_render("case", request, case)  # as on the page: the request's own figures (unread count) once
    for panel in [*panels_for("case"), *panels_for("customer")]:
        subject = case.customer if panel.slot == "customer" else case
        # the panel's share of the page: reading its context and rendering its template
        with CaptureQueriesContext(connection) as queries:
            context = panel.context(request, subject)
            assert context is not None
            render_to_string(panel.template, context, request=request)
        assert len(queries) <= panel.max_queries, (panel.name, [q["sql"] for q in queries])


def test_an_unregistered_kind_is_refused_and_an_old_one_renders_its_name(client_agent, case):
    with pytest.raises(ValueError, match="not registered"):
        case_event(case=case, kind="nobody_registered_this", now=clock.now())
    # a row whose app is gone (written before it was removed) still renders, with its kind's name
    CaseEvent.objects.create(case=case, kind="removed_app_event", created_at=clock.now())
    html = client_agent.get(f"/cases/{case.reference}/").content.decode()
    assert re.search(r'class="event event-removed_app_event".*?removed_app_event', html, re.S)
    assert str(event_type("removed_app_event").label) == "removed_app_event"


def test_a_kind_cannot_be_registered_twice_differently():
    event_type_register("example_twice", label="Once", template="cases/events/change.html")
    event_type_register("example_twice", label="Once", template="cases/events/change.html")  # the same: harmless
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        event_type_register("example_twice", label="Twice", template="cases/events/change.html")


def test_an_event_kind_needs_no_migration_of_cases():
    assert not CaseEvent._meta.get_field("kind").choices


def test_the_cases_templates_load_no_other_apps_template_tags():
    own = {"lofte", "i18n", "static", "l10n", "tz"}  # the cases app's own library and Django's
    loaded = {
        (path.relative_to(CASES).as_posix(), name)
        for path in (CASES / "templates").rglob("*.html")
        for line in re.findall(r"{%\s*load\s+([^%]+)%}", path.read_text())
        for name in line.split()
    }
    assert {(path, name) for path, name in loaded if name not in own} == set()
