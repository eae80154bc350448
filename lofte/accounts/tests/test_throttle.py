"""Login throttling on the login page, the admin's login and API tokens: the exact attempt at which each limit
starts and ends, that a throttled right password does not get in, that other clients and known devices are
not held, and that the answer does not tell whether the account exists. Defaults: 5 failures per account and
client within 15 minutes, then 15 minutes; 20 per client; 20 per account within an hour, then a minute each."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.test import Client

from lofte.accounts import throttle
from lofte.accounts.models import Agent
from lofte.accounts.services import api_token_create
from lofte.accounts.tests.factories import AgentFactory
from lofte.core import clock
from lofte.core.models import FailureCounter

pytestmark = pytest.mark.django_db

URL = "/login/"
RIGHT = "correct horse battery staple"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ATTACKER = "203.0.113.66"
WRONG_PASSWORD = "Please enter a correct email address and password."


@pytest.fixture(autouse=True)
def _fast_hashes(settings):
    """A fast hasher, set before any agent is made: these tests try many passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def karin(db):
    return AgentFactory(email="karin@example.com", password=RIGHT)


def login(client: Client, email: str, password: str, *, ip: str = ATTACKER, at: datetime, **extra):
    with clock.at(at):
        return client.post(URL, {"username": email, "password": password}, REMOTE_ADDR=ip, **extra)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def forget_session(browser: Client) -> None:
    """Log the browser out but keep its other cookies (Client.logout() would drop the device cookie too)."""
    del browser.cookies[settings.SESSION_COOKIE_NAME]


def text(response) -> str:
    return response.content.decode()


def fail(client: Client, email: str, times: int, *, ip: str = ATTACKER, start: datetime = T0) -> list[int]:
    return [
        login(client, email, f"guess-{n}", ip=ip, at=start + timedelta(seconds=n)).status_code for n in range(times)
    ]


class TestAccountAndClient:
    def test_the_fifth_failure_locks_that_client_out_of_that_account_for_15_minutes(self, client, karin):
        assert fail(client, "karin@example.com", 3) == [200, 200, 200]
        assert WRONG_PASSWORD in text(login(client, "karin@example.com", "guess-3", at=T0 + timedelta(seconds=4)))

        fifth = T0 + timedelta(seconds=5)
        response = login(client, "karin@example.com", "guess-5", at=fifth)
        assert response.status_code == 429  # the failure that reached the limit says so at once
        assert response["Retry-After"] == "900"
        assert "Too many requests: please try again in 15 minutes." in text(response)
        assert WRONG_PASSWORD not in text(response)
        assert 'value="karin@example.com"' in text(response)  # what was typed is kept

        # The right password during the lock does not get in, and is not even checked.
        response = login(client, "karin@example.com", RIGHT, at=fifth + timedelta(minutes=10))
        assert (response.status_code, response["Retry-After"]) == (429, "300")
        assert "Too many requests: please try again in 5 minutes." in text(response)
        response = login(client, "karin@example.com", RIGHT, at=fifth + timedelta(minutes=15, seconds=-1))
        assert (response.status_code, response["Retry-After"]) == (429, "1")
        assert "please try again in 1 minute." in text(response)
        assert not logged_in(client)
        karin.refresh_from_db()
        assert karin.last_login is None

        # The lock ends exactly 15 minutes after the failure that started it.
        response = login(client, "karin@example.com", RIGHT, at=fifth + timedelta(minutes=15))
        assert response.status_code == 302 and logged_in(client)

    def test_after_the_lock_the_count_starts_afresh(self, client, karin):
        fail(client, "karin@example.com", 5)
        after = T0 + timedelta(seconds=4, minutes=15)
        assert fail(client, "karin@example.com", 5, start=after) == [200, 200, 200, 200, 429]

    def test_failures_spread_over_more_than_the_window_do_not_lock(self, client, karin):
        statuses = [
            login(client, "karin@example.com", "guess", at=T0 + timedelta(minutes=4 * n)).status_code for n in range(8)
        ]
        assert statuses == [200] * 8  # never 5 within 15 minutes of the window's first failure

    def test_another_client_logs_in_to_the_same_account_during_the_attackers_lock(self, client, karin):
        fail(client, "karin@example.com", 5)
        assert login(client, "karin@example.com", RIGHT, at=T0 + timedelta(minutes=1)).status_code == 429

        karins_browser = Client()
        response = login(karins_browser, "karin@example.com", RIGHT, ip="198.51.100.7", at=T0 + timedelta(minutes=1))
        assert response.status_code == 302 and logged_in(karins_browser)

    def test_the_same_client_may_still_log_in_to_another_account(self, client, karin):
        AgentFactory(email="olle@example.com", password=RIGHT)
        fail(client, "karin@example.com", 5)
        assert login(client, "olle@example.com", RIGHT, at=T0 + timedelta(minutes=1)).status_code == 302

    def test_a_success_clears_that_clients_count_for_the_account(self, client, karin):
        assert fail(client, "karin@example.com", 4) == [200] * 4
        assert login(client, "karin@example.com", RIGHT, at=T0 + timedelta(seconds=10)).status_code == 302
        client.logout()  # also drops the device cookie: the same address, as an unknown browser
        after = T0 + timedelta(seconds=20)
        assert fail(client, "karin@example.com", 5, start=after) == [200, 200, 200, 200, 429]

    def test_case_and_spaces_do_not_make_another_account(self, client, karin):
        for n, email in enumerate(
            ["karin@example.com", "KARIN@example.com", " Karin@Example.COM", "karin@EXAMPLE.com"]
        ):
            assert login(client, email, "guess", at=T0 + timedelta(seconds=n)).status_code == 200
        assert login(client, "kArIn@example.com", "guess", at=T0 + timedelta(seconds=9)).status_code == 429

    def test_ipv6_addresses_count_per_64(self, client, karin):
        for n in range(4):
            assert login(client, "karin@example.com", "guess", ip=f"2001:db8:5:6::{n + 1}", at=T0).status_code == 200
        assert login(client, "karin@example.com", "guess", ip="2001:db8:5:6:ffff::9", at=T0).status_code == 429
        assert login(client, "karin@example.com", RIGHT, ip="2001:db8:5:7::1", at=T0).status_code == 302


class TestClientAcrossAccounts:
    def test_password_spraying_from_one_client_is_stopped_at_the_20th_failure(self, client, karin):
        statuses = [
            login(client, f"user{n}@example.com", "Summer2026!", at=T0 + timedelta(seconds=n)).status_code
            for n in range(20)
        ]
        assert statuses == [200] * 19 + [429]
        later = T0 + timedelta(minutes=5)
        response = login(client, "karin@example.com", RIGHT, at=later)  # any account, the right password
        assert (response.status_code, response["Retry-After"]) == (429, str(15 * 60 - 5 * 60 + 19))
        assert not logged_in(client)
        assert login(Client(), "karin@example.com", RIGHT, ip="198.51.100.7", at=later).status_code == 302
        assert login(client, "karin@example.com", RIGHT, at=T0 + timedelta(seconds=19, minutes=15)).status_code == 302


class TestAccountAcrossClients:
    def test_many_clients_guessing_one_account_slow_it_down_to_one_attempt_a_minute(self, client, karin):
        statuses = [
            login(Client(), "karin@example.com", "guess", ip=f"192.0.2.{n}", at=T0 + timedelta(seconds=n)).status_code
            for n in range(20)
        ]
        assert statuses == [200] * 19 + [429]
        twentieth = T0 + timedelta(seconds=19)

        # Every client waits a minute, whatever the password.
        response = login(client, "karin@example.com", RIGHT, ip="198.51.100.7", at=twentieth + timedelta(seconds=30))
        assert (response.status_code, response["Retry-After"]) == (429, "30")
        assert "please try again in 1 minute." in text(response)

        # A minute later one attempt goes through; a failure makes the next wait a minute again.
        response = login(Client(), "karin@example.com", "guess", ip="192.0.2.99", at=twentieth + timedelta(minutes=1))
        assert (response.status_code, response["Retry-After"]) == (429, "60")
        later = twentieth + timedelta(minutes=2)
        assert login(client, "karin@example.com", RIGHT, ip="198.51.100.7", at=later).status_code == 302

    def test_the_slow_down_ends_with_the_hour(self, client, karin):
        for n in range(20):
            login(Client(), "karin@example.com", "guess", ip=f"192.0.2.{n}", at=T0 + timedelta(seconds=n))
        statuses = [
            login(
                Client(), "karin@example.com", "guess", ip=f"192.0.2.{100 + n}", at=T0 + timedelta(hours=1, seconds=n)
            ).status_code
            for n in range(19)
        ]
        assert statuses == [200] * 19  # a new window: 19 more before the slow-down starts again

    def test_a_browser_that_logged_in_before_is_not_held_by_others_failures(self, karin):
        karins_browser = Client()
        assert login(karins_browser, "karin@example.com", RIGHT, ip="198.51.100.7", at=T0).status_code == 302
        assert throttle.DEVICE_COOKIE in karins_browser.cookies
        forget_session(karins_browser)

        # Attackers: the account is slowed down and the shared address is locked out.
        for n in range(20):
            login(Client(), "karin@example.com", "guess", ip=f"192.0.2.{n}", at=T0 + timedelta(seconds=n))
        fail(Client(), "karin@example.com", 5, ip="198.51.100.7")
        fail(Client(), "someone@example.com", 20, ip="198.51.100.7")
        assert (
            login(Client(), "karin@example.com", RIGHT, ip="198.51.100.7", at=T0 + timedelta(minutes=1)).status_code
            == 429
        )

        # Karin's browser, from that same address, still gets in.
        response = login(karins_browser, "karin@example.com", RIGHT, ip="198.51.100.7", at=T0 + timedelta(minutes=1))
        assert response.status_code == 302 and logged_in(karins_browser)

    def test_a_known_browser_is_held_by_its_own_failures(self, karin):
        browser = Client()
        login(browser, "karin@example.com", RIGHT, at=T0)
        forget_session(browser)
        assert fail(browser, "karin@example.com", 5, start=T0 + timedelta(minutes=1)) == [200, 200, 200, 200, 429]
        assert login(browser, "karin@example.com", RIGHT, at=T0 + timedelta(minutes=2)).status_code == 429
        assert login(browser, "karin@example.com", RIGHT, at=T0 + timedelta(minutes=16, seconds=5)).status_code == 302

    def test_a_device_cookie_only_counts_for_its_own_account_and_cannot_be_forged(self, karin):
        AgentFactory(email="attacker@example.com", password="attackers own password")
        browser = Client()
        login(browser, "attacker@example.com", "attackers own password", at=T0)
        forget_session(browser)
        for n in range(20):  # karin's account is slowed down
            login(Client(), "karin@example.com", "guess", ip=f"192.0.2.{n}", at=T0 + timedelta(seconds=n))
        assert login(browser, "karin@example.com", RIGHT, at=T0 + timedelta(seconds=30)).status_code == 429
        forged = Client()
        forged.cookies[throttle.DEVICE_COOKIE] = browser.cookies[throttle.DEVICE_COOKIE].value + "x"
        assert login(forged, "karin@example.com", RIGHT, at=T0 + timedelta(seconds=31)).status_code == 429


class TestNoEnumeration:
    @staticmethod
    def page(response) -> str:
        html = re.sub(r"[A-Za-z0-9]{64}", "<csrf token>", text(response))
        return re.sub(r'id="id_username" value="[^"]*"', "", html)

    def test_the_answers_are_the_same_for_an_account_that_exists_and_one_that_does_not(self, client, karin):
        existing = [login(client, "karin@example.com", "guess", at=T0).status_code for _ in range(5)]
        missing = [login(client, "nobody@example.com", "guess", ip="192.0.2.1", at=T0).status_code for _ in range(5)]
        assert existing == missing == [200, 200, 200, 200, 429]

        later = T0 + timedelta(minutes=3)
        right = login(client, "karin@example.com", RIGHT, at=later)
        wrong = login(client, "karin@example.com", "guess", at=later)
        nobody = login(client, "nobody@example.com", "guess", ip="192.0.2.1", at=later)
        assert {r.status_code for r in (right, wrong, nobody)} == {429}
        assert right["Retry-After"] == wrong["Retry-After"] == nobody["Retry-After"] == "720"
        assert self.page(right) == self.page(wrong) == self.page(nobody)
        assert not logged_in(client)


class TestLanguage:
    def test_the_wait_is_said_in_the_readers_language(self, client, karin):
        fail(client, "karin@example.com", 5)
        response = login(client, "karin@example.com", RIGHT, at=T0 + timedelta(minutes=1), HTTP_ACCEPT_LANGUAGE="sv")
        assert response.status_code == 429
        assert '<html lang="sv">' in text(response)
        assert "Försök igen om 15 minuter." in text(response)


class TestEveryPasswordLogin:
    def test_the_admin_login_counts_and_is_held_by_the_same_limits(self, client):
        AgentFactory(email="boss@example.com", password=RIGHT, role="admin")
        for n in range(5):
            with clock.at(T0 + timedelta(seconds=n)):
                client.post(
                    "/admin/login/", {"username": "boss@example.com", "password": "guess"}, REMOTE_ADDR=ATTACKER
                )
        with clock.at(T0 + timedelta(minutes=1)):
            response = client.post(
                "/admin/login/?next=/admin/", {"username": "boss@example.com", "password": RIGHT}, REMOTE_ADDR=ATTACKER
            )
        assert response.status_code == 200 and not logged_in(client)  # the admin's own page, without a login
        assert login(client, "boss@example.com", RIGHT, at=T0 + timedelta(minutes=1)).status_code == 429
        assert login(client, "boss@example.com", RIGHT, at=T0 + timedelta(minutes=16)).status_code == 302

    def test_without_a_request_nothing_is_throttled_or_counted(self, karin):
        for _ in range(6):
            assert authenticate(None, username="karin@example.com", password="guess") is None
        assert authenticate(None, username="karin@example.com", password=RIGHT) == karin
        assert FailureCounter.objects.count() == 0


class TestApiTokens:
    @staticmethod
    def get(token: str, *, ip: str = ATTACKER, at: datetime = T0):
        with clock.at(at):
            return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}, REMOTE_ADDR=ip)

    def test_bad_tokens_from_one_client_are_throttled_at_the_20th(self, karin):
        statuses = [self.get(f"lofte_guess{n}_xyz", at=T0 + timedelta(seconds=n)).status_code for n in range(19)]
        assert statuses == [401] * 19
        response = self.get("lofte_guess19_xyz", at=T0 + timedelta(seconds=19))
        assert response.status_code == 429
        body = response.json()
        assert body["code"] == "throttled"
        assert body["message"] == (
            "Too many requests with invalid API tokens from your address: try again in 900 seconds, with a valid token."
        )
        later = self.get("lofte_guess20_xyz", at=T0 + timedelta(seconds=19, minutes=10))
        assert later.status_code == 429 and "try again in 300 seconds" in later.json()["message"]
        assert FailureCounter.objects.get(key=f"token:client:{ATTACKER}").failures == 20  # not counted while locked
        # Another client's bad token is its own business; after 15 minutes the attacker starts afresh.
        assert self.get("lofte_guess_xyz", ip="198.51.100.7", at=T0 + timedelta(minutes=1)).status_code == 401
        assert self.get("lofte_guess_xyz", at=T0 + timedelta(seconds=19, minutes=15)).status_code == 401

    def test_the_throttled_answer_says_when_to_retry(self, karin):
        for n in range(20):
            response = self.get(f"lofte_guess{n}_xyz", at=T0)
        assert response.status_code == 429
        assert response["Retry-After"] == "900"

    def test_a_valid_token_is_never_slowed_by_others_failures(self, karin):
        secret = api_token_create(agent=karin).secret
        for n in range(25):
            self.get(f"lofte_guess{n}_xyz", at=T0)
        assert self.get("lofte_guess_xyz", at=T0).status_code == 429
        response = self.get(secret, at=T0)  # the same address, during the lock
        assert response.status_code == 200 and response.json()["email"] == "karin@example.com"

    def test_requests_without_a_token_are_not_counted(self, karin):
        for _ in range(25):
            with clock.at(T0):
                assert Client().get("/api/v1/me", REMOTE_ADDR=ATTACKER).status_code == 401
        assert FailureCounter.objects.count() == 0

    def test_token_failures_do_not_count_against_password_logins(self, client, karin):
        for n in range(25):
            self.get(f"lofte_guess{n}_xyz", at=T0)
        assert login(client, "karin@example.com", RIGHT, at=T0).status_code == 302
        assert Agent.objects.get(pk=karin.pk).last_login is not None
