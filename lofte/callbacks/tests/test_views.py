"""The public /callback page, the confirmation, the agents' queue, logging attempts and calls, the case tag."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lofte.callbacks import services
from lofte.callbacks.forms import AttemptForm
from lofte.callbacks.models import Call, Callback, CallbackAttempt, CallbackSlot
from lofte.callbacks.tests.test_services import at
from lofte.cases.models import Case
from lofte.core import clock
from lofte.core.panels import panels_render
from lofte.promises.models import Promise, PromiseState

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_agent(client: Client, agent) -> Client:
    client.force_login(agent)
    return client


def post(client: Client, slot: str, phone: str = "070-765 43 21", **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/callback?lang=en", {"phone": phone, "name": "Per", "slot": slot, **extra})


class TestPublicPage:
    def test_shows_the_free_slots_of_the_default_team(self, client, capacity, now):
        response = client.get("/callback?lang=en")
        assert response.status_code == 200
        html = response.content.decode()
        assert 'value="2026-11-23T10:15:00+01:00"' in html
        assert 'value="2026-11-23T10:00:00+01:00"' not in html
        assert html.count('name="slot"') == 27 + 9 * 4 * 4  # today from 10:15, then four weekdays of 36

    def test_without_capacity_it_says_so(self, client, db):
        response = client.get("/callback?lang=en")
        assert "We do not take callback requests right now" in response.content.decode()

    def test_books_and_shows_the_confirmation(self, client, capacity, now, email_only):
        response = post(client, "2026-11-23T10:30:00+01:00")
        assert response.status_code == 302
        page = client.get(response["Location"])
        assert page.status_code == 200
        callback = Callback.objects.get()
        assert callback.phone == "+46707654321"
        assert "We will call you on Monday 23 November between 10:30 and 10:45 from 08-123 456 78." in (
            page.content.decode()
        )
        assert callback.case.reference in page.content.decode()

    def test_a_slot_filled_between_showing_and_booking_shows_a_message_and_the_next_free_slots(
        self, client, capacity, now
    ):
        CallbackSlot.objects.create(team=capacity.team, start=at(10, 30), booked=2)
        response = post(client, "2026-11-23T10:30:00+01:00")
        assert response.status_code == 409
        html = response.content.decode()
        assert "That time has just been taken; please choose another." in html
        offered = re.findall(r'name="slot" value="([^"]+)"', html)
        assert offered == [
            "2026-11-23T10:15:00+01:00",
            "2026-11-23T10:45:00+01:00",
            "2026-11-23T11:00:00+01:00",
            "2026-11-23T11:15:00+01:00",
            "2026-11-23T11:30:00+01:00",
        ]
        assert 'value="070-765 43 21"' in html
        assert Callback.objects.count() == 0

    def test_an_invalid_number_is_refused_with_a_message(self, client, capacity, now):
        response = post(client, "2026-11-23T10:30:00+01:00", phone="12345")
        assert response.status_code == 422
        assert "is not a valid phone number" in response.content.decode() or "is not a phone number" in (
            response.content.decode()
        )
        assert (Case.objects.count(), CallbackSlot.objects.count()) == (0, 0)

    def test_no_slot_chosen(self, client, capacity, now):
        response = post(client, "")
        assert response.status_code == 422
        assert "Choose a time." in response.content.decode()

    def test_too_many_requests_for_one_number(self, client, capacity, now, settings, email_only):
        settings.LOFTE_CALLBACK_RATE_PER_NUMBER = 1
        assert post(client, "2026-11-23T10:30:00+01:00").status_code == 302
        response = post(client, "2026-11-23T10:45:00+01:00")
        assert response.status_code == 429
        assert response["Retry-After"]
        assert Callback.objects.count() == 1

    def test_too_many_requests_from_one_address(self, client, capacity, now, settings):
        settings.LOFTE_CALLBACK_RATE_PER_IP = 1
        post(client, "", phone="1")
        assert post(client, "2026-11-23T10:30:00+01:00").status_code == 429
        assert Callback.objects.count() == 0

    def test_a_tampered_confirmation_link_is_404(self, client, db):
        assert client.get("/callback/booked?k=nonsense").status_code == 404


class TestQueue:
    def test_login_required(self, client):
        assert client.get("/callbacks/").status_code == 302

    def test_due_now_upcoming_and_overdue_with_tel_links(self, client_agent, capacity, customer, now, email_only):
        due = services.callback_book(team=capacity.team, slot_start=at(10, 15), phone="0701111111")
        upcoming = services.callback_book(team=capacity.team, slot_start=at(14, 0), phone="0702222222")
        overdue = services.callback_book(team=capacity.team, slot_start=at(10, 30), phone="0703333333")
        with clock.at(at(10, 50)):
            html = client_agent.get("/callbacks/").content.decode()
        sections = {
            name: html.split(f'callback-list {name}"')[1].split("</ul>")[0]
            for name in ("overdue", "due-now", "upcoming")
        }
        assert f"callback-{overdue.pk}" in sections["overdue"] and f"callback-{due.pk}" in sections["overdue"]
        assert f"callback-{upcoming.pk}" in sections["upcoming"]
        assert 'href="tel:+46702222222"' in html
        with clock.at(at(10, 20)):
            html = client_agent.get("/callbacks/").content.decode()
        assert f"callback-{due.pk}" in html.split('callback-list due-now"')[1].split("</ul>")[0]

    def test_logging_reached_keeps_the_promise(self, client_agent, capacity, customer, now, email_only):
        callback = services.callback_book(team=capacity.team, slot_start=at(10, 15), phone="0701234567")
        with clock.at(at(10, 20)):
            response = client_agent.post(f"/callbacks/{callback.pk}/attempt", {"outcome": "reached", "note": "OK"})
        assert response.status_code == 302
        assert Promise.objects.get().state == PromiseState.KEPT
        page = client_agent.get("/callbacks/").content.decode()
        assert "Support</strong> 100 %" in page

    def test_the_outcome_is_a_choice_nothing_preselected(self, client_agent, capacity, customer, now, email_only):
        callback = services.callback_book(team=capacity.team, slot_start=at(10, 15), phone="0701234567")
        html = client_agent.get("/callbacks/").content.decode()
        select = (
            html.split(f'id="outcome-{callback.pk}"')[0].rsplit("<select", 1)[1]
            + html.split(f'id="outcome-{callback.pk}"')[1].split("</select>")[0]
        )
        assert " required" in select
        options = re.findall(r"<option ([^>]*)>([^<]*)</option>", select)
        assert options[0] == ('value="" disabled selected', "Choose what happened…")
        assert [label for _attrs, label in options[1:]] == [
            "Reached",
            "No answer",
            "Busy",
            "Wrong number",
            "Voicemail",
        ]
        assert all("selected" not in attrs for attrs, _label in options[1:])

    @pytest.mark.parametrize("sent", [{}, {"outcome": ""}, {"note": "Pratade med henne"}])
    def test_no_outcome_logs_nothing_and_says_what_to_choose(
        self, client_agent, capacity, customer, now, email_only, sent
    ):
        callback = services.callback_book(team=capacity.team, slot_start=at(10, 15), phone="0701234567")
        with clock.at(at(10, 20)):
            response = client_agent.post(f"/callbacks/{callback.pk}/attempt", sent, follow=True)
        assert response.status_code == 200
        callback.refresh_from_db()
        assert (callback.state, callback.attempts) == ("pending", 0)
        assert not CallbackAttempt.objects.exists()
        assert Promise.objects.get().state == PromiseState.PENDING
        assert "Choose what happened." in response.content.decode()

    def test_the_form_names_the_choices_when_none_is_picked(self):
        form = AttemptForm({"outcome": "", "note": "x"})
        assert not form.is_valid()
        assert form.errors["outcome"] == ["Choose what happened: Reached, No answer, Busy, Wrong number, Voicemail."]
        assert AttemptForm({"outcome": "busy"}).is_valid()

    def test_another_teams_callback_is_404_and_unchanged(self, client, outsider, capacity, now, email_only):
        callback = services.callback_book(team=capacity.team, slot_start=at(10, 15), phone="0701234567")
        client.force_login(outsider)
        assert client.post(f"/callbacks/{callback.pk}/attempt", {"outcome": "reached"}).status_code == 404
        assert Promise.objects.get().state == PromiseState.PENDING

    def test_query_count_is_the_same_for_5_and_50_callbacks(self, client_agent, capacity, now, email_only):
        capacity.per_slot = 50
        capacity.save()

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert client_agent.get("/callbacks/").status_code == 200
            return len(queries)

        for i in range(5):
            services.callback_book(team=capacity.team, slot_start=at(11, 0), phone=f"07010000{i:02d}")
        few = count()
        for i in range(5, 50):
            services.callback_book(team=capacity.team, slot_start=at(11, 0), phone=f"07010000{i:02d}")
        assert count() == few

    def test_log_a_call_from_the_queue_and_back_to_the_case(self, client_agent, case, now):
        response = client_agent.post(
            "/callbacks/calls",
            {"direction": "out", "number": "0701234567", "outcome": "answered", "duration_minutes": "2.5",
             "notes": "Called", "case": case.reference, "next": f"/cases/{case.reference}/"},
        )  # fmt: skip
        assert response["Location"] == f"/cases/{case.reference}/"
        call = Call.objects.get()
        assert (call.case, call.duration_seconds, call.notes) == (case, 150, "Called")

    def test_a_call_on_a_case_the_agent_cannot_see_changes_nothing(self, client, outsider, case, now):
        client.force_login(outsider)
        client.post("/callbacks/calls", {"direction": "out", "number": "0701234567", "outcome": "answered",
                                         "case": case.reference, "next": "https://evil.example/"})  # fmt: skip
        assert Call.objects.count() == 0

    def test_agent_books_on_a_case(self, client_agent, capacity, case, now, email_only):
        response = client_agent.post(
            "/callbacks/book",
            {
                "team": capacity.team.pk,
                "phone": "0701234567",
                "slot": "2026-11-23T11:00:00+01:00",
                "case": case.reference,
            },
        )
        assert response.status_code == 302
        callback = Callback.objects.get()
        assert (callback.case, callback.source) == (case, "agent")

    def test_kept_json(self, client_agent, capacity, now):
        assert client_agent.get("/callbacks/kept.json").json() == {"days": 30, "teams": []}


def test_the_case_panel_shows_calls_callbacks_and_a_form(case, agent, capacity, now, email_only, rf):
    services.call_log(case=case, agent=agent, direction="in", number="0701234567", outcome="answered", notes="Hej")
    services.callback_book(team=capacity.team, slot_start=at(11, 0), phone="0701234567", case=case)
    request = rf.get(f"/cases/{case.reference}/")
    request.user = agent
    [panel] = [p for p in panels_render("case", request, case) if p.name == "calls"]
    html = str(panel.html)
    assert "Hej" in html
    assert 'href="tel:+46701234567"' in html
    assert f'value="{case.reference}"' in html


def test_a_callbacks_promise_is_about_the_callback(case, capacity, now, email_only):
    callback = services.callback_book(team=capacity.team, slot_start=at(11, 0), phone="0701234567", case=case)
    promise = callback.promise
    promise.refresh_from_db()
    assert (promise.subject_type, promise.subject_id, promise.case_id) == ("callback", callback.pk, case.pk)


def test_the_case_panels_call_form_sends_what_the_call_form_takes(case, agent, capacity, now, email_only, rf):
    # the panel writes the form out by hand (it is on every case page): its fields are CallForm's, and what it
    # sends as it stands, with an outcome chosen, is a valid call
    import re

    from lofte.callbacks.forms import CallForm

    request = rf.get(f"/cases/{case.reference}/")
    request.user = agent
    [panel] = [p for p in panels_render("case", request, case) if p.name == "calls"]
    form_html = str(panel.html).split("<form", 1)[1]
    names = set(re.findall(r'name="([a-z_]+)"', form_html)) - {"csrfmiddlewaretoken"}
    assert names == set(CallForm.base_fields) - {"acknowledge"}
    values = dict(re.findall(r'<input type="(?:hidden|text)" name="([a-z_]+)"[^>]*value="([^"]*)"', form_html))
    selected = dict(re.findall(r'<select name="([a-z_]+)".*?<option value="([^"]*)" selected', form_html))
    form = CallForm({**values, **selected, "outcome": "answered"})
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["case"], form.cleaned_data["number"], form.cleaned_data["direction"]) == (
        case.reference,
        "+46701234567",
        "out",
    )
