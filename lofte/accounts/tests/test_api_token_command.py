"""`lofte api_token create|list|revoke`: the printed secret works as a Bearer token until revoked."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lofte.accounts.models import ApiToken
from lofte.accounts.services import api_token_revoke

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r"lofte_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


@pytest.fixture(autouse=True)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


class TestCreate:
    def test_prints_exactly_the_secret_on_stdout(self, client, agent):
        # when
        out, err = run("create", "--user", "agent@example.com", "--name", "CI")
        # then: stdout is the secret and a newline, nothing else (so $(lofte api_token create ...) works)
        secret = out.removesuffix("\n")
        assert out == f"{secret}\n"
        assert TOKEN_RE.fullmatch(secret)
        token = ApiToken.objects.get()
        assert (token.agent, token.name, token.revoked_at) == (agent, "CI", None)
        assert secret.split("_")[1] == token.prefix
        assert token.prefix in err
        # and the secret is a working Bearer token
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert (response.status_code, response.json()["id"]) == (200, agent.pk)

    def test_email_is_matched_case_insensitively(self, agent):
        run("create", "--user", "  AGENT@Example.com ")
        assert ApiToken.objects.get().agent == agent

    def test_unknown_user_is_a_command_error_and_creates_nothing(self, agent):
        with pytest.raises(CommandError, match=r"^No agent with the email address nobody@example\.com\.$"):
            run("create", "--user", "nobody@example.com")
        assert ApiToken.objects.count() == 0

    def test_inactive_agent_gets_no_token(self, agent):
        agent.is_active = False
        agent.save(update_fields=["is_active"])
        with pytest.raises(CommandError, match=r"^An inactive agent cannot get an API token\.$"):
            run("create", "--user", "agent@example.com")
        assert ApiToken.objects.count() == 0


class TestList:
    def test_lists_the_agents_tokens_with_state(self, agent, outsider):
        # given
        run("create", "--user", "agent@example.com", "--name", "first")
        run("create", "--user", "agent@example.com", "--name", "second")
        run("create", "--user", "outsider@example.com", "--name", "theirs")
        first = ApiToken.objects.get(name="first")
        api_token_revoke(token=first)
        # when
        out, _ = run("list", "--user", "agent@example.com")
        # then
        lines = sorted(out.splitlines())
        second = ApiToken.objects.get(name="second")
        assert lines == sorted(
            [f"{first.prefix}\trevoked\tfirst\tlast used never", f"{second.prefix}\tactive\tsecond\tlast used never"]
        )

    def test_unknown_user_is_a_command_error(self, db):
        with pytest.raises(CommandError):
            run("list", "--user", "nobody@example.com")


class TestRevoke:
    def test_revoked_token_stops_working(self, client, agent):
        # given
        out, _ = run("create", "--user", "agent@example.com")
        secret = out.strip()
        headers = {"Authorization": f"Bearer {secret}"}
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        prefix = ApiToken.objects.get().prefix
        # when
        out, _ = run("revoke", prefix)
        # then
        assert out == f"Token {prefix} revoked.\n"
        assert ApiToken.objects.get().revoked_at is not None
        response = client.get("/api/v1/me", headers=headers)
        assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")

    def test_revoking_twice_keeps_the_first_revocation_time(self, agent):
        run("create", "--user", "agent@example.com")
        token = ApiToken.objects.get()
        run("revoke", token.prefix)
        revoked_at = ApiToken.objects.get().revoked_at
        run("revoke", token.prefix)
        assert ApiToken.objects.get().revoked_at == revoked_at

    def test_unknown_prefix_is_a_command_error(self, agent):
        run("create", "--user", "agent@example.com")
        with pytest.raises(CommandError, match=r"^No API token with the prefix 000000000000\.$"):
            run("revoke", "000000000000")
        assert ApiToken.objects.get().revoked_at is None
