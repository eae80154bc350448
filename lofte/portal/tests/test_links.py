"""Magic links: asking for one never tells whether an address is known; a link is stored hashed, works once,
not after it expires, and is not used by merely opening it; floods get a 429 that says when to try again."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from lofte.cases.services import case_create
from lofte.core import clock
from lofte.core.models import RateLimitCounter
from lofte.customers.models import CustomerIdentity
from lofte.outbox.models import OutboxMessage
from lofte.portal.models import PortalToken
from lofte.portal.services import portal_token_create, portal_tokens_prune
from lofte.portal.tests.conftest import csrf_token

pytestmark = pytest.mark.django_db

REQUEST = "/portal/"


def secret_from(text: str) -> str:
    match = re.search(r"/portal/login/([A-Za-z0-9_-]+)/", text)
    assert match, text
    return match.group(1)


class TestAskingForALink:
    def test_the_form_asks_for_an_email_address_or_phone_number(self, client):
        response = client.get(REQUEST)
        html = response.content.decode()
        assert response.status_code == 200
        assert "Your email address or phone number" in html
        assert 'name="csrfmiddlewaretoken"' in html

    def test_a_known_email_address_gets_a_link_by_email_stored_only_as_a_hash(self, ask, customer, settings):
        settings.LOFTE_BASE_URL = "https://help.example.se"
        response = ask("  Karin@Example.SE ")
        assert response.status_code == 200
        assert "If we know this address, we have sent a link to it." in response.content.decode()
        row = OutboxMessage.objects.get()
        # Auto-Submitted in what is sent, but not counted against the address's acknowledgements
        assert (row.channel, row.to, row.automatic, row.payload["automatic"]) == (
            "email",
            "karin@example.se",
            False,
            True,
        )
        assert set(row.payload) == {"subject", "text", "html", "automatic"}
        assert row.payload["subject"] == "Your link to your cases"
        assert "https://help.example.se/portal/login/" in row.payload["text"]
        assert "https://help.example.se/portal/login/" in row.payload["html"]
        secret = secret_from(row.payload["text"])
        token = PortalToken.objects.get()
        assert (token.customer, token.identity.value) == (customer, "karin@example.se")
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in {token.token_hash, token.channel, str(token.ip)}
        assert token.ip == "127.0.0.1" and token.channel == "email" and token.used_at is None
        assert token.expires_at - token.created_at == timedelta(minutes=30)

    def test_known_and_unknown_addresses_get_the_same_answer_and_the_same_counters(self, ask, customer):
        known = ask("karin@example.se")
        unknown = ask("nobody@example.com")
        assert known.status_code == unknown.status_code == 200
        assert known.content == unknown.content
        assert sorted(known.headers) == sorted(unknown.headers)
        assert OutboxMessage.objects.count() == 1 and PortalToken.objects.count() == 1  # only the known one
        # one IP counter hit twice; per address one counter for this client and one in all, each hit once
        counts = sorted(RateLimitCounter.objects.values_list("count", flat=True))
        assert counts == [1, 1, 1, 1, 2]

    def test_the_request_does_the_same_work_for_a_known_and_an_unknown_address(
        self, client, customer, django_capture_on_commit_callbacks
    ):
        """The timing leak: the known path used to be ~6 ms slower (lookup, token, outbox). Now the request runs
        the same statements for any address, and queues the same task; only the worker looks the address up."""

        def statements(address: str) -> tuple[list[str], list[str]]:
            with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks() as callbacks:
                client.post(REQUEST, {"address": address})
            shape = [re.sub(r'"s\d+_x\d+"|\'[^\']*\'|\b\d+\b', "?", q["sql"]) for q in ctx.captured_queries]
            return shape, [c.__qualname__ for c in callbacks]

        statements("warm@example.org")  # the client's IP counter exists from here on, as for any later request
        assert statements("karin@example.se") == statements("nobody@example.com")
        assert OutboxMessage.objects.count() == 0 and PortalToken.objects.count() == 0  # not before the worker

    def test_a_known_phone_number_gets_an_sms_when_there_is_an_sms_transport(self, ask, customer, settings):
        settings.LOFTE_TRANSPORTS = {**settings.LOFTE_TRANSPORTS, "sms": "lofte.outbox.transports.Transport"}
        ask("070-123 45 67")
        row = OutboxMessage.objects.get()
        assert (row.channel, row.to) == ("sms", "+46701234567")
        assert set(row.payload) == {"text", "automatic"}
        assert "/portal/login/" in row.payload["text"]
        assert PortalToken.objects.get().channel == "sms"

    def test_without_sms_the_link_for_a_phone_number_goes_to_the_customers_proven_email(self, ask, customer, settings):
        settings.LOFTE_TRANSPORTS = {k: v for k, v in settings.LOFTE_TRANSPORTS.items() if k != "sms"}
        ask("+46 70 123 45 67")
        row = OutboxMessage.objects.get()
        assert (row.channel, row.to) == ("email", "karin@example.se")
        assert PortalToken.objects.get().identity.value == "karin@example.se"  # the link proves the email

    def test_without_sms_a_claimed_email_gets_no_link_for_the_phone_number(self, ask, customer, settings):
        settings.LOFTE_TRANSPORTS = {k: v for k, v in settings.LOFTE_TRANSPORTS.items() if k != "sms"}
        CustomerIdentity.objects.filter(kind="email").update(proven_at=None, proof="")
        ask("+46 70 123 45 67")
        assert OutboxMessage.objects.count() == 0 and PortalToken.objects.count() == 0

    def test_a_phone_only_customer_without_sms_gets_nothing_and_the_same_answer(self, ask, customer, settings):
        from lofte.customers.services import customer_create

        settings.LOFTE_TRANSPORTS = {k: v for k, v in settings.LOFTE_TRANSPORTS.items() if k != "sms"}
        customer_create(name="Phone Only", phone="+46 70 999 88 77", language="en")
        known = ask("+46709998877")
        unknown = ask("+46701112233")
        assert known.content == unknown.content
        assert OutboxMessage.objects.count() == 0 and PortalToken.objects.count() == 0

    def test_the_message_is_in_the_customers_language(self, ask, customer):
        customer.language = "sv"
        customer.save(update_fields=["language"])
        ask("karin@example.se", HTTP_ACCEPT_LANGUAGE="en")
        with translation.override("sv"):
            expected = translation.gettext("Your link to your cases")
        assert OutboxMessage.objects.get().payload["subject"] == expected

    def test_something_that_is_no_address_is_said_so_and_kept(self, client):
        response = client.post(REQUEST, {"address": "not an address"})
        html = response.content.decode()
        assert response.status_code == 422
        assert "Enter your email address or your phone number." in html
        assert 'value="not an address"' in html
        assert RateLimitCounter.objects.count() == 0

    def test_asking_for_links_does_not_use_up_the_addresses_acknowledgements(self, ask, customer, settings):
        """Links are limited by the portal's own counters; counted as automatic mail they would let a stranger
        block the customer's acknowledgements and notices for an hour."""
        from lofte.outbox.services import outbox_automatic_allowed

        settings.LOFTE_AUTOMATIC_PER_ADDRESS_PER_HOUR = 2
        for _ in range(3):
            ask("karin@example.se")
        assert OutboxMessage.objects.count() == 3
        assert outbox_automatic_allowed(to="karin@example.se")
        assert {row.payload["automatic"] for row in OutboxMessage.objects.all()} == {True}  # Auto-Submitted

    def test_using_the_link_proves_the_address_it_was_sent_to(self, ask, customer, client):
        CustomerIdentity.objects.filter(kind="email").update(proven_at=None, proof="")
        ask("karin@example.se")
        secret = secret_from(OutboxMessage.objects.get().payload["text"])
        assert client.post(reverse("portal:login", kwargs={"secret": secret})).status_code == 302
        identity = CustomerIdentity.objects.get(kind="email")
        assert (identity.proof, identity.proven_at is not None) == ("link", True)


class TestTheTakeover:
    """The attack of L06: name, email=attacker, phone=<the victim's number> on /contact, then a portal link to
    the attacker's address. The attacker must see nothing of the victim's."""

    def test_a_link_to_the_attackers_address_shows_none_of_the_victims_cases(
        self, ask, client, customer, other_case, settings
    ):
        from lofte.webform.services import ContactSubmission, contact_submit

        settings.LOFTE_TRANSPORTS = {k: v for k, v in settings.LOFTE_TRANSPORTS.items() if k != "sms"}
        # Karin (the victim) has a case; the attacker files one with his address and her number
        victims = case_create(customer=customer, subject="Min skuld", body="Hemligt", channel="email")
        contact_submit(
            submission=ContactSubmission(
                name="Mallory",
                email="mallory@example.net",
                phone="0701234567",
                subject="Hej",
                message="Hej",
                language="en",
            )
        )
        assert not CustomerIdentity.objects.filter(value="mallory@example.net").exists()
        ask("mallory@example.net")
        assert PortalToken.objects.count() == 0  # nobody's address: no link at all
        assert OutboxMessage.objects.filter(to="mallory@example.net").count() == 0
        page = client.get(reverse("portal:cases"))
        assert page.status_code == 302  # not logged in
        assert victims.reference not in page.content.decode()


class TestFloods:
    def test_one_client_asking_for_one_address_too_often_gets_the_same_answer_and_no_more_links(
        self, ask, customer, settings
    ):
        settings.LOFTE_PORTAL_LINKS_PER_ADDRESS_PER_HOUR = 2
        answers = [ask("karin@example.se") for _ in range(2)]
        third = ask("KARIN@example.se")
        assert {a.status_code for a in [*answers, third]} == {200}
        assert third.content == answers[0].content
        assert OutboxMessage.objects.count() == 2

    def test_a_stranger_cannot_lock_the_customer_out(self, ask, customer, settings):
        """Five requests from a stranger used to lock the address out for an hour. The stranger's requests use
        up the stranger's share only: the customer, from their own network, still gets a link."""
        settings.LOFTE_PORTAL_LINKS_PER_ADDRESS_PER_HOUR = 5
        for _ in range(8):
            assert ask("karin@example.se", REMOTE_ADDR="203.0.113.66").status_code == 200
        assert OutboxMessage.objects.count() == 5
        ask("karin@example.se", REMOTE_ADDR="198.51.100.7")
        assert OutboxMessage.objects.count() == 6

    def test_a_flood_from_many_networks_stops_at_the_total(self, ask, customer, settings):
        settings.LOFTE_PORTAL_LINKS_PER_ADDRESS_TOTAL_PER_HOUR = 3
        for i in range(6):
            assert ask("karin@example.se", REMOTE_ADDR=f"203.0.113.{i + 1}").status_code == 200
        assert OutboxMessage.objects.count() == 3

    def test_unknown_addresses_are_counted_the_same_way(self, ask, settings):
        settings.LOFTE_PORTAL_LINKS_PER_ADDRESS_PER_HOUR = 1
        assert ask("nobody@example.com").status_code == 200
        assert ask("nobody@example.com").status_code == 200
        assert RateLimitCounter.objects.filter(count=2).count() == 3  # IP, address-and-client, address

    def test_one_ip_address_over_its_limit_gets_429(self, client, settings):
        settings.LOFTE_PORTAL_REQUESTS_PER_IP_PER_HOUR = 3
        codes = [client.post(REQUEST, {"address": f"person{i}@example.com"}).status_code for i in range(4)]
        assert codes == [200, 200, 200, 429]
        other_ip = client.post(REQUEST, {"address": "person9@example.com"}, REMOTE_ADDR="203.0.113.7")
        assert other_ip.status_code == 200
        limited = client.post(REQUEST, {"address": "person5@example.com"})
        assert 0 < int(limited["Retry-After"]) <= 3600
        assert "Too many requests" in limited.content.decode()

    def test_using_links_is_limited_per_ip_address_too(self, client, customer, settings):
        settings.LOFTE_PORTAL_REQUESTS_PER_IP_PER_HOUR = 2
        for _ in range(2):
            assert client.post(reverse("portal:login", kwargs={"secret": "guess"})).status_code == 410
        response = client.post(reverse("portal:login", kwargs={"secret": "guess"}))
        assert response.status_code == 429 and "Retry-After" in response


class TestUsingALink:
    def test_opening_the_link_shows_continue_and_uses_nothing(self, client, customer):
        token, secret = portal_token_create(customer=customer)
        response = client.get(reverse("portal:login", kwargs={"secret": secret}))
        html = response.content.decode()
        assert response.status_code == 200
        assert "Continue" in html and 'method="post"' in html
        assert response["Referrer-Policy"] == "same-origin"
        token.refresh_from_db()
        assert token.used_at is None
        # opened again (a mail system's link scanner, then the customer): still usable
        assert client.get(reverse("portal:login", kwargs={"secret": secret})).status_code == 200

    def test_continue_logs_in_with_a_new_session_key(self, client, customer):
        token, secret = portal_token_create(customer=customer)
        session = client.session
        session["something"] = "before"
        session.save()
        before = session.session_key
        response = client.post(reverse("portal:login", kwargs={"secret": secret}))
        assert response.status_code == 302 and response["Location"] == "/portal/cases/"
        after = client.cookies["sessionid"].value
        assert after != before
        assert client.session["portal_customer_id"] == customer.pk
        token.refresh_from_db()
        assert token.used_at is not None and token.used_ip == "127.0.0.1"
        assert client.get("/portal/cases/").status_code == 200
        # not a Django login: customers are not agents
        assert "_auth_user_id" not in client.session

    def test_a_used_link_does_not_work_again(self, client, customer):
        _token, secret = portal_token_create(customer=customer)
        url = reverse("portal:login", kwargs={"secret": secret})
        assert client.post(url).status_code == 302
        other = Client()
        again = other.post(url)
        assert again.status_code == 410
        assert "This link has expired or was already used; ask for a new one." in again.content.decode()
        assert other.get(url).status_code == 410
        assert "portal_customer_id" not in other.session

    def test_an_expired_link_does_not_work(self, client, customer):
        _token, secret = portal_token_create(customer=customer, now=clock.now() - timedelta(minutes=31))
        url = reverse("portal:login", kwargs={"secret": secret})
        assert client.get(url).status_code == 410
        response = client.post(url)
        assert response.status_code == 410
        assert PortalToken.objects.get().used_at is None
        assert "portal_customer_id" not in client.session

    def test_unknown_used_and_expired_links_look_the_same(self, client, customer):
        _t, used = portal_token_create(customer=customer)
        client.post(reverse("portal:login", kwargs={"secret": used}))
        _t, expired = portal_token_create(customer=customer, now=clock.now() - timedelta(hours=1))
        answers = [
            Client().post(reverse("portal:login", kwargs={"secret": secret})) for secret in (used, expired, "x" * 43)
        ]
        assert {a.status_code for a in answers} == {410}
        assert answers[0].content == answers[1].content == answers[2].content
        assert f'href="{REQUEST}"' in answers[0].content.decode()

    def test_the_login_page_has_its_own_csrf_protected_form(self, customer):
        client = Client(enforce_csrf_checks=True)
        _token, secret = portal_token_create(customer=customer)
        url = reverse("portal:login", kwargs={"secret": secret})
        page = client.get(url)
        assert client.post(url).status_code == 403
        assert PortalToken.objects.get().used_at is None
        assert client.post(url, {"csrfmiddlewaretoken": csrf_token(page)}).status_code == 302

    def test_logout_ends_the_portal_session(self, portal):
        page = portal.get("/portal/cases/")
        response = portal.post(reverse("portal:logout"), {"csrfmiddlewaretoken": csrf_token(page)})
        assert response.status_code == 302 and response["Location"] == REQUEST
        assert portal.get("/portal/cases/").status_code == 302
        assert "You have logged out." in portal.get(REQUEST).content.decode()

    def test_a_portal_session_ends_after_its_hours(self, portal, settings):
        session = portal.session
        session["portal_since"] = (clock.now() - timedelta(hours=13)).isoformat()
        session.save()
        response = portal.get("/portal/cases/")
        assert response.status_code == 302 and response["Location"] == REQUEST

    def test_a_logged_in_customer_asking_for_the_form_goes_to_their_cases(self, portal):
        response = portal.get(REQUEST)
        assert response.status_code == 302 and response["Location"] == "/portal/cases/"


def test_expired_links_are_pruned_after_a_day(customer):
    portal_token_create(customer=customer, now=clock.now() - timedelta(days=2))
    portal_token_create(customer=customer)
    assert portal_tokens_prune() == 1
    assert PortalToken.objects.count() == 1
