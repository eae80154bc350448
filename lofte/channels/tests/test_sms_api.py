"""SMS webhooks and endpoints over HTTP: inbound SMS into cases, duplicates, STOP/START, delivery reports,
the token and address checks, invalid numbers refused at entry, and the segment count for the reply box."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import Resolver404, path, resolve
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from lofte.accounts.auth import BearerTokenAuth, SessionAuth
from lofte.accounts.tests.api_client import Api
from lofte.cases.models import Case, CaseEvent, Channel, EventKind, Message, Status
from lofte.cases.services import case_reply, case_transition
from lofte.channels.sms.api import router as sms_router
from lofte.channels.sms.models import DeliveryStatus, InboundSms, InboundSmsOutcome, SmsDelivery, SmsOptOut
from lofte.core import clock
from lofte.core.errors import DomainError
from lofte.customers.models import Customer, CustomerIdentity
from lofte.outbox.models import OutboxMessage, OutboxState
from lofte.outbox.services import outbox_deliver_due

TOKEN = "s3cr3t-token-for-tests-0123456789"
OUR_NUMBER = "+46766861004"

# Until config/api.py mounts the sms router, these tests mount it on an API of their own (the same auth, and
# errors as config/api.py shapes them) in front of Lofte's URLs.
_root = import_module(django_settings.ROOT_URLCONF)


def _mounted() -> bool:
    try:
        return resolve("/api/v1/sms/segments").url_name == "sms_segments"
    except Resolver404:
        return False


if _mounted():
    urlpatterns = list(_root.urlpatterns)
else:
    _api = NinjaAPI(auth=[BearerTokenAuth(), SessionAuth()], urls_namespace="sms-test", docs_url=None)

    @_api.exception_handler(DomainError)
    def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        body = {"code": exc.code, "message": exc.message} | ({"field": exc.field} if exc.field else {})
        return _api.create_response(request, body, status=exc.status)

    @_api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _api.create_response(request, {"code": "unauthenticated", "message": "no token"}, status=401)

    _api.add_router("/", sms_router)
    urlpatterns = [path("api/v1/", _api.urls), *_root.urlpatterns]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def sms(db: Any, settings: Any, tmp_path: Path) -> Path:
    """SMS through the console provider; returns the directory it writes to."""
    settings.LOFTE_SMS_PROVIDER = "console"
    settings.LOFTE_SMS_FROM = OUR_NUMBER
    settings.LOFTE_SMS_WEBHOOK_TOKEN = TOKEN
    settings.LOFTE_SMS_ALLOWED_IPS = []
    settings.LOFTE_SMS_FILE_PATH = str(tmp_path / "sent-sms")
    settings.LOFTE_BASE_URL = "https://lofte.example.se"
    settings.LOFTE_TRANSPORTS = {**settings.LOFTE_TRANSPORTS, "sms": "lofte.channels.sms.transport.SmsTransport"}
    return tmp_path / "sent-sms"


def sent(directory: Path) -> list[dict[str, Any]]:
    """Every SMS the console provider wrote, oldest first."""
    lines: list[dict[str, Any]] = []
    for file in sorted(directory.glob("*.jsonl")) if directory.exists() else []:
        lines += [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()]
    return lines


def post_inbound(
    sender: str, message: str, *, id: str = "sf8425555e5d8db61dda7a7b3f1b91bdb", token: str = TOKEN, **extra: Any
) -> Any:
    """An inbound SMS exactly as 46elks posts it (application/x-www-form-urlencoded)."""
    form = {
        "direction": "incoming",
        "id": id,
        "from": sender,
        "to": OUR_NUMBER,
        "created": "2026-11-25 09:30:00.123456",
        "message": message,
        **extra,
    }
    return Client(REMOTE_ADDR="203.0.113.7").post(f"/api/v1/inbound/sms/console/{token}", form)


def post_receipt(provider_id: str, status: str, *, outbox: int | None = None, delivered: str = "") -> Any:
    form = {"id": provider_id, "status": status}
    if delivered:
        form["delivered"] = delivered
    query = f"?outbox={outbox}" if outbox is not None else ""
    return Client().post(f"/api/v1/inbound/sms/console/{TOKEN}/receipt{query}", form)


# --- inbound into cases ----------------------------------------------------------


def test_an_sms_from_a_new_number_opens_a_case_on_the_sms_channel(sms: Path) -> None:
    response = post_inbound("0709-87 65 43", "Hej, mitt paket har inte kommit.", id="s1")

    assert response.status_code == 200
    body = response.json()
    case = Case.objects.get()
    assert body == {"outcome": "created", "case": case.reference, "inbound_id": InboundSms.objects.get().pk}
    assert (case.channel, case.status, case.subject) == (Channel.SMS, Status.NEW, "Hej, mitt paket har inte kommit.")
    message = case.messages.get()
    assert (message.channel, message.sender, message.external_id, message.body_text) == (
        Channel.SMS,
        "+46709876543",
        "sms:console:s1",
        "Hej, mitt paket har inte kommit.",
    )
    identity = CustomerIdentity.objects.get(customer=case.customer)
    assert (identity.kind, identity.value) == ("phone", "+46709876543")
    row = InboundSms.objects.get()
    assert (row.sender, row.outcome, row.case_id, row.message_id) == (
        "+46709876543",
        InboundSmsOutcome.CREATED,
        case.pk,
        message.pk,
    )
    assert row.sent_at == datetime(2026, 11, 25, 9, 30, 0, 123456, tzinfo=UTC)


def test_an_sms_from_a_known_customer_threads_onto_their_open_case(sms: Path, case: Case) -> None:
    # the case fixture is Karin's email case; she has +46701234567
    response = post_inbound("+46701234567", "Jag skickar en bild på fakturan.", id="s2")

    assert response.json()["outcome"] == "appended"
    assert response.json()["case"] == case.reference
    assert Case.objects.count() == 1
    assert list(case.messages.values_list("channel", "body_text")) == [
        ("email", "Hej! Fakturan är fel."),
        ("sms", "Jag skickar en bild på fakturan."),
    ]
    assert CaseEvent.objects.filter(case=case, kind=EventKind.MESSAGE_IN).count() == 1


def test_an_sms_goes_to_the_newest_of_several_open_cases(sms: Path, case: Case, customer: Customer) -> None:
    from lofte.cases.services import case_create

    newer = case_create(customer=customer, subject="Leverans", body="Var är paketet?", channel="web")
    Case.objects.filter(pk=newer.pk).update(updated_at=clock.now() + timedelta(minutes=1))

    assert post_inbound("+46701234567", "Hallå?", id="s3").json()["case"] == newer.reference


def test_a_customer_with_only_a_closed_case_gets_a_new_case(sms: Path, case: Case, agent: Any) -> None:
    case_transition(case=case, actor=agent, status=Status.CLOSED)

    body = post_inbound("+46701234567", "En ny fråga", id="s4").json()

    assert body["outcome"] == "created"
    new = Case.objects.get(reference=body["case"])
    assert (new.customer_id, new.channel, new.follow_up_of) == (case.customer_id, Channel.SMS, None)


def test_a_recently_solved_case_is_opened_again(sms: Path, case: Case, agent: Any) -> None:
    case_transition(case=case, actor=agent, status=Status.SOLVED)

    body = post_inbound("+46701234567", "Det är fortfarande fel", id="s5").json()

    assert (body["outcome"], body["case"]) == ("appended", case.reference)
    case.refresh_from_db()
    assert case.status == Status.OPEN


def test_a_duplicate_delivery_of_the_webhook_is_ignored(sms: Path) -> None:
    first = post_inbound("+46709876543", "Hej", id="s6").json()

    again = post_inbound("+46709876543", "Hej", id="s6")

    assert again.status_code == 200
    assert again.json() == {"outcome": "duplicate", "case": first["case"], "inbound_id": first["inbound_id"]}
    assert (Case.objects.count(), Message.objects.count(), InboundSms.objects.count()) == (1, 1, 1)


def test_the_same_id_from_another_provider_is_a_different_message(sms: Path) -> None:
    from lofte.channels.sms.inbound import sms_receive
    from lofte.channels.sms.providers import InboundSmsData

    post_inbound("+46709876543", "Hej", id="s7")
    result = sms_receive(provider="46elks", data=InboundSmsData("s7", "+46709876543", OUR_NUMBER, "Hej igen"))

    assert result.outcome == "appended"
    assert InboundSms.objects.count() == 2


def test_an_empty_sms_is_filed_with_a_placeholder(sms: Path) -> None:
    post_inbound("+46709876543", "", id="s8")

    assert Message.objects.get().body_text == "(empty SMS)"


# --- invalid numbers are refused at entry -------------------------------------------


@pytest.mark.parametrize(
    ("sender", "message"),
    [
        ("Bank", "'Bank' is not a phone number."),
        ("+46 70", "'+46 70' is not a valid phone number."),
        ("070-12", "'070-12' is not a valid phone number."),
    ],
)
def test_an_invalid_sender_number_is_refused_and_nothing_is_stored(sms: Path, sender: str, message: str) -> None:
    response = post_inbound(sender, "Hej", id="s9")

    assert response.status_code == 422
    assert response.json() == {"code": "validation_error", "message": message, "field": "from"}
    assert (InboundSms.objects.count(), Customer.objects.count(), CustomerIdentity.objects.count()) == (0, 0, 0)
    assert Case.objects.count() == 0


def test_a_missing_id_is_refused(sms: Path) -> None:
    response = Client().post(f"/api/v1/inbound/sms/console/{TOKEN}", {"from": "+46709876543", "message": "Hej"})

    assert response.status_code == 422
    assert response.json() == {"code": "validation_error", "message": "The field 'id' is missing.", "field": "id"}
    assert InboundSms.objects.count() == 0


def test_an_invalid_number_in_the_outbox_fails_the_row_with_the_reason(sms: Path) -> None:
    from lofte.outbox.services import outbox_enqueue

    row = outbox_enqueue(channel="sms", to="12345", payload={"text": "Hej"})

    assert outbox_deliver_due(worker="test") == {"dead": 1}
    row.refresh_from_db()
    assert row.last_error == "The SMS cannot be sent: '12345' is not a valid phone number."
    assert sent(sms) == []


# --- authentication of the provider's webhooks ------------------------------------------


def test_a_wrong_token_is_401_with_a_reason_code_and_nothing_is_stored(sms: Path) -> None:
    response = post_inbound("+46709876543", "Hej", token="not-the-token")

    assert response.status_code == 401
    assert response.json() == {
        "code": "bad_token",
        "message": "The token in the URL is not the one Lofte gave the provider.",
    }
    assert (InboundSms.objects.count(), Case.objects.count()) == (0, 0)


def test_without_a_configured_token_every_webhook_is_refused(sms: Path, settings: Any) -> None:
    settings.LOFTE_SMS_WEBHOOK_TOKEN = ""

    response = Client().post("/api/v1/inbound/sms/console/", {"id": "x"})
    assert response.status_code == 404  # no token, no route
    response = post_inbound("+46709876543", "Hej", token="anything")
    assert (response.status_code, response.json()["code"]) == (401, "webhooks_disabled")


def test_a_receipt_with_a_wrong_token_is_401(sms: Path) -> None:
    response = Client().post("/api/v1/inbound/sms/console/wrong/receipt", {"id": "x", "status": "delivered"})

    assert (response.status_code, response.json()["code"]) == (401, "bad_token")
    assert SmsDelivery.objects.count() == 0


def test_the_address_allow_list(sms: Path, settings: Any) -> None:
    settings.LOFTE_SMS_ALLOWED_IPS = ["192.0.2.0/24"]
    refused = post_inbound("+46709876543", "Hej", id="s10")  # from 203.0.113.7
    assert (refused.status_code, refused.json()["code"]) == (401, "ip_not_allowed")

    settings.LOFTE_SMS_ALLOWED_IPS = ["192.0.2.0/24", "203.0.113.7"]
    assert post_inbound("+46709876543", "Hej", id="s10").status_code == 200


def test_a_provider_not_in_use_is_404(sms: Path) -> None:
    response = Client().post(f"/api/v1/inbound/sms/46elks/{TOKEN}", {"id": "x", "from": "+46709876543"})

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_the_webhooks_are_refused_when_sms_is_off(sms: Path, settings: Any) -> None:
    settings.LOFTE_SMS_PROVIDER = ""

    assert post_inbound("+46709876543", "Hej").status_code == 404


# --- STOP and START -------------------------------------------------------------------


def _sms_case(sms: Path) -> Case:
    reference = post_inbound("+46709876543", "Hej, min order?", id="first").json()["case"]
    return Case.objects.get(reference=reference)


def test_stop_opts_out_confirms_once_and_nothing_more_is_sent(sms: Path, agent: Any) -> None:
    case = _sms_case(sms)

    response = post_inbound("+46709876543", " Stopp! ", id="stop-1")

    assert response.json()["outcome"] == "opt_out"
    assert response.json()["case"] is None
    opt_out = SmsOptOut.objects.get()
    assert (opt_out.phone, opt_out.keyword) == ("+46709876543", "STOPP")
    assert case.messages.count() == 1  # the STOP is not a message on the case
    # the confirmation goes out, once
    assert outbox_deliver_due(worker="test") == {"sent": 1}
    assert [(s["to"], s["message"]) for s in sent(sms)] == [
        # a Swedish number, a customer first met by SMS: Swedish (the number's country)
        ("+46709876543", "Du får inga fler sms från oss. Svara START för att få dem igen.")
    ]
    # a reply by the agent is refused by the transport, with the reason on the row
    message = case_reply(case=case, author=agent, body="Din order skickas i dag.")
    assert message.channel == Channel.SMS
    assert outbox_deliver_due(worker="test") == {"dead": 1}
    row = OutboxMessage.objects.get(pk=message.outbox_message_id or 0)
    assert (row.state, row.last_error) == (
        OutboxState.DEAD,
        "+46709876543 has opted out of SMS (it sent STOP); nothing is sent to it by SMS until it sends START.",
    )
    assert len(sent(sms)) == 1


def test_start_opts_in_again(sms: Path, agent: Any) -> None:
    case = _sms_case(sms)
    post_inbound("+46709876543", "STOP", id="stop-2")

    response = post_inbound("+46709876543", "start", id="start-1")

    assert response.json()["outcome"] == "opt_in"
    assert SmsOptOut.objects.count() == 0
    case_reply(case=case, author=agent, body="Din order skickas i dag.")
    assert outbox_deliver_due(worker="test") == {"sent": 3}  # two confirmations and the reply
    assert [s["message"] for s in sent(sms)][-1] == "Din order skickas i dag."


def test_stop_inside_a_sentence_is_an_ordinary_message(sms: Path) -> None:
    assert post_inbound("+46709876543", "Stop charging my card twice", id="s11").json()["outcome"] == "created"
    assert SmsOptOut.objects.count() == 0


def test_the_opt_out_confirmation_is_in_the_customers_language(sms: Path, customer: Customer) -> None:
    post_inbound("+46701234567", "STOP", id="stop-3")  # Karin speaks Swedish

    row = OutboxMessage.objects.get()
    assert (row.to, row.automatic, row.payload["kind"]) == ("+46701234567", True, "opt_out_confirmation")


# --- delivery reports ------------------------------------------------------------------


def _reply(sms: Path, agent: Any) -> tuple[Message, OutboxMessage, dict[str, Any]]:
    case = _sms_case(sms)
    message = case_reply(case=case, author=agent, body="Paketet kommer i morgon.")
    assert outbox_deliver_due(worker="test") == {"sent": 1}
    row = OutboxMessage.objects.get(pk=message.outbox_message_id or 0)
    return message, row, sent(sms)[-1]


def test_the_provider_is_given_a_receipt_url_naming_the_row(sms: Path, agent: Any) -> None:
    _message, row, line = _reply(sms, agent)

    assert (
        line["callback_url"] == f"https://lofte.example.se/api/v1/inbound/sms/console/{TOKEN}/receipt?outbox={row.pk}"
    )
    assert (line["to"], line["from"], row.state, row.provider_id) == (
        "+46709876543",
        OUR_NUMBER,
        OutboxState.SENT,
        line["id"],
    )


def test_a_delivered_report_is_recorded_and_a_late_sent_does_not_undo_it(sms: Path, agent: Any) -> None:
    _message, row, line = _reply(sms, agent)

    response = post_receipt(line["id"], "delivered", outbox=row.pk, delivered="2026-11-25T10:00:01.5")
    assert response.status_code == 200
    assert response.json() == {"id": line["id"], "status": "delivered"}
    post_receipt(line["id"], "sent", outbox=row.pk)

    delivery = SmsDelivery.objects.get()
    assert (delivery.status, delivery.delivered_at, delivery.outbox_message_id) == (
        DeliveryStatus.DELIVERED,
        datetime(2026, 11, 25, 10, 0, 1, 500000, tzinfo=UTC),
        row.pk,
    )
    row.refresh_from_db()
    assert row.state == OutboxState.SENT


def test_a_receipt_finds_its_row_by_provider_id_without_the_row_in_the_url(sms: Path, agent: Any) -> None:
    _message, row, line = _reply(sms, agent)

    post_receipt(line["id"], "delivered")

    assert SmsDelivery.objects.get().outbox_message_id == row.pk


def test_a_failed_report_marks_the_delivery_failed_on_the_timeline(sms: Path, agent: Any) -> None:
    message, row, line = _reply(sms, agent)

    post_receipt(line["id"], "failed", outbox=row.pk)
    post_receipt(line["id"], "failed", outbox=row.pk)  # the provider retrying: one event

    row.refresh_from_db()
    assert (row.state, row.last_error) == (
        OutboxState.BOUNCED,
        "The SMS could not be delivered (console reported it failed).",
    )
    event = CaseEvent.objects.get(kind=EventKind.DELIVERY_FAILED)
    assert (event.message_id, event.data["to"]) == (message.pk, "+46709876543")
    assert SmsDelivery.objects.get().status == DeliveryStatus.FAILED


def test_the_case_page_shows_the_delivery_state(sms: Path, agent: Any, client: Client) -> None:
    message, row, line = _reply(sms, agent)
    post_receipt(line["id"], "failed", outbox=row.pk)
    client.force_login(agent)

    page = client.get(f"/cases/{message.case.reference}/").content.decode()

    assert 'class="delivery delivery-bounced"' in page


def test_an_unknown_status_is_refused(sms: Path) -> None:
    response = post_receipt("s-unknown", "lost")

    assert response.status_code == 422
    assert response.json()["field"] == "status"
    assert SmsDelivery.objects.count() == 0


def test_a_receipt_for_a_message_lofte_did_not_send_is_kept_unlinked(sms: Path) -> None:
    assert post_receipt("s-elsewhere", "delivered").status_code == 200

    assert SmsDelivery.objects.get().outbox_message_id is None


# --- segment count for the reply box ---------------------------------------------------------


def test_the_segment_count_endpoint(agent: Any) -> None:
    api = Api(agent)

    assert api.get("/sms/segments", {"text": "a" * 161}).json() == {
        "encoding": "GSM-7",
        "segments": 2,
        "characters": 161,
        "units": 161,
        "per_segment": 153,
        "remaining": 145,
    }
    assert api.get("/sms/segments", {"text": "Привет 👋"}).json()["encoding"] == "UCS-2"


def test_the_segment_count_needs_an_agent(db: Any) -> None:
    assert Api(None).get("/sms/segments", {"text": "Hej"}).status_code == 401
