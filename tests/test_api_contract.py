"""config/api.py: the errors every operation can send are in the OpenAPI with the error body, a wrong method
is a JSON 405, a body that is not JSON is a 400 naming body."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from lofte.accounts.tests.api_client import Api
from lofte.customers.models import Customer

pytestmark = pytest.mark.django_db

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


@pytest.fixture(autouse=True)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def openapi(client: Client) -> dict[str, Any]:
    return client.get("/api/openapi.json").json()


def operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, methods in openapi["paths"].items() for method, op in methods.items()]


def error_schema(op: dict[str, Any], status: str) -> Any:
    return op["responses"][status]["content"]["application/json"]["schema"]


class TestOpenApi:
    def test_the_error_body_is_a_component_with_code_message_field_and_errors(self, openapi):
        error = openapi["components"]["schemas"]["ErrorOut"]
        assert error["required"] == ["code", "message"]
        assert set(error["properties"]) == {"code", "message", "field", "errors"}

    def test_every_authenticated_operation_documents_401_with_the_error_body(self, openapi):
        authenticated = [(p, m, op) for p, m, op in operations(openapi) if op.get("security")]
        assert len(authenticated) == 116  # all but the signed webhook
        for path, method, op in authenticated:
            assert error_schema(op, "401") == ERROR_REF, (method, path)
            assert "WWW-Authenticate" in op["responses"]["401"]["headers"]

    def test_every_unsafe_operation_a_session_may_call_documents_403(self, openapi):
        for path, method, op in operations(openapi):
            if op.get("security") and method in ("post", "patch"):
                assert error_schema(op, "403") == ERROR_REF, (method, path)

    def test_every_operation_with_input_documents_422_and_with_a_json_body_400(self, openapi):
        for path, method, op in operations(openapi):
            if op.get("parameters") or op.get("requestBody"):
                assert error_schema(op, "422") == ERROR_REF, (method, path)
            if "application/json" in op.get("requestBody", {}).get("content", {}):
                assert error_schema(op, "400") == ERROR_REF, (method, path)

    def test_operations_with_an_id_in_the_path_document_404(self, openapi):
        for path, method, op in operations(openapi):
            if "{" in path:
                assert "404" in op["responses"], (method, path)

    def test_ids_and_counts_state_their_range(self, openapi):
        get_customer = openapi["paths"]["/api/v1/customers/{customer_id}"]["get"]
        (customer_id,) = get_customer["parameters"]
        assert (customer_id["schema"]["minimum"], customer_id["schema"]["maximum"]) == (1, 2**63 - 1)
        slots = {p["name"]: p["schema"] for p in openapi["paths"]["/api/v1/callbacks/slots"]["get"]["parameters"]}
        assert (slots["days"]["minimum"], slots["days"]["maximum"]) == (1, 31)
        kept = {p["name"]: p["schema"] for p in openapi["paths"]["/api/v1/callbacks/kept"]["get"]["parameters"]}
        assert (kept["days"]["minimum"], kept["days"]["maximum"]) == (1, 366)
        cases = {p["name"]: p["schema"] for p in openapi["paths"]["/api/v1/cases"]["get"]["parameters"]}
        assert (cases["limit"]["minimum"], cases["limit"]["maximum"]) == (1, 100)
        assert cases["sort"]["enum"] == [
            "-updated_at",
            "updated_at",
            "-created_at",
            "created_at",
            "next_due_at",
            "-priority",
            "relevance",
        ]

    def test_the_raw_email_endpoint_says_its_body_is_a_message(self, openapi):
        op = openapi["paths"]["/api/v1/inbound/email"]["post"]
        assert list(op["requestBody"]["content"]) == ["message/rfc822"]


class TestErrors:
    def test_a_wrong_method_is_a_json_405_with_allow(self, agent):
        api = Api(agent)
        response = api.client.delete("/api/v1/customers/1", headers=api.headers)
        assert response.status_code == 405
        assert response["Content-Type"].startswith("application/json")
        assert response["Allow"] == "GET, PATCH"
        assert response.json() == {
            "code": "method_not_allowed",
            "message": "DELETE is not allowed here; use GET, PATCH.",
        }

    def test_a_wrong_method_is_405_without_credentials_too(self, client):
        response = client.put("/api/v1/cases")
        assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")

    def test_a_body_that_is_not_json_is_400_naming_body_and_creates_nothing(self, agent):
        api = Api(agent)
        response = api.client.post("/api/v1/customers", "{name: ", content_type="application/json", headers=api.headers)
        assert response.status_code == 400
        assert response.json() == {
            "code": "bad_request",
            "message": "The request body is not valid JSON.",
            "field": "body",
        }
        assert Customer.objects.count() == 0

    def test_an_unknown_address_is_still_a_json_404(self, agent):
        api = Api(agent)
        response = api.client.get("/api/v1/nothing/here", headers=api.headers)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_a_429_says_when_to_try_again(rf):
    """No operation answers 429 today; when a domain error with that status reaches the API, it has Retry-After."""
    from config.api import on_domain_error
    from lofte.outbox.services import AutomaticLimitReached

    response = on_domain_error(rf.get("/api/v1/cases"), AutomaticLimitReached("Too many automatic messages."))
    assert (response.status_code, response["Retry-After"]) == (429, "3600")
