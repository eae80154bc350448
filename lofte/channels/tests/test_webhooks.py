"""Signed inbound webhooks: POST /api/v1/inbound/webhook/<source>.

Requests are signed here the way the API documentation tells a sender to (hmac over "<timestamp>.<body>"),
not with the service's own helper, so the tests hold the documented format to account.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from lofte.accounts.models import Agent
from lofte.cases.models import Case, Channel, Message, Status
from lofte.channels.models import WebhookMessage, WebhookRejection, WebhookSource
from lofte.channels.webhooks.services import webhook_rejections_prune, webhook_signature
from lofte.core import clock
from lofte.customers.models import Customer, CustomerIdentity, IdentityKind, IdentitySuggestion
from lofte.customers.services import customer_create, customer_identity_add
from lofte.promises.models import Promise, PromiseKind
from lofte.promises.policies import policy_create

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def source(team) -> WebhookSource:
    return WebhookSource.objects.create(name="shop", display_name="Webshop", team=team)


def sign(secret: str, ts: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()


def encode(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def headers_for(secret: str, body: bytes, *, at: datetime = T0) -> dict[str, str]:
    ts = str(int(at.timestamp()))
    return {"X-Lofte-Timestamp": ts, "X-Lofte-Signature": sign(secret, ts, body)}


def post(
    body: bytes, headers: dict[str, str], *, name: str = "shop", now: datetime = T0, client: Client | None = None
) -> Any:
    with clock.at(now):
        return (client or Client()).post(
            f"/api/v1/inbound/webhook/{name}", body, content_type="application/json", headers=headers
        )


def send(source: WebhookSource, payload: Any, *, now: datetime = T0, signed_at: datetime | None = None) -> Any:
    body = encode(payload)
    return post(body, headers_for(source.secret, body, at=signed_at or now), name=source.name, now=now)


def message(external_id: str = "m-1", **extra: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "from": {"email": "karin@example.se", "name": "Karin Kund"},
        "subject": "Order 1042",
        "text": "Where is my parcel?",
        **extra,
    }


def counts() -> tuple[int, int, int, int]:
    return Case.objects.count(), Message.objects.count(), WebhookMessage.objects.count(), Customer.objects.count()


# --- accepted ----------------------------------------------------------------------------


def test_a_signed_message_opens_a_case_on_the_webhook_channel_with_the_sources_name(source, customer, team):
    policy_create(name="Standard", first_response_minutes=8 * 60)

    response = send(source, message())

    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(reference=body["case"])
    msg = Message.objects.get(pk=body["message_id"])
    assert body == {"case": case.reference, "message_id": msg.pk, "duplicate": False, "outcome": "created"}
    assert (case.channel, case.team, case.customer, case.subject) == (Channel.WEBHOOK, team, customer, "Order 1042")
    assert (msg.case, msg.channel, msg.sender) == (case, Channel.WEBHOOK, "Webshop: Karin Kund")
    assert (msg.body_text, msg.external_id) == ("Where is my parcel?", "webhook:shop:m-1")
    delivery = WebhookMessage.objects.get()
    assert (delivery.source, delivery.external_id, delivery.case, delivery.message) == (source, "m-1", case, msg)
    assert Promise.objects.filter(case=case, kind=PromiseKind.FIRST_RESPONSE).count() == 1
    assert WebhookRejection.objects.count() == 0


def test_the_case_page_shows_which_source_the_message_came_from(source, agent):
    reference = send(source, message()).json()["case"]
    client = Client()
    client.force_login(agent)

    page = client.get(f"/cases/{reference}/")

    assert page.status_code == 200
    assert "Webshop: Karin Kund" in page.content.decode()


def test_no_csrf_token_or_session_is_needed(source):
    body = encode(message())
    response = post(body, headers_for(source.secret, body), client=Client(enforce_csrf_checks=True))
    assert response.status_code == 201, response.content


def test_a_new_case_gets_the_sources_case_type(source):
    from lofte.cases.tests.factories import CaseTypeFactory

    source.case_type = CaseTypeFactory(name="Orders")
    source.save()
    reference = send(source, message()).json()["case"]
    assert Case.objects.get(reference=reference).case_type == source.case_type


def test_an_integer_external_id_is_an_id_and_unknown_fields_are_ignored(source):
    response = send(source, {**message(), "external_id": 1042, "order_total": "99.00"})
    assert response.status_code == 201, response.content
    assert WebhookMessage.objects.get().external_id == "1042"


@pytest.mark.parametrize("thread_from", ["thread", "external_id"])
def test_a_thread_id_the_source_sent_before_appends_to_that_case(source, thread_from):
    first = send(source, message("m-1", thread="order-1042")).json()
    thread = "order-1042" if thread_from == "thread" else "m-1"

    response = send(source, message("m-2", thread=thread, text="Any news?"), now=T0 + timedelta(minutes=10))

    assert response.status_code == 201, response.content
    assert response.json()["case"] == first["case"]
    assert response.json()["outcome"] == "appended"
    case = Case.objects.get(reference=first["case"])
    assert list(case.messages.values_list("body_text", flat=True)) == ["Where is my parcel?", "Any news?"]
    assert Case.objects.count() == 1


def test_another_sources_thread_ids_do_not_thread(source, team):
    other = WebhookSource.objects.create(name="bridge")
    first = send(source, message("m-1", thread="t-1")).json()
    second = send(other, message("m-1", thread="t-1")).json()
    assert second["case"] != first["case"]
    assert second["outcome"] == "created"


def _handle_of(customer, source):  # type: ignore[no-untyped-def]
    """The customer's handle on the source, proven (a message came from it before)."""
    customer_identity_add(customer=customer, kind=IdentityKind.HANDLE, value=f"{source.name}:karin_k")
    return {"handle": "karin_k"}


def test_a_case_reference_the_sender_owns_appends_to_that_case(source, case):
    payload = message(thread=case.reference.lower())
    payload["from"] = _handle_of(case.customer, source)
    response = send(source, payload)
    assert response.status_code == 201, response.content
    assert (response.json()["case"], response.json()["outcome"]) == (case.reference, "appended")
    assert case.messages.count() == 2


def test_a_case_reference_next_to_a_claimed_email_opens_a_new_case(source, case):
    """The source passes the email address along: a claim. With the case's reference it must not reach into
    the customer's case (anyone can type an address and a reference); it is filed as a new case."""
    response = send(source, message(thread=case.reference))
    assert response.status_code == 201, response.content
    assert response.json()["case"] != case.reference
    assert case.messages.count() == 1


def test_a_case_reference_of_another_customer_opens_a_new_case(source, case):
    payload = message(thread=case.reference)
    payload["from"] = {"email": "mallory@example.com"}

    response = send(source, payload)

    assert response.json()["case"] != case.reference
    assert case.messages.count() == 1


def test_a_message_on_a_closed_case_opens_a_follow_up(source, case):
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    payload = message(thread=case.reference)
    payload["from"] = _handle_of(case.customer, source)

    response = send(source, payload)

    follow_up = Case.objects.get(reference=response.json()["case"])
    assert follow_up.follow_up_of == case
    assert response.json()["outcome"] == "created"
    assert WebhookMessage.objects.get().case == follow_up


def test_a_handle_alone_makes_a_customer_found_again_by_it(source):
    payload = message()
    payload["from"] = {"handle": "karin_k", "name": "Karin"}

    first = send(source, payload).json()
    second = send(source, {**payload, "external_id": "m-2"}).json()

    identity = CustomerIdentity.objects.get(kind=IdentityKind.HANDLE)
    assert identity.value == "shop:karin_k"
    assert Customer.objects.count() == 1
    assert Case.objects.get(reference=first["case"]).customer == identity.customer
    assert Case.objects.get(reference=second["case"]).customer == identity.customer
    assert Message.objects.get(pk=first["message_id"]).sender == "Webshop: Karin"


def test_a_new_handle_next_to_a_known_email_stays_with_a_new_customer(source, customer):
    """The email a source passes along is a claim: the handle (proven, the message came from it) must not join
    the email's customer, or whoever holds the handle would be answered about that customer's cases. It is a
    new customer; the email is a suggestion naming the customer who has it."""
    payload = message()
    payload["from"] = {"handle": "karin_k", "email": "KARIN@example.se"}

    first = send(source, payload).json()
    payload["from"] = {"handle": "karin_k"}
    later = send(source, {**payload, "external_id": "m-2"}).json()

    handle = CustomerIdentity.objects.get(kind=IdentityKind.HANDLE)
    assert handle.customer != customer
    assert handle.proven_at is not None
    assert Case.objects.get(reference=later["case"]).customer == handle.customer
    assert Case.objects.get(reference=first["case"]).reply_to == ""  # karin@ is somebody's: never replied to
    assert list(IdentitySuggestion.objects.values_list("customer_id", "kind", "value", "owner_id")) == [
        (handle.customer_id, "email", "karin@example.se", customer.pk)
    ]


def test_a_new_handle_with_a_new_email_is_answered_at_that_email_for_its_case(source):
    payload = message()
    payload["from"] = {"handle": "nils_n", "email": "nils@example.se"}
    reference = send(source, payload).json()["case"]
    case = Case.objects.get(reference=reference)
    assert list(case.customer.identities.values_list("kind", "value")) == [("handle", "shop:nils_n")]
    assert case.reply_to == "nils@example.se"


def test_a_phone_number_finds_the_customer(source, customer):
    payload = message()
    payload["from"] = {"phone": "+46 70 123 45 67"}
    reference = send(source, payload).json()["case"]
    assert Case.objects.get(reference=reference).customer == customer


def test_several_signatures_are_accepted_while_a_secret_changes(source):
    body = encode(message())
    ts = str(int(T0.timestamp()))
    header = f"{sign('the-old-secret', ts, body)}, {sign(source.secret, ts, body)}"

    response = post(body, {"X-Lofte-Timestamp": ts, "X-Lofte-Signature": header})

    assert response.status_code == 201, response.content


def test_the_services_signature_helper_matches_the_documented_format(source):
    body = b'{"a": 1}'
    assert webhook_signature(secret=source.secret, timestamp="1700000000", body=body) == sign(
        source.secret, "1700000000", body
    )


# --- duplicates and replays --------------------------------------------------------------


def test_a_duplicate_external_id_answers_200_with_the_original_and_creates_nothing(source):
    first = send(source, message()).json()
    before = counts()

    again = send(source, message(text="Different text, same id"), now=T0 + timedelta(seconds=30))

    assert again.status_code == 200
    assert again.json() == {
        "case": first["case"],
        "message_id": first["message_id"],
        "duplicate": True,
        "outcome": "duplicate",
    }
    assert counts() == before
    assert WebhookRejection.objects.count() == 0


def test_a_replayed_request_is_a_duplicate_within_the_window_and_stale_after_it(source):
    body = encode(message())
    headers = headers_for(source.secret, body)
    first = post(body, headers).json()
    before = counts()

    within = post(body, headers, now=T0 + timedelta(minutes=4))
    after = post(body, headers, now=T0 + timedelta(minutes=6))

    assert (within.status_code, within.json()["message_id"]) == (200, first["message_id"])
    assert (after.status_code, after.json()["code"]) == (401, "timestamp_stale")
    assert counts() == before
    assert WebhookRejection.objects.get().reason == "timestamp_stale"


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(-300, True), (-301, False), (300, True), (301, False), (0, True)],
    ids=["5-min-old", "5-min-1s-old", "5-min-ahead", "5-min-1s-ahead", "now"],
)
def test_the_timestamp_window_is_five_minutes_either_way(source, offset, accepted):
    response = send(source, message(), now=T0, signed_at=T0 + timedelta(seconds=offset))
    if accepted:
        assert response.status_code == 201, response.content
    else:
        assert (response.status_code, response.json()["code"]) == (401, "timestamp_stale")
        assert str(abs(offset)) in response.json()["message"]
        assert Case.objects.count() == 0


def test_a_signature_over_a_different_body_is_refused(source):
    signed_body = encode(message(text="I authorised this"))
    sent_body = encode(message(text="But this was sent"))

    response = post(sent_body, headers_for(source.secret, signed_body))

    assert (response.status_code, response.json()["code"]) == (401, "signature_invalid")
    assert counts() == (0, 0, 0, 0)


def test_a_changed_timestamp_breaks_the_signature(source):
    body = encode(message())
    headers = headers_for(source.secret, body, at=T0 - timedelta(minutes=10))
    headers["X-Lofte-Timestamp"] = str(int(T0.timestamp()))  # a replay with a fresh timestamp

    response = post(body, headers)

    assert (response.status_code, response.json()["code"]) == (401, "signature_invalid")


def test_a_new_secret_refuses_the_old_one(source):
    from lofte.channels.webhooks.services import webhook_source_new_secret

    old = source.secret
    webhook_source_new_secret(source=source)
    body = encode(message())

    assert post(body, headers_for(old, body)).json()["code"] == "signature_invalid"
    assert post(body, headers_for(source.secret, body)).status_code == 201


# --- rejections: a reason code each, and a row for the admin ---------------------------------


def _rejected(response: Any, status: int, code: str) -> WebhookRejection:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert counts()[:3] == (0, 0, 0)
    row = WebhookRejection.objects.get()
    assert (row.reason, row.remote_ip) == (code, "127.0.0.1")
    assert row.detail == response.json()["message"]
    return row


def test_an_unknown_source_is_404(source):
    body = encode(message())
    row = _rejected(post(body, headers_for(source.secret, body), name="nosuch"), 404, "unknown_source")
    assert (row.source_name, row.source) == ("nosuch", None)
    assert row.body_head == body.decode()
    assert row.body_size == len(body)


def test_an_inactive_source_is_404(source):
    source.is_active = False
    source.save()
    row = _rejected(send(source, message()), 404, "unknown_source")
    assert (row.source_name, row.source) == ("shop", source)


@pytest.mark.parametrize("missing", ["X-Lofte-Timestamp", "X-Lofte-Signature", "both"])
def test_a_missing_signature_or_timestamp_is_401(source, missing):
    body = encode(message())
    headers = headers_for(source.secret, body)
    for name in ["X-Lofte-Timestamp", "X-Lofte-Signature"] if missing == "both" else [missing]:
        del headers[name]
    row = _rejected(post(body, headers), 401, "signature_missing")
    for name in ["X-Lofte-Timestamp", "X-Lofte-Signature"] if missing == "both" else [missing]:
        assert name in row.detail


@pytest.mark.parametrize(
    "signature",
    ["sha256=" + "0" * 64, "0" * 64, "sha1=abc", "sha256=zz", "sha256=åäö"],
    ids=["wrong-digest", "no-prefix", "other-algorithm", "not-hex", "not-ascii"],
)
def test_a_bad_signature_is_401(source, signature):
    body = encode(message())
    headers = {**headers_for(source.secret, body), "X-Lofte-Signature": signature}
    row = _rejected(post(body, headers), 401, "signature_invalid")
    assert row.source == source


def test_a_signature_made_with_another_sources_secret_is_401(source):
    other = WebhookSource.objects.create(name="bridge")
    body = encode(message())
    _rejected(post(body, headers_for(other.secret, body)), 401, "signature_invalid")


def test_a_timestamp_that_is_not_unix_seconds_is_401(source):
    body = encode(message())
    ts = T0.isoformat()
    headers = {"X-Lofte-Timestamp": ts, "X-Lofte-Signature": sign(source.secret, ts, body)}
    row = _rejected(post(body, headers), 401, "timestamp_invalid")
    assert "unix time" in row.detail


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b'{"external_id": "m-1", "text": "hi",}', "line 1, column 37"),
        (b'{"external_id": "m-1",\n "text": hi}', "line 2, column 10"),
        (b"", "line 1, column 1"),
        (b'{"text": "\xff\xfe"}', "byte 10"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"external_id": ' + b"9" * 5000 + b"}", "digits"),
    ],
    ids=["trailing-comma", "bare-word", "empty", "not-utf8", "deep", "huge-number"],
)
def test_malformed_json_is_400_naming_the_problem(source, body, where):
    row = _rejected(post(body, headers_for(source.secret, body)), 400, "invalid_json")
    assert where in row.detail
    assert row.body_head == body[:2048].decode("utf-8", "replace")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": None}, "text"),
        ({"text": "   "}, "text"),
        ({"text": 5}, "text"),
        ({"external_id": None}, "external_id"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": True}, "external_id"),
        ({"external_id": "x" * 201}, "external_id"),
        ({"from": None}, "from"),
        ({"from": {"name": "Nobody"}}, "from"),
        ({"from": {"email": "not-an-address"}}, "from.email"),
        ({"from": {"phone": "12"}}, "from.phone"),
        ({"from": {"email": ["karin@example.se"]}}, "from.email"),
        ({"subject": {"a": 1}}, "subject"),
        ({"thread": 1.5}, "thread"),
    ],
)
def test_valid_json_with_missing_or_wrong_fields_is_422_naming_the_field(source, change, field):
    payload = {key: value for key, value in {**message(), **change}.items() if value is not None}
    response = send(source, payload)
    row = _rejected(response, 422, "validation_error")
    assert response.json()["field"] == field
    assert Customer.objects.count() == 0
    assert row.source == source


def test_a_json_array_is_422(source):
    response = send(source, [message()])
    _rejected(response, 422, "validation_error")
    assert "object" in response.json()["message"]


def test_a_body_over_the_limit_is_413_without_reading_it(source, settings):
    settings.LOFTE_WEBHOOK_MAX_BYTES = 1000
    body = encode(message(text="x" * 5000))
    row = _rejected(post(body, headers_for(source.secret, body)), 413, "too_large")
    assert row.body_size == len(body)
    assert len(row.body_head) == 2048


def test_a_body_at_the_limit_is_accepted(source, settings):
    body = encode(message())
    settings.LOFTE_WEBHOOK_MAX_BYTES = len(body)
    assert post(body, headers_for(source.secret, body)).status_code == 201


def test_nul_characters_are_dropped_from_the_text_and_the_log(source):
    response = send(source, message(text="before\u0000after"))
    assert Message.objects.get(pk=response.json()["message_id"]).body_text == "beforeafter"

    body = b'{"text": "\x00"'
    _rejected_row = post(body, headers_for(source.secret, body))
    assert WebhookRejection.objects.get().body_head == '{"text": "\ufffd"'


def test_rejections_stored_per_ip_are_capped_and_old_ones_pruned(source, settings):
    settings.LOFTE_WEBHOOK_REJECTIONS_PER_IP_PER_HOUR = 2
    for _ in range(4):
        assert post(b"{}", {}).status_code == 401
    assert WebhookRejection.objects.count() == 2

    with clock.at(T0 + timedelta(days=31)):
        assert webhook_rejections_prune() == 2
    assert WebhookRejection.objects.count() == 0


def test_the_endpoint_needs_no_api_token_and_is_documented(source):
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/inbound/webhook/{source}"]["post"]
    assert "X-Lofte-Signature" in operation["description"]
    assert "security" not in operation or operation["security"] == []


# --- the admin ---------------------------------------------------------------------------------


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(Agent.objects.create_superuser("root@example.com", "pw-not-used-here", name="Root"))
    return client


def test_the_admin_shows_the_secret_and_lists_rejections_read_only(source, admin_client):
    post(b"{}", {}, name="nosuch")

    page = admin_client.get(f"/admin/lofte_channels/webhooksource/{source.pk}/change/")
    assert page.status_code == 200
    assert source.secret in page.content.decode()

    listing = admin_client.get("/admin/lofte_channels/webhookrejection/")
    assert listing.status_code == 200
    assert "nosuch" in listing.content.decode()
    row = WebhookRejection.objects.get()
    detail = admin_client.get(f"/admin/lofte_channels/webhookrejection/{row.pk}/change/")
    assert detail.status_code == 200
    assert 'name="detail"' not in detail.content.decode()  # read-only: no form fields
    assert admin_client.get("/admin/lofte_channels/webhookrejection/add/").status_code == 403


def test_the_admin_makes_a_source_with_a_generated_secret_and_can_replace_it(admin_client, team):
    response = admin_client.post(
        "/admin/lofte_channels/webhooksource/add/",
        {"name": "bridge", "display_name": "Social bridge", "is_active": "on", "team": team.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    source = WebhookSource.objects.get(name="bridge")
    assert len(source.secret) >= 40
    old = source.secret

    admin_client.post(
        "/admin/lofte_channels/webhooksource/",
        {"action": "new_secret", "_selected_action": [source.pk]},
    )

    source.refresh_from_db()
    assert source.secret != old and len(source.secret) >= 40


# --- concurrency (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_external_id_make_exactly_one_message():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")
    source = WebhookSource.objects.create(name="shop")
    customer_create(name="Karin", email="karin@example.se")
    body = encode(message())
    now = clock.now()
    headers = headers_for(source.secret, body, at=now)
    n = 8
    barrier = threading.Barrier(n)
    results: list[tuple[int, dict[str, Any]]] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=10)
            response = post(body, headers, now=now)
            results.append((response.status_code, response.json()))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(status for status, _ in results) == [200] * (n - 1) + [201]
    message_ids = {body["message_id"] for _, body in results}
    assert len(message_ids) == 1
    assert (Message.objects.count(), Case.objects.count(), WebhookMessage.objects.count()) == (1, 1, 1)
    assert Message.objects.get().pk == message_ids.pop()


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_messages_from_one_new_handle_make_one_customer():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time")
    source = WebhookSource.objects.create(name="shop")
    now = clock.now()
    n = 6
    barrier = threading.Barrier(n)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def deliver(i: int) -> None:
        try:
            payload = {"external_id": f"m-{i}", "from": {"handle": "newbie"}, "text": f"Hello {i}"}
            body = encode(payload)
            barrier.wait(timeout=10)
            statuses.append(post(body, headers_for(source.secret, body, at=now), now=now).status_code)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert statuses == [201] * n
    assert Customer.objects.count() == 1
    assert set(Case.objects.values_list("customer", flat=True)) == {Customer.objects.get().pk}


def test_case_create_is_not_needed_for_duplicates(source):
    """A duplicate that arrives after its case was deleted still answers 200 (with no case), never 500."""
    first = send(source, message()).json()
    Case.objects.filter(reference=first["case"]).delete()
    again = send(source, message())
    assert again.status_code == 200
    assert again.json() == {"case": None, "message_id": None, "duplicate": True, "outcome": "duplicate"}
