"""Subscribers: double opt-in, one message per public update per confirmed subscriber of its components, one-click
unsubscribe in every message; bad addresses, second sign-ups and forged links get clear answers and nothing twice."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from lofte.core import clock
from lofte.incidents import services, subscribers
from lofte.incidents.models import Subscriber
from lofte.incidents.tests.conftest import T0
from lofte.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db


def sign_up(client, address: str, kind: str = "email", headers=None, **extra):  # type: ignore[no-untyped-def]
    return client.post("/status/subscribe", {"kind": kind, "address": address, **extra}, headers=headers or {})


def link_in(row: OutboxMessage) -> str:
    match = re.search(r"https?://\S+/status/(?:confirm|unsubscribe)/\S+", row.payload["text"])
    assert match, row.payload["text"]
    return match.group(0).split("/status/", 1)[1]


def confirmed(client, address: str, **extra) -> Subscriber:  # type: ignore[no-untyped-def]
    with clock.at(T0 - timedelta(hours=1)):
        assert sign_up(client, address, **extra).status_code == 200
        row = OutboxMessage.objects.filter(to=address).latest("id")
        assert client.post("/status/" + link_in(row)).status_code == 200
    return Subscriber.objects.get(address=address)


def test_sign_up_sends_one_link_and_nothing_else_until_confirmed(client, bank):
    response = sign_up(client, "Ella@Example.com", headers={"accept-language": "sv"})

    assert response.status_code == 200
    assert "Vi har skickat en länk" in response.content.decode()
    (row,) = OutboxMessage.objects.all()
    assert (row.channel, row.to) == ("email", "ella@example.com")
    subscriber = Subscriber.objects.get()
    assert (subscriber.language, subscriber.confirmed_at) == ("sv", None)
    # opening the link records nothing (a mail scanner); the button does
    path = "/status/" + link_in(row)
    assert client.get(path).status_code == 200
    assert Subscriber.objects.get().confirmed_at is None
    assert client.post(path).status_code == 200
    assert Subscriber.objects.get().confirmed_at is not None


def test_a_second_sign_up_sends_nothing_twice(client, bank):
    sign_up(client, "ella@example.com")
    again = sign_up(client, "ella@example.com")
    assert "We sent you a link a moment ago; nothing more was sent." in again.content.decode()
    assert OutboxMessage.objects.count() == 1
    client.post("/status/" + link_in(OutboxMessage.objects.get()))
    already = sign_up(client, "ella@example.com")
    assert "This address already gets the updates; nothing was sent." in already.content.decode()
    assert OutboxMessage.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "address", "error"),
    [
        ("email", "not-an-address", "is not a valid email address"),
        ("sms", "12", "is not a valid phone number"),
        ("sms", "hello", "is not a phone number"),
        ("email", "", "Enter your email address or your mobile number."),
        ("pigeon", "ella@example.com", "Select a valid choice"),
    ],
)
def test_a_bad_address_is_named_and_nothing_sent(client, bank, kind, address, error):
    response = sign_up(client, address, kind=kind)

    assert response.status_code == 422
    assert error in response.content.decode()
    assert not Subscriber.objects.exists() and not OutboxMessage.objects.exists()


def test_sign_ups_are_rate_limited(client, bank, settings):
    settings.LOFTE_STATUS_SIGNUPS_PER_IP = 2
    codes = [sign_up(client, f"p{i}@example.com").status_code for i in range(3)]
    assert codes == [200, 200, 429]
    assert OutboxMessage.objects.count() == 2


def test_each_public_update_reaches_each_confirmed_subscriber_of_its_components_once(client, bank, lead):
    everyone = confirmed(client, "all@example.com")
    login_only = confirmed(client, "login@example.com", components=[bank["login"].pk])
    app_only = confirmed(client, "app@example.com", components=[bank["app"].pk])
    by_sms = confirmed(client, "+46701234567", kind="sms")
    with clock.at(T0 - timedelta(hours=1)):
        sign_up(client, "unconfirmed@example.com")
    gone = confirmed(client, "gone@example.com")
    client.post("/status/unsubscribe/" + subscribers.token(gone))
    before = OutboxMessage.objects.count()

    with clock.at(T0):
        incident = services.incident_open(
            actor=lead,
            title="Log-in broken",
            components={bank["login"].pk: "major_outage"},
            first_update="Looking into it.",
        )
        services.incident_update_post(actor=lead, incident=incident, body="internal", public=False)

    rows = list(OutboxMessage.objects.order_by("id")[before:])
    assert sorted(r.to for r in rows) == sorted([everyone.address, login_only.address, by_sms.address])
    assert app_only.address not in [r.to for r in rows]
    mail = next(r for r in rows if r.to == "all@example.com")
    assert mail.payload["subject"] == "[Investigating] Log-in broken"
    assert "Looking into it." in mail.payload["text"]
    stop = subscribers.unsubscribe_url(everyone)
    assert stop in mail.payload["text"] and mail.payload["headers"]["List-Unsubscribe"] == f"<{stop}>"
    assert mail.payload["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    sms = next(r for r in rows if r.to == by_sms.address)
    assert (
        "Log-in broken: Looking into it." in sms.payload["text"]
        and subscribers.unsubscribe_url(by_sms) in sms.payload["text"]
    )


def test_one_click_unsubscribe_by_the_mail_program_without_a_form(client, bank):
    subscriber = confirmed(client, "ella@example.com")
    csrf_client = type(client)(enforce_csrf_checks=True)

    response = csrf_client.post(
        "/status/unsubscribe/" + subscribers.token(subscriber), {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    assert Subscriber.objects.get().unsubscribed_at is not None


def test_forged_and_voided_links_are_refused(client, bank):
    subscriber = confirmed(client, "ella@example.com")
    old = subscribers.token(subscriber)
    assert client.get("/status/confirm/forged:token").status_code == 404
    other_id = old.replace(f"{subscriber.pk}:", f"{subscriber.pk + 1}:", 1)
    assert client.post("/status/unsubscribe/" + other_id).status_code == 404
    # unsubscribed, then signed up again: the old links are void
    client.post("/status/unsubscribe/" + old)
    with clock.at(T0 + timedelta(hours=1)):
        sign_up(client, "ella@example.com")
    assert client.post("/status/unsubscribe/" + old).status_code == 404
    assert Subscriber.objects.get().unsubscribed_at is None


def test_a_confirmation_link_expires(client, bank):
    with clock.at(T0):
        sign_up(client, "ella@example.com")
    path = "/status/" + link_in(OutboxMessage.objects.get())
    with clock.at(T0 + timedelta(days=8)):
        response = client.post(path)
    assert response.status_code == 410 and "This link has expired" in response.content.decode()
    assert Subscriber.objects.get().confirmed_at is None


def test_the_language_chosen_on_the_status_page_is_the_subscribers(client, bank):
    page = client.get("/status/?lang=sv", headers={"accept-language": "en"}).content.decode()
    action = re.search(r'action="(/status/subscribe[^"]*)"', page).group(1)

    client.post(action, {"kind": "email", "address": "sven@example.se"}, headers={"accept-language": "en"})

    assert Subscriber.objects.get().language == "sv"
