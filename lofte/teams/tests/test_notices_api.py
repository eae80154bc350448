"""The notices' API: admins list every notice with its built-in text and their own, write one and remove it; a bad
placeholder or a text too long for Lofte's SMS is a 422 naming the field; everyone else 403 (or 401) and nothing
changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.accounts.models import Role
from lofte.accounts.tests.api_client import Api
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases import notices
from lofte.cases.models import NoticeKind, NoticeTemplate
from lofte.teams.schemas import LanguageValue, NoticeKindValue

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "sv", "da", "nb", "fi")
SV_TEXT = "Förlåt, {customer_name}! Ärende {reference}: svar senast {when}."


@pytest.fixture
def admin(db):  # type: ignore[no-untyped-def]
    return AgentFactory(email="admin@example.com", role=Role.ADMIN)


@pytest.fixture
def lead(team):  # type: ignore[no-untyped-def]
    return AgentFactory(email="lead@example.com", role=Role.TEAM_LEAD, teams=[team])


def rows() -> list[tuple[object, ...]]:
    return list(NoticeTemplate.objects.order_by("pk").values_list("pk", "kind", "language", "body", "updated_by_id"))


def error(response: Any) -> tuple[int, str, str | None, str]:
    body = response.json()
    return response.status_code, body["code"], body.get("field"), body["message"]


def test_the_schemas_name_every_kind_and_language():
    assert set(NoticeKindValue.__args__) == set(NoticeKind.values)  # type: ignore[attr-defined]
    assert LanguageValue.__args__ == LANGUAGES  # type: ignore[attr-defined]


def test_an_admin_lists_every_notice_with_its_built_in_text_and_their_own(admin):
    NoticeTemplate.objects.create(kind="breach", language="sv", body=SV_TEXT, updated_by=admin)
    response = Api(admin).get("/settings/notices")
    assert response.status_code == 200
    items = response.json()
    assert [(i["kind"], i["language"]) for i in items] == [(k, lang) for k in notices.NOTICES for lang in LANGUAGES]
    breach_sv = next(i for i in items if (i["kind"], i["language"]) == ("breach", "sv"))
    assert breach_sv == {
        "kind": "breach",
        "label": "Broken promise: a new time",
        "language": "sv",
        "placeholders": ["reference", "customer_name", "when"],
        "sms": True,
        "default": notices.default_text("breach", "sv"),
        "override": SV_TEXT,
        "updated_at": breach_sv["updated_at"],
    }
    assert breach_sv["updated_at"] is not None
    wrong = next(i for i in items if (i["kind"], i["language"]) == ("callback_wrong_number", "en"))
    assert (wrong["sms"], wrong["override"], wrong["updated_at"]) == (False, None, None)
    assert wrong["default"].startswith("We tried to call you at {tried}, but the number {phone} did not reach you.")


def test_the_list_costs_the_same_queries_with_one_text_or_every_text(admin):
    api = Api(admin)
    NoticeTemplate.objects.create(kind="breach", language="sv", body=SV_TEXT)
    api.get("/settings/notices")  # the token's first use is written down once
    with CaptureQueriesContext(connection) as one:
        assert api.get("/settings/notices").status_code == 200
    NoticeTemplate.objects.bulk_create(
        NoticeTemplate(kind=kind, language=language, body="{reference}", updated_by=admin)
        for kind in notices.NOTICES
        for language in LANGUAGES
        if (kind, language) != ("breach", "sv")
    )
    with CaptureQueriesContext(connection) as every:
        items = api.get("/settings/notices").json()
    assert sum(1 for i in items if i["override"] is not None) == 5 * len(notices.NOTICES)
    assert len(every.captured_queries) == len(one.captured_queries)
    assert sum("cases_noticetemplate" in q["sql"] for q in every.captured_queries) == 1


def test_an_admin_writes_and_removes_a_text(admin):
    api = Api(admin)
    response = api.put("/settings/notices/breach/sv", {"body": SV_TEXT})
    assert response.status_code == 200
    body = response.json()
    assert (body["kind"], body["language"], body["override"]) == ("breach", "sv", SV_TEXT)
    saved = NoticeTemplate.objects.get()
    assert (saved.kind, saved.language, saved.body, saved.updated_by) == ("breach", "sv", SV_TEXT, admin)
    assert api.put("/settings/notices/breach/sv", {"body": "Förlåt! {when}"}).json()["override"] == "Förlåt! {when}"
    assert NoticeTemplate.objects.count() == 1
    assert api.delete("/settings/notices/breach/sv").status_code == 204
    assert rows() == []
    assert api.delete("/settings/notices/breach/sv").status_code == 204  # nothing to remove: the same answer


def test_putting_the_built_in_text_removes_the_admins_text(admin):
    NoticeTemplate.objects.create(kind="callback_retry", language="fi", body="{tried}")
    response = Api(admin).put(
        "/settings/notices/callback_retry/fi", {"body": notices.default_text("callback_retry", "fi")}
    )
    assert response.status_code == 200 and response.json()["override"] is None
    assert rows() == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"body": "Hej {name}"}, "{name} is not a placeholder; use {reference}, {customer_name}, {when}."),
        ({"body": "Senast {when.__class__}"}, "{when.__class__} is not a placeholder"),
        ({"body": "Senast {when:>99999}"}, "Write {when} alone, with nothing after the name inside the braces."),
        ({"body": "  "}, "Write the text of the notice, or reset it to the built-in text."),
        (
            {"body": "{when} " + "x" * 1100},
            "With the sample values the text is 8 SMS long (GSM-7); Lofte sends at most 6.",
        ),
    ],
)
def test_a_bad_text_is_a_422_naming_the_body(admin, body, message):
    NoticeTemplate.objects.create(kind="breach", language="sv", body=SV_TEXT)
    before = rows()
    status, code, field, text = error(Api(admin).put("/settings/notices/breach/sv", body))
    assert (status, code, field) == (422, "validation_error", "body")
    assert text.startswith(message)
    assert rows() == before


@pytest.mark.parametrize("path", ["/settings/notices/portal_link/sv", "/settings/notices/breach/de"])
def test_a_notice_or_language_lofte_does_not_have_is_404_for_an_admin_and_403_for_others(admin, agent, path):
    assert error(Api(admin).put(path, {"body": "{reference}"}))[:2] == (404, "not_found")
    assert error(Api(admin).delete(path))[:2] == (404, "not_found")
    assert error(Api(agent).put(path, {"body": "{reference}"}))[:2] == (403, "permission_denied")
    assert rows() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [({"text": "x"}, "body"), ({"body": "x\x00"}, "body"), ({"body": "x" * 8001}, "body"), ([SV_TEXT], "body")],
)
def test_bad_input_is_a_422_and_nothing_changes(admin, body, field):
    status, code, named, _message = error(Api(admin).put("/settings/notices/breach/sv", body))
    assert (status, code, named) == (422, "validation_error", field)
    assert rows() == []


@pytest.mark.parametrize("who", ["lead", "agent"])
def test_others_are_refused_and_nothing_changes(lead, agent, who):
    NoticeTemplate.objects.create(kind="breach", language="sv", body=SV_TEXT)
    before = rows()
    api = Api({"lead": lead, "agent": agent}[who])
    for response in (
        api.get("/settings/notices"),
        api.put("/settings/notices/breach/sv", {"body": "Hacked {reference}"}),
        api.put("/settings/notices/breach/fi", {"body": "Hacked"}),
        api.delete("/settings/notices/breach/sv"),
    ):
        status, code, _field, message = error(response)
        assert (status, code) == (403, "permission_denied") and "Only admins" in message
    assert rows() == before


def test_without_a_token_it_is_401_and_nothing_changes():
    api = Api(None)
    assert api.get("/settings/notices").status_code == 401
    assert api.put("/settings/notices/breach/sv", {"body": "Hej {reference}"}).status_code == 401
    assert api.delete("/settings/notices/breach/sv").status_code == 401
    assert rows() == []
