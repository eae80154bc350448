"""The two other ways in: POST /api/v1/inbound/email and `lofte email_ingest` (files, directories, stdin)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lofte.accounts.models import Role
from lofte.accounts.tests.api_client import Api
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import Case
from lofte.channels.models import InboundEmail, Mailbox
from lofte.channels.tests.messages import mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_agent(team):
    return AgentFactory(email="admin@example.com", name="Ada Admin", role=Role.ADMIN, teams=[team])


@pytest.fixture
def mailbox(team):
    return Mailbox.objects.create(name="support", address="support@lofte.test", team=team)


def post_raw(api: Api, raw: bytes, query: str = ""):
    return api.client.post(f"/api/v1/inbound/email{query}", raw, content_type="message/rfc822", headers=api.headers)


# --- HTTP ------------------------------------------------------------------------------


def test_posting_a_raw_message_opens_a_case(admin_agent, mailbox):
    response = post_raw(Api(admin_agent), mail(), "?mailbox=support")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "created"
    assert body["error"] is None
    assert body["visible_text"] == "Hej!\n\nFakturan är fel.\n\nMvh Karin"
    case = Case.objects.get(reference=body["case"])
    assert case.team == mailbox.team
    assert InboundEmail.objects.get(pk=body["inbound_id"]).source == "api"


def test_posting_the_same_message_again_answers_200_duplicate(admin_agent, mailbox):
    api = Api(admin_agent)
    first = post_raw(api, mail()).json()
    again = post_raw(api, mail())
    assert again.status_code == 200
    assert (again.json()["outcome"], again.json()["case"]) == ("duplicate", first["case"])


def test_a_quarantined_message_answers_200_with_the_reason(admin_agent, mailbox):
    response = post_raw(Api(admin_agent), b"this is not an email")
    assert response.status_code == 200
    assert response.json()["outcome"] == "quarantined"
    assert response.json()["error"]


def test_a_message_larger_than_djangos_upload_limit_is_accepted(admin_agent, mailbox, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post_raw(Api(admin_agent), mail(body="lång text " * 2000))
    assert response.status_code == 201, response.content


def test_over_the_email_limit_is_refused_and_nothing_is_stored(admin_agent, mailbox, settings):
    settings.LOFTE_EMAIL_MAX_BYTES = 1000
    response = post_raw(Api(admin_agent), mail(body="x" * 2000))
    assert response.status_code == 422
    assert response.json()["code"] == "too_large"
    assert InboundEmail.objects.count() == 0


def test_an_unknown_mailbox_is_a_404_naming_it(admin_agent, mailbox):
    response = post_raw(Api(admin_agent), mail(), "?mailbox=nope")
    assert response.status_code == 404
    assert "nope" in response.json()["message"]
    assert InboundEmail.objects.count() == 0


def test_only_an_admin_token_may_post(agent, mailbox):
    assert post_raw(Api(None), mail()).status_code == 401
    response = post_raw(Api(agent), mail())
    assert response.status_code == 403
    assert InboundEmail.objects.count() == 0


# --- the command -------------------------------------------------------------------------


def run(*args: str, stdin: bytes | None = None, monkeypatch=None) -> list[dict]:
    out = io.StringIO()
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    call_command("email_ingest", "--json", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_the_command_files_a_directory_recursively_one_json_line_each(tmp_path: Path, mailbox):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.eml").write_bytes(mail(message_id="<one@x>", subject="Ett"))
    (tmp_path / "two.eml").write_bytes(mail(message_id="<two@x>", subject="Två"))
    (tmp_path / "broken.eml").write_bytes(b"")
    lines = run(str(tmp_path), "--mailbox", "support")
    by_file = {Path(line["file"]).name: line for line in lines}
    assert set(by_file) == {"one.eml", "two.eml", "broken.eml"}
    assert list(by_file["one.eml"]) == ["file", "outcome", "case", "visible_text", "error"]
    assert by_file["one.eml"]["outcome"] == by_file["two.eml"]["outcome"] == "created"
    assert by_file["broken.eml"] == {
        "file": str(tmp_path / "broken.eml"),
        "outcome": "quarantined",
        "case": None,
        "visible_text": None,
        "error": by_file["broken.eml"]["error"],
    }
    assert by_file["broken.eml"]["error"]
    assert InboundEmail.objects.filter(source="cli").count() == 3


def test_the_command_reads_standard_input(monkeypatch, mailbox):
    [line] = run("-", stdin=mail(message_id="<stdin@x>"), monkeypatch=monkeypatch)
    assert (line["file"], line["outcome"]) == ("-", "created")


def test_the_command_refuses_an_unknown_mailbox_and_a_missing_path(tmp_path, mailbox):
    with pytest.raises(CommandError, match="no mailbox named 'nope'"):
        call_command("email_ingest", str(tmp_path), "--mailbox", "nope")
    with pytest.raises(CommandError, match="No such file"):
        call_command("email_ingest", str(tmp_path / "missing.eml"))
    assert InboundEmail.objects.count() == 0


def test_the_command_without_json_prints_a_line_and_a_summary(tmp_path, mailbox):
    path = tmp_path / "m.eml"
    path.write_bytes(mail())
    out, err = io.StringIO(), io.StringIO()
    call_command("email_ingest", str(path), stdout=out, stderr=err)
    reference = Case.objects.get().reference
    assert out.getvalue().strip() == f"{path}: created {reference}"
    assert err.getvalue().strip() == "1 messages: 1 created"
