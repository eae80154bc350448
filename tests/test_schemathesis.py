"""The whole API under schemathesis: no 5xx, and every answer is one the OpenAPI documents.

The schema is loaded from /api/openapi.json of the WSGI app in-process (no network). Every operation runs
with a bounded number of examples, derandomized so CI sees the same requests every time: the coverage phase
(boundary and just-out-of-range values of every constraint the schema states, missing and wrong-typed
fields, bodies that are not objects) and then FUZZ_EXAMPLES fuzzed requests, valid and invalid. Each
request is sent with an admin's API token (so admin-only operations are reached too) on a database with a
team, a case type, a customer, a case, a calendar, an SLA policy and a callback; a path id or reference is
the real row's about half the time and a generated (mostly missing) one otherwise. The checks:
not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance.

Left out, by name:
- POST /api/v1/inbound/email: its body is a raw message/rfc822 email, which schemathesis cannot make
  meaningfully; lofte/channels/tests/test_inbound_entry.py sends it real messages, broken ones and ones too
  large, and test_inbound_email_answers_are_documented below runs the same checks on its answers.
The SMS provider webhooks are not in the OpenAPI at all (include_in_schema=False: a provider's form post,
authenticated by the token in the address); lofte/channels/tests/test_sms_46elks.py covers them. The signed
webhook (POST /api/v1/inbound/webhook/{source}) is in the run: without a signature every request is a
refusal, which must still be a documented one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application

FUZZ_EXAMPLES = 25
SEED = 20261205
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
EXCLUDED = {
    # raw message/rfc822 body; tested in lofte/channels/tests/test_inbound_entry.py (see the module docstring)
    "POST /api/v1/inbound/email",
}

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "max-examples": FUZZ_EXAMPLES,
            "deterministic": True,  # hypothesis' derandomize: the same examples on every run
            "database": "none",  # and no example database carrying failures from run to run
        },
        "phases": {
            "examples": {"enabled": False},  # the schema has no examples of its own
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    }
)

full_schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application, config=CONFIG)
schema = full_schema.exclude(name=sorted(EXCLUDED))

# The rows of the current test, for the path parameters (filled by the `rows` fixture, read at draw time).
ROWS: dict[str, Any] = {}
PATH_PARAMETER = re.compile(r"{(\w+)}")


@schema.hook
def before_generate_path_parameters(context: Any, strategy: Any) -> Any:
    """Half the time the real row's id or reference, so that operations reach the rows and not only 404s."""
    names = PATH_PARAMETER.findall(context.operation.path)
    if not names or not all(name in ROWS_KEYS for name in names):
        return strategy
    real = st.just(None).map(lambda _: {name: ROWS[name] for name in names})
    return st.one_of(strategy, real)


ROWS_KEYS = {"customer_id", "calendar_id", "policy_id", "reference", "callback_id"}


@pytest.fixture
def rows(db: Any, settings: Any) -> Iterator[dict[str, Any]]:
    from lofte.accounts.models import Role
    from lofte.accounts.services import api_token_create
    from lofte.accounts.tests.factories import AgentFactory, TeamFactory
    from lofte.callbacks.models import CallbackCapacity
    from lofte.callbacks.selectors import callback_slots
    from lofte.callbacks.services import callback_book
    from lofte.cases.services import case_create
    from lofte.cases.tests.factories import CaseTypeFactory
    from lofte.core import clock
    from lofte.customers.services import customer_create
    from lofte.promises.calendars import calendar_create
    from lofte.promises.policies import policy_create

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    team = TeamFactory(name="Support")
    admin = AgentFactory(email="admin@example.com", name="Ada Admin", role=Role.ADMIN, teams=[team])
    case_type = CaseTypeFactory(name="Billing question", default_team=team)
    calendar = calendar_create(name="Support hours", time_zone="Europe/Stockholm")
    policy = policy_create(name="Standard", first_response_minutes=60, first_response_calendar=calendar)
    customer = customer_create(name="Karin Kund", email="karin@example.se", phone="070-123 45 67")
    case = case_create(
        customer=customer,
        subject="Fel belopp",
        body="Fakturan är fel.",
        channel="email",
        team=team,
        case_type=case_type,
        sender="karin@example.se",
    )
    CallbackCapacity.objects.create(team=team, per_slot=2, slot_minutes=15, calendar=calendar)
    slot = callback_slots(team=team, start=clock.now() + timedelta(hours=1), days=7)[0]
    callback = callback_book(team=team, slot_start=slot.start, phone="070-123 45 67", name="Karin")
    ROWS.update(
        token=api_token_create(agent=admin).secret,
        customer_id=customer.pk,
        calendar_id=calendar.pk,
        policy_id=policy.pk,
        reference=case.reference,
        callback_id=callback.pk,
    )
    # Django's test client does this too: the request's end must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield ROWS
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    ROWS.clear()


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api(case: Any, rows: dict[str, Any]) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {rows['token']}"}, checks=CHECKS)


@pytest.mark.parametrize(
    ("query", "raw", "status"),
    [
        ("", "mail", 201),  # a new case
        ("", "mail", 200),  # the same message again: a duplicate
        ("", b"", 200),  # nothing at all: quarantined
        ("?mailbox=nosuch", "mail", 404),
        ("?mailbox=" + "x" * 51, "mail", 422),
    ],
)
def test_inbound_email_answers_are_documented(rows, query, raw, status):
    """The operation left out above, with real messages: every answer must be one its OpenAPI documents."""
    from werkzeug.test import Client as WsgiClient

    from lofte.channels.tests.messages import mail

    body = mail() if raw == "mail" else raw
    client = WsgiClient(application)
    headers = {"Authorization": f"Bearer {rows['token']}", "Content-Type": "message/rfc822"}
    if status == 200 and raw == "mail":  # the duplicate: the same bytes twice
        client.post(f"/api/v1/inbound/email{query}", data=body, headers=headers)
    response = client.post(f"/api/v1/inbound/email{query}", data=body, headers=headers)
    assert response.status_code == status, response.get_data()
    case = full_schema["/api/v1/inbound/email"]["POST"].Case(query={"mailbox": query[9:]} if query else None)
    case.validate_response(response, checks=CHECKS)
