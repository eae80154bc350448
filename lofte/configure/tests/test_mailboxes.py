"""Mailboxes on the settings pages: every field, write-only passwords, a stored password never sent to a server it
was not entered for, and "test connection" against a real Dovecot (IMAP) and a real aiosmtpd (SMTP) on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from lofte.channels.email.addresses import own_addresses
from lofte.channels.models import Mailbox
from lofte.channels.tests.dovecot import free_port
from lofte.core.models import RateLimitCounter
from lofte.outbox.tests.smtp import HOST, Recorder

pytestmark = pytest.mark.django_db

IMAP_PASSWORD = "secret"  # the Dovecot fixture's one password
SMTP_USER, SMTP_PASSWORD = "lofte-smtp", "Smtp-Pass-1234"


def form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "support",
        "address": "Support@Example.se",
        "display_name": "Support",
        "language": "sv",
        "is_active": "on",
        "imap_host": "imap.example.se",
        "imap_port": 993,
        "imap_security": "ssl",
        "imap_user": "support",
        "imap_password": "Imap-Pass-5678",
        "imap_folder": "INBOX",
        "after_fetch": "move",
        "processed_folder": "Lofte/Processed",
        "smtp_host": "smtp.example.se",
        "smtp_port": 587,
        "smtp_security": "starttls",
        "smtp_user": "support",
        "smtp_password": "Smtp-Pass-5678",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_an_admin_creates_a_mailbox_and_lofte_knows_its_address_at_once(admin_client, team):
    assert "support@example.se" not in own_addresses()
    response = admin_client.post("/configure/mailboxes/new", form(team=team.pk))
    mailbox = Mailbox.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/configure/mailboxes/{mailbox.pk}/"
    assert (mailbox.name, mailbox.address, mailbox.team, mailbox.language) == (
        "support",
        "support@example.se",
        team,
        "sv",
    )
    assert (mailbox.imap_host, mailbox.imap_user, mailbox.imap_password) == (
        "imap.example.se",
        "support",
        "Imap-Pass-5678",
    )
    assert (mailbox.smtp_security, mailbox.smtp_password) == ("starttls", "Smtp-Pass-5678")
    assert "support@example.se" in own_addresses()  # the cache was cleared


def test_passwords_are_never_rendered_and_an_empty_one_keeps_the_stored(admin_client):
    admin_client.post("/configure/mailboxes/new", form())
    mailbox = Mailbox.objects.get()
    page = admin_client.get(f"/configure/mailboxes/{mailbox.pk}/").content.decode()
    assert "Imap-Pass-5678" not in page and "Smtp-Pass-5678" not in page
    assert 'name="imap_password"' in page and "Leave empty to keep the stored password" in page
    response = admin_client.post(
        f"/configure/mailboxes/{mailbox.pk}/", form(display_name="Kundtjänst", imap_password="", smtp_password="")
    )
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.display_name, mailbox.imap_password, mailbox.smtp_password) == (
        "Kundtjänst",
        "Imap-Pass-5678",
        "Smtp-Pass-5678",
    )
    # a refused form does not send the password back either
    page = admin_client.post(f"/configure/mailboxes/{mailbox.pk}/", form(address="nope")).content.decode()
    assert "Imap-Pass-5678" not in page and "Smtp-Pass-5678" not in page


def test_a_stored_password_is_never_sent_to_a_new_server_without_being_entered_again(admin_client):
    admin_client.post("/configure/mailboxes/new", form())
    mailbox = Mailbox.objects.get()
    for changes in ({"imap_host": "imap.attacker.example"}, {"imap_port": 143}, {"imap_user": "other"}):
        response = admin_client.post(
            f"/configure/mailboxes/{mailbox.pk}/", form(imap_password="", smtp_password="", **changes)
        )
        assert response.status_code == 422
        page = response.content.decode()
        start = page.index('data-error-for="imap_password"')
        assert "enter the password again" in page[start : start + 300]
    response = admin_client.post(
        f"/configure/mailboxes/{mailbox.pk}/",
        form(smtp_host="smtp.attacker.example", imap_password="", smtp_password=""),
    )
    assert response.status_code == 422
    mailbox.refresh_from_db()
    assert (mailbox.imap_host, mailbox.imap_port, mailbox.smtp_host) == ("imap.example.se", 993, "smtp.example.se")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "with space"}, "name", "A short name of letters, digits, hyphens and underscores"),
        ({"address": "not an address"}, "address", "is not an email address."),
        ({"imap_host": "imap.example.se:25"}, "imap_host", "is not a server name"),
        ({"imap_host": "http://imap.example.se/"}, "imap_host", "is not a server name"),
        ({"smtp_host": "smtp.example.se\r\nRCPT TO"}, "smtp_host", "is not a server name"),
        ({"imap_port": 0}, "imap_port", "Ensure this value is greater than or equal to 1."),
        ({"smtp_port": 70000}, "smtp_port", "Ensure this value is less than or equal to 65535."),
        ({"imap_security": "none"}, "imap_security", "Without TLS the password would cross the network in plain text"),
        ({"imap_user": ""}, "imap_user", "Fetching over IMAP needs a user."),
        (
            {"processed_folder": "INBOX"},
            "processed_folder",
            "The processed folder cannot be the folder that is fetched.",
        ),
        ({"language": "de"}, "language", "Select a valid choice."),
    ],
)
def test_invalid_input_is_shown_beside_its_field_and_nothing_is_written(admin_client, changes, field, message):
    response = admin_client.post("/configure/mailboxes/new", form(**changes))
    assert response.status_code == 422
    page = response.content.decode()
    start = page.index(f'data-error-for="{field}"')
    assert message in page[start : start + 300]
    assert not Mailbox.objects.exists()


def test_a_second_mailbox_with_the_same_address_is_refused(admin_client):
    Mailbox.objects.create(name="first", address="support@example.se")
    response = admin_client.post("/configure/mailboxes/new", form())
    assert response.status_code == 422
    assert "Another mailbox already has the address support@example.se." in response.content.decode()
    assert Mailbox.objects.count() == 1


# --- test connection --------------------------------------------------------------------------------------------


def _authenticate(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.fixture
def smtp() -> Iterator[tuple[int, Recorder]]:
    """An SMTP server on 127.0.0.1 that asks for a login (over plain text: loopback only)."""
    recorder = Recorder()
    controller = Controller(
        recorder, hostname=HOST, port=free_port(), authenticator=_authenticate, auth_require_tls=False
    )
    controller.start()
    try:
        yield int(controller.port), recorder
    finally:
        controller.stop()


@pytest.fixture
def loopback(imap_server, smtp):  # type: ignore[no-untyped-def]
    port, _recorder = smtp
    return Mailbox.objects.create(
        name="loop",
        address="loop@example.se",
        imap_host=imap_server.host,
        imap_port=imap_server.port,
        imap_security="none",
        imap_user=imap_server.new_user(),
        imap_password=IMAP_PASSWORD,
        imap_folder="INBOX",
        smtp_host=HOST,
        smtp_port=port,
        smtp_security="none",
        smtp_user=SMTP_USER,
        smtp_password=SMTP_PASSWORD,
    )


def results(page: str) -> dict[str, tuple[str, str, str]]:
    found = {}
    for protocol in ("imap", "smtp"):
        start = page.index(f'data-protocol="{protocol}"')
        item = page[start : page.index("</li>", start)]
        outcome = item.split('data-outcome="')[1].split('"')[0]
        reason = item.split('data-reason="')[1].split('"')[0]
        found[protocol] = (outcome, reason, item.split(">", 1)[1])
    return found


def test_the_connection_test_logs_in_to_both_servers_and_sends_nothing(admin_client, loopback, smtp, imap_server):
    response = admin_client.post(f"/configure/mailboxes/{loopback.pk}/test", headers={"HX-Request": "true"})
    assert response.status_code == 200
    found = results(response.content.decode())
    assert found["imap"][:2] == ("ok", "")
    assert "opened &#x27;INBOX&#x27;" in found["imap"][2]
    assert found["smtp"][:2] == ("ok", "")
    assert f"accepted the login of &#x27;{SMTP_USER}&#x27;" in found["smtp"][2]
    assert smtp[1].attempts == [] and smtp[1].envelopes == []  # nothing sent
    assert imap_server.messages("INBOX", user=loopback.imap_user) == []
    loopback.refresh_from_db()
    assert loopback.last_polled_at is None and loopback.last_error == ""  # a test is no poll


def test_a_wrong_password_is_an_authentication_failure_of_that_protocol(admin_client, loopback):
    Mailbox.objects.filter(pk=loopback.pk).update(imap_password="wrong-imap-pw", smtp_password="wrong-smtp-pw")
    page = admin_client.post(f"/configure/mailboxes/{loopback.pk}/test").content.decode()
    found = results(page)
    assert found["imap"][:2] == ("failed", "auth")
    assert "refused the login of" in found["imap"][2]
    assert found["smtp"][:2] == ("failed", "auth")
    assert "wrong user or password" in found["smtp"][2]
    assert "wrong-imap-pw" not in page and "wrong-smtp-pw" not in page


def test_only_smtp_wrong_leaves_imap_ok(admin_client, loopback):
    Mailbox.objects.filter(pk=loopback.pk).update(smtp_password="wrong-smtp-pw")
    found = results(admin_client.post(f"/configure/mailboxes/{loopback.pk}/test").content.decode())
    assert (found["imap"][0], found["smtp"][:2]) == ("ok", ("failed", "auth")), found


def test_a_closed_port_is_connection_refused(admin_client, loopback):
    closed = free_port()
    Mailbox.objects.filter(pk=loopback.pk).update(imap_port=closed, smtp_port=closed)
    found = results(admin_client.post(f"/configure/mailboxes/{loopback.pk}/test").content.decode())
    assert found["imap"][:2] == ("failed", "refused")
    assert f"127.0.0.1:{closed} refused the connection" in found["imap"][2]
    assert found["smtp"][:2] == ("failed", "refused")


def test_a_missing_folder_is_named(admin_client, loopback):
    Mailbox.objects.filter(pk=loopback.pk).update(imap_folder="Nowhere")
    found = results(admin_client.post(f"/configure/mailboxes/{loopback.pk}/test").content.decode())
    assert found["imap"][:2] == ("failed", "folder")
    assert "the folder &#x27;Nowhere&#x27; could not be opened" in found["imap"][2]


def test_tls_against_a_plain_server_is_a_tls_failure(admin_client, loopback):
    Mailbox.objects.filter(pk=loopback.pk).update(imap_security="ssl", smtp_security="ssl")
    found = results(admin_client.post(f"/configure/mailboxes/{loopback.pk}/test").content.decode())
    assert found["imap"][:2] == ("failed", "tls")
    assert found["smtp"][:2] == ("failed", "tls")


def test_servers_not_set_are_said_so(admin_client):
    mailbox = Mailbox.objects.create(name="piped", address="piped@example.se")
    found = results(admin_client.post(f"/configure/mailboxes/{mailbox.pk}/test").content.decode())
    assert found["imap"][0] == "not_set" and found["smtp"][0] == "not_set"


def test_the_connection_test_is_rate_limited(admin_client):
    mailbox = Mailbox.objects.create(name="piped", address="piped@example.se")
    for _ in range(10):
        assert admin_client.post(f"/configure/mailboxes/{mailbox.pk}/test").status_code == 200
    response = admin_client.post(f"/configure/mailboxes/{mailbox.pk}/test")
    assert response.status_code == 429
    assert "Too many connection tests" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert RateLimitCounter.objects.get().count == 11


def test_the_connection_test_needs_the_csrf_token(admin):
    from django.test import Client

    mailbox = Mailbox.objects.create(name="piped", address="piped@example.se")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post(f"/configure/mailboxes/{mailbox.pk}/test").status_code == 403
    assert not RateLimitCounter.objects.exists()


def test_the_preview_says_what_the_mailbox_does_without_its_passwords(admin_client, team):
    admin_client.post("/configure/mailboxes/new", form(team=team.pk))
    mailbox = Mailbox.objects.get()
    page = admin_client.get(f"/configure/mailboxes/{mailbox.pk}/").content.decode()
    preview = page[page.index('id="mailbox-preview"') :]
    assert "Support &lt;support@example.se&gt;" in preview
    assert "INBOX on imap.example.se:993 (SSL/TLS) as support, then moved to Lofte/Processed" in preview
    response = admin_client.post(
        f"/configure/mailboxes/{mailbox.pk}/preview",
        form(team=team.pk, smtp_host="", after_fetch="seen", imap_password="", smtp_password=""),
        headers={"HX-Request": "true"},
    )
    partial = response.content.decode()
    assert "<html" not in partial
    assert "then marked as read" in partial and "through the site's mail settings" in partial
    assert "Imap-Pass-5678" not in partial + page and "Smtp-Pass-5678" not in partial + page
    mailbox.refresh_from_db()
    assert mailbox.smtp_host == "smtp.example.se"  # nothing saved
