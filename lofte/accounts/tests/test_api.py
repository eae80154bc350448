"""The API's authentication (tokens and session), /me, /teams and the OpenAPI documentation."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lofte.accounts.models import ApiToken, Role
from lofte.accounts.services import api_token_create, api_token_revoke
from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases.models import Case
from lofte.core import clock
from lofte.customers.models import Customer

pytestmark = pytest.mark.django_db

UNAUTHENTICATED = {
    "code": "unauthenticated",
    "message": "Send 'Authorization: Bearer <token>' with a valid, unrevoked API token.",
}
CASE_BODY = {"subject": "Fel belopp", "body": "Fakturan är fel.", "channel": "email", "customer": {"email": "k@x.se"}}


@pytest.fixture(autouse=True)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


class TestTokenAuthentication:
    def test_no_header_is_401_with_the_error_code(self, client, agent):
        # when
        response = client.get("/api/v1/me")
        # then
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response.json() == UNAUTHENTICATED
        assert response["WWW-Authenticate"] == 'Bearer realm="lofte"'

    def test_post_without_any_credentials_is_401_not_a_csrf_error(self, agent):
        # given: a browser-like client that enforces CSRF, with no session and no token
        client = Client(enforce_csrf_checks=True)
        # when
        response = client.post("/api/v1/cases", CASE_BODY, content_type="application/json")
        # then
        assert response.status_code == 401
        assert response.json() == UNAUTHENTICATED
        assert Case.objects.count() == 0

    @pytest.mark.parametrize(
        "header",
        [
            "Bearer lofte_000000000000_not-the-secret",  # unknown prefix
            "Bearer nonsense",  # malformed: no prefix parts
            "Bearer ",  # empty
            "Token lofte_abc_def",  # another scheme
            "lofte_abc_def",  # no scheme at all
        ],
    )
    def test_wrong_or_malformed_token_is_401(self, client, agent, header):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401
        assert response.json() == UNAUTHENTICATED

    def test_right_prefix_with_wrong_secret_is_401(self, client, agent):
        # given
        issued = api_token_create(agent=agent)
        forged = issued.secret[:-4] + ("AAAA" if not issued.secret.endswith("AAAA") else "BBBB")
        # when
        response = client.get("/api/v1/me", headers=bearer(forged))
        # then
        assert response.status_code == 401

    def test_valid_token_is_200_and_names_the_agent(self, client, agent):
        issued = api_token_create(agent=agent)
        response = client.get("/api/v1/me", headers=bearer(issued.secret))
        assert response.status_code == 200
        assert response.json()["email"] == "agent@example.com"

    def test_token_with_surrounding_whitespace_still_works(self, client, agent):
        issued = api_token_create(agent=agent)
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer  {issued.secret} "})
        assert response.status_code == 200

    def test_revoked_token_is_401(self, client, agent):
        # given
        issued = api_token_create(agent=agent)
        assert client.get("/api/v1/me", headers=bearer(issued.secret)).status_code == 200
        # when
        api_token_revoke(token=issued.token)
        # then
        response = client.get("/api/v1/me", headers=bearer(issued.secret))
        assert response.status_code == 401
        assert response.json() == UNAUTHENTICATED

    def test_token_of_an_inactive_agent_is_401(self, client, agent):
        # given
        issued = api_token_create(agent=agent)
        agent.is_active = False
        agent.save(update_fields=["is_active"])
        # when
        response = client.get("/api/v1/me", headers=bearer(issued.secret))
        # then
        assert response.status_code == 401

    def test_a_rejected_token_on_a_write_creates_nothing(self, client, agent):
        issued = api_token_create(agent=agent)
        api_token_revoke(token=issued.token)
        response = client.post(
            "/api/v1/cases", CASE_BODY, content_type="application/json", headers=bearer(issued.secret)
        )
        assert response.status_code == 401
        assert (Case.objects.count(), Customer.objects.count()) == (0, 0)

    def test_the_secret_is_stored_only_as_its_sha256(self, agent):
        # when
        issued = api_token_create(agent=agent, name="CI")
        # then
        row = ApiToken.objects.get()
        prefix, secret_part = issued.secret.split("_")[1], issued.secret.split("_", 2)[2]
        assert issued.secret.startswith(f"lofte_{row.prefix}_")
        assert row.prefix == prefix
        assert row.token_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
        stored = [str(getattr(row, f.attname)) for f in ApiToken._meta.concrete_fields]
        assert not any(secret_part in value or issued.secret in value for value in stored)

    def test_last_used_at_is_set_on_use_and_refreshed_after_a_minute(self, client, agent):
        # given
        issued = api_token_create(agent=agent)
        assert ApiToken.objects.get().last_used_at is None
        first = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
        # when
        with clock.at(first):
            assert client.get("/api/v1/me", headers=bearer(issued.secret)).status_code == 200
        # then
        assert ApiToken.objects.get().last_used_at == first
        # a request within the minute does not write again
        with clock.at(first + timedelta(seconds=30)):
            client.get("/api/v1/me", headers=bearer(issued.secret))
        assert ApiToken.objects.get().last_used_at == first
        with clock.at(first + timedelta(minutes=2)):
            client.get("/api/v1/me", headers=bearer(issued.secret))
        assert ApiToken.objects.get().last_used_at == first + timedelta(minutes=2)


class TestSessionAuthentication:
    def test_logged_in_browser_can_get(self, agent):
        client = Client(enforce_csrf_checks=True)
        client.force_login(agent)
        response = client.get("/api/v1/me")
        assert response.status_code == 200
        assert response.json()["email"] == "agent@example.com"

    def test_session_of_an_inactive_agent_is_401(self, agent):
        client = Client(enforce_csrf_checks=True)
        client.force_login(agent)
        agent.is_active = False
        agent.save(update_fields=["is_active"])
        assert client.get("/api/v1/me").status_code == 401

    def test_post_without_csrf_token_is_403_and_creates_nothing(self, agent):
        # given
        client = Client(enforce_csrf_checks=True)
        client.force_login(agent)
        # when
        response = client.post("/api/v1/cases", CASE_BODY, content_type="application/json")
        # then
        assert response.status_code == 403
        assert response.json()["code"] == "csrf_failed"
        assert (Case.objects.count(), Customer.objects.count()) == (0, 0)

    def test_post_with_csrf_token_works(self, agent):
        # given: the page set the CSRF cookie, and the script sends it back in the header
        client = Client(enforce_csrf_checks=True)
        client.get("/login/")
        csrf = client.cookies["csrftoken"].value
        client.force_login(agent)
        # when
        response = client.post(
            "/api/v1/cases", CASE_BODY, content_type="application/json", headers={"X-CSRFToken": csrf}
        )
        # then
        assert response.status_code == 201
        assert Case.objects.count() == 1

    def test_token_requests_need_no_csrf_token(self, agent):
        client = Client(enforce_csrf_checks=True)
        issued = api_token_create(agent=agent)
        response = client.post(
            "/api/v1/cases", CASE_BODY, content_type="application/json", headers=bearer(issued.secret)
        )
        assert response.status_code == 201


class TestMe:
    def test_me_returns_the_agent_with_role_and_teams(self, client, agent, team, other_team):
        # given
        agent.teams.add(other_team)
        issued = api_token_create(agent=agent)
        # when
        response = client.get("/api/v1/me", headers=bearer(issued.secret))
        # then
        assert response.json() == {
            "id": agent.pk,
            "name": "Alma Agent",
            "email": "agent@example.com",
            "role": "agent",
            "teams": [
                {"id": other_team.pk, "name": "Billing", "email": ""},
                {"id": team.pk, "name": "Support", "email": ""},
            ],
        }

    def test_name_falls_back_to_the_email_local_part(self, client, db):
        admin = AgentFactory(email="root@example.com", name="", role=Role.ADMIN)
        response = client.get("/api/v1/me", headers=bearer(api_token_create(agent=admin).secret))
        assert (response.json()["name"], response.json()["role"], response.json()["teams"]) == ("root", "admin", [])


class TestTeams:
    def test_lists_every_team_by_name(self, client, agent, team, other_team):
        TeamFactory(name="Atlas", email="atlas@example.com")
        response = client.get("/api/v1/teams", headers=bearer(api_token_create(agent=agent).secret))
        assert response.status_code == 200
        assert [(t["name"], t["email"]) for t in response.json()] == [
            ("Atlas", "atlas@example.com"),
            ("Billing", ""),
            ("Support", ""),
        ]

    def test_unauthenticated_is_401(self, client, team):
        assert client.get("/api/v1/teams").status_code == 401

    def test_query_count_does_not_grow_with_the_number_of_teams(self, client, agent):
        headers = bearer(api_token_create(agent=agent).secret)
        client.get("/api/v1/me", headers=headers)  # the token's last_used_at is written once
        TeamFactory.create_batch(4)
        with CaptureQueriesContext(connection) as few:
            response = client.get("/api/v1/teams", headers=headers)
        assert len(response.json()) == 5
        TeamFactory.create_batch(45)
        with CaptureQueriesContext(connection) as many:
            response = client.get("/api/v1/teams", headers=headers)
        assert len(response.json()) == 50
        assert len(few) == len(many)


class TestDocumentation:
    def test_docs_page_is_html(self, client, db):
        response = client.get("/api/docs")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert b"openapi.json" in response.content

    def test_openapi_schema_lists_the_paths_and_the_bearer_scheme(self, client, db):
        response = client.get("/api/openapi.json")
        assert response.status_code == 200
        schema = response.json()
        assert schema["info"]["title"] == "Lofte API"
        assert {
            "/api/v1/cases",
            "/api/v1/cases/{reference}",
            "/api/v1/cases/{reference}/messages",
            "/api/v1/cases/{reference}/replies",
            "/api/v1/cases/{reference}/notes",
            "/api/v1/cases/{reference}/events",
            "/api/v1/case-types",
            "/api/v1/customers",
            "/api/v1/customers/lookup",
            "/api/v1/customers/{customer_id}",
            "/api/v1/teams",
            "/api/v1/me",
        } <= set(schema["paths"])
        assert set(schema["paths"]["/api/v1/cases"]) == {"get", "post"}
        assert set(schema["paths"]["/api/v1/cases/{reference}"]) == {"get", "patch"}
        assert schema["components"]["securitySchemes"]["BearerTokenAuth"] == {"type": "http", "scheme": "bearer"}
        assert [p["name"] for p in schema["paths"]["/api/v1/cases"]["get"]["parameters"]] == [
            "view",
            "status",
            "team",
            "assignee",
            "channel",
            "case_type",
            "tag",
            "q",
            "sort",
            "customer",
            "cursor",
            "limit",
        ]
        assert not any("rest" in path for path in schema["paths"])


class TestUnknownEndpoint:
    @pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
    def test_unknown_address_is_a_json_404(self, client, agent, method):
        headers = bearer(api_token_create(agent=agent).secret)
        response = getattr(client, method)("/api/v1/no/such/thing", headers=headers)
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "There is no API endpoint /api/v1/no/such/thing."}

    def test_unknown_address_is_404_without_credentials_too(self, client, db):
        assert client.get("/api/v1/nothing").json()["code"] == "not_found"
