"""The 46elks adapter against a fake 46elks on loopback that checks each request against the documented API
(https://46elks.se/docs/send-sms): POST /a1/sms, HTTP basic auth with the API username and password, a form
(application/x-www-form-urlencoded) with from, to, message and whendelivered, answered with JSON carrying "id"."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.test import Client

from lofte.cases.models import Case, Channel
from lofte.cases.services import case_reply
from lofte.channels.sms.models import InboundSms
from lofte.channels.sms.providers import SmsDeferred
from lofte.channels.sms.providers.elks import ElksProvider
from lofte.channels.tests.test_sms_api import OUR_NUMBER, TOKEN, urlpatterns  # noqa: F401 (the test URLconf)
from lofte.outbox.models import OutboxMessage, OutboxState
from lofte.outbox.services import outbox_deliver_due, outbox_enqueue
from lofte.outbox.transports import PermanentFailure

pytestmark = pytest.mark.urls("lofte.channels.tests.test_sms_api")

USERNAME = "u2c11ef65b429a8e16ccb1f960d02c734"
PASSWORD = "C0ACCEEC0FAFE879189DD5D57F6EC348"
DOCUMENTED_FIELDS = {"from", "to", "message", "whendelivered", "dryrun", "flashsms", "dontlog"}


@dataclass
class FakeElks:
    """What the fake received, and what it answers next (status and body; a valid request otherwise gets an id)."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    answer: tuple[int, str] | None = None
    counter: int = 0


def _handler(fake: FakeElks) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: str, content_type: str = "text/plain") -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._reply(405, "Method not allowed")

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
            fake.requests.append({"path": self.path, "headers": dict(self.headers), "form": form})
            expected_auth = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
            if self.path != "/a1/sms":
                return self._reply(404, "Not found")
            if self.headers.get("Authorization") != expected_auth:
                return self._reply(401, "Invalid username or password")
            if self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
                return self._reply(400, "Expected a form")
            if unknown := set(form) - DOCUMENTED_FIELDS:
                return self._reply(400, f"Unknown parameters: {sorted(unknown)}")
            for name in ("from", "to", "message"):
                if not form.get(name):
                    return self._reply(400, f"Missing key {name}")
            if not form["to"].startswith("+"):
                return self._reply(400, "Invalid to number: use E.164")
            if fake.answer is not None:
                return self._reply(*fake.answer)
            fake.counter += 1
            answer = {
                "status": "created",
                "direction": "outgoing",
                "from": form["from"],
                "to": form["to"],
                "message": form["message"],
                "parts": 1,
                "cost": 3500,
                "created": "2026-11-25T09:30:00.000000",
                "id": f"s{fake.counter:032x}",
            }
            self._reply(200, json.dumps(answer), "application/json")

    return Handler


@pytest.fixture
def fake_elks() -> Iterator[FakeElks]:
    fake = FakeElks()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/a1"
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def elks(db: Any, settings: Any, fake_elks: FakeElks) -> FakeElks:
    settings.LOFTE_SMS_PROVIDER = "46elks"
    settings.LOFTE_SMS_46ELKS_URL = fake_elks.url
    settings.LOFTE_SMS_46ELKS_USERNAME = USERNAME
    settings.LOFTE_SMS_46ELKS_PASSWORD = PASSWORD
    settings.LOFTE_SMS_FROM = OUR_NUMBER
    settings.LOFTE_SMS_WEBHOOK_TOKEN = TOKEN
    settings.LOFTE_SMS_ALLOWED_IPS = []
    settings.LOFTE_BASE_URL = "https://lofte.example.se"
    settings.LOFTE_TRANSPORTS = {**settings.LOFTE_TRANSPORTS, "sms": "lofte.channels.sms.transport.SmsTransport"}
    return fake_elks


# --- the adapter -----------------------------------------------------------------------


def test_send_posts_the_documented_form_with_basic_auth(elks: FakeElks) -> None:
    provider_id = ElksProvider().send("+46701234567", "Hej Karin!", callback_url="https://lofte.example.se/r?outbox=7")

    assert provider_id == "s00000000000000000000000000000001"
    [request] = elks.requests
    assert request["path"] == "/a1/sms"
    assert (
        request["headers"]["Authorization"] == "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    )
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert request["form"] == {
        "from": OUR_NUMBER,
        "to": "+46701234567",
        "message": "Hej Karin!",
        "whendelivered": "https://lofte.example.se/r?outbox=7",
    }


def test_without_a_receipt_url_whendelivered_is_left_out(elks: FakeElks) -> None:
    ElksProvider().send("+46701234567", "Hej", callback_url="")

    assert set(elks.requests[0]["form"]) == {"from", "to", "message"}


def test_unicode_text_arrives_exactly(elks: FakeElks) -> None:
    ElksProvider().send("+46701234567", "Привет 👋 & €=100%", callback_url="")

    assert elks.requests[0]["form"]["message"] == "Привет 👋 & €=100%"


@pytest.mark.parametrize(
    ("status", "body"),
    [(400, "Invalid to number"), (402, "Not enough credits"), (403, "Sender not allowed"), (404, "Not found")],
)
def test_a_4xx_answer_is_permanent(elks: FakeElks, status: int, body: str) -> None:
    elks.answer = (status, body)

    with pytest.raises(PermanentFailure) as info:
        ElksProvider().send("+46701234567", "Hej", callback_url="")
    assert str(info.value) == f"46elks refused the SMS to +46701234567 ({status}): {body}"


def test_wrong_credentials_are_permanent(elks: FakeElks, settings: Any) -> None:
    settings.LOFTE_SMS_46ELKS_PASSWORD = "wrong"

    with pytest.raises(PermanentFailure, match=r"\(401\): Invalid username or password"):
        ElksProvider().send("+46701234567", "Hej", callback_url="")


@pytest.mark.parametrize(("status", "body"), [(500, "Internal error"), (503, "Try later"), (429, "Slow down")])
def test_a_5xx_or_429_answer_is_retried(elks: FakeElks, status: int, body: str) -> None:
    elks.answer = (status, body)

    with pytest.raises(SmsDeferred, match=rf"\({status}\): {body}"):
        ElksProvider().send("+46701234567", "Hej", callback_url="")


def test_an_unreachable_provider_is_retried(elks: FakeElks, settings: Any) -> None:
    settings.LOFTE_SMS_46ELKS_URL = "http://127.0.0.1:9/a1"  # discard port: nothing listens

    with pytest.raises(SmsDeferred, match="46elks could not be reached"):
        ElksProvider().send("+46701234567", "Hej", callback_url="")


def test_missing_credentials_are_a_clear_permanent_failure(elks: FakeElks, settings: Any) -> None:
    settings.LOFTE_SMS_46ELKS_USERNAME = ""

    with pytest.raises(PermanentFailure, match="LOFTE_SMS_46ELKS_USERNAME"):
        ElksProvider().send("+46701234567", "Hej", callback_url="")
    assert elks.requests == []


# --- through the outbox -----------------------------------------------------------------


def test_a_reply_on_an_sms_case_goes_out_through_46elks(elks: FakeElks, agent: Any, customer: Any) -> None:
    from lofte.cases.services import case_create

    case = case_create(customer=customer, subject="", body="Hej, var är paketet?", channel=Channel.SMS)

    message = case_reply(case=case, author=agent, body="Det kommer i morgon.")
    assert outbox_deliver_due(worker="test") == {"sent": 1}

    row = OutboxMessage.objects.get(pk=message.outbox_message_id or 0)
    assert (row.channel, row.to, row.state, row.provider_id) == (
        "sms",
        "+46701234567",
        OutboxState.SENT,
        "s00000000000000000000000000000001",
    )
    assert elks.requests[0]["form"] == {
        "from": OUR_NUMBER,
        "to": "+46701234567",
        "message": "Det kommer i morgon.",
        "whendelivered": f"https://lofte.example.se/api/v1/inbound/sms/46elks/{TOKEN}/receipt?outbox={row.pk}",
    }


def test_a_refused_sms_is_dead_at_once_with_the_answer(elks: FakeElks) -> None:
    elks.answer = (403, "Not enough credits")
    row = outbox_enqueue(channel="sms", to="+46701234567", payload={"text": "Hej"})

    assert outbox_deliver_due(worker="test") == {"dead": 1}
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (
        OutboxState.DEAD,
        1,
        "46elks refused the SMS to +46701234567 (403): Not enough credits",
    )


def test_a_provider_error_is_retried_later(elks: FakeElks) -> None:
    elks.answer = (503, "Service unavailable")
    row = outbox_enqueue(channel="sms", to="+46701234567", payload={"text": "Hej"})

    assert outbox_deliver_due(worker="test") == {"pending": 1}
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (
        OutboxState.PENDING,
        1,
        "SmsDeferred: 46elks could not take the SMS now (503): Service unavailable",
    )


def test_a_text_over_the_segment_limit_is_refused_before_sending(elks: FakeElks, settings: Any) -> None:
    settings.LOFTE_SMS_MAX_SEGMENTS = 2
    row = outbox_enqueue(channel="sms", to="+46701234567", payload={"text": "a" * 307})

    assert outbox_deliver_due(worker="test") == {"dead": 1}
    row.refresh_from_db()
    assert row.last_error == "The text is 3 SMS long (GSM-7); at most 2 are sent (LOFTE_SMS_MAX_SEGMENTS)."
    assert elks.requests == []


# --- 46elks webhooks --------------------------------------------------------------------


def test_an_inbound_sms_as_46elks_posts_it_opens_a_case(elks: FakeElks) -> None:
    response = Client().post(
        f"/api/v1/inbound/sms/46elks/{TOKEN}",
        {
            "direction": "incoming",
            "id": "sf8425555e5d8db61dda7a7b3f1b91bdb",
            "from": "+46704508449",
            "to": OUR_NUMBER,
            "created": "2018-07-13 13:57:23.741000",
            "message": "Hello how are you?",
        },
    )

    assert response.status_code == 200
    case = Case.objects.get()
    assert (case.channel, case.messages.get().body_text) == (Channel.SMS, "Hello how are you?")
    assert InboundSms.objects.get().provider == "46elks"


def test_a_46elks_receipt_updates_the_delivery(elks: FakeElks) -> None:
    from lofte.channels.sms.models import SmsDelivery

    row = outbox_enqueue(channel="sms", to="+46701234567", payload={"text": "Hej"})
    outbox_deliver_due(worker="test")
    row.refresh_from_db()

    response = Client().post(
        f"/api/v1/inbound/sms/46elks/{TOKEN}/receipt?outbox={row.pk}",
        {"id": row.provider_id, "status": "delivered", "delivered": "2026-11-25T09:30:02.000000"},
    )

    assert response.status_code == 200
    delivery = SmsDelivery.objects.get()
    assert (delivery.provider, delivery.status, delivery.outbox_message_id) == ("46elks", "delivered", row.pk)


def test_the_console_provider_is_not_accepted_when_46elks_is_in_use(elks: FakeElks) -> None:
    response = Client().post(f"/api/v1/inbound/sms/console/{TOKEN}", {"id": "x", "from": "+46704508449"})

    assert response.status_code == 404


@pytest.fixture(autouse=True)
def _no_leftover_files(tmp_path: Path, settings: Any) -> None:
    settings.LOFTE_SMS_FILE_PATH = str(tmp_path / "sent-sms")
