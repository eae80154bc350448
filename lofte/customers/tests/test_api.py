"""The customers API: list (keyset pages), get, create, update, lookup by identity."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.accounts.tests.api_client import Api
from lofte.customers.models import Customer, CustomerIdentity, Organisation
from lofte.customers.services import customer_create, organisation_get_or_create
from lofte.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api(agent) -> Api:  # type: ignore[no-untyped-def]
    return Api(agent)


def identities(customer: Customer) -> list[tuple[str, str, bool]]:
    return sorted(customer.identities.values_list("kind", "value", "is_primary"))


def error(response: Any) -> tuple[int, str, str | None]:
    body = response.json()
    return response.status_code, body["code"], body.get("field")


class TestList:
    def test_lists_customers_by_name_with_identities_and_organisation(self, api, customer):
        # given
        customer.organisation = organisation_get_or_create(name="Acme AB")
        customer.save(update_fields=["organisation"])
        customer_create(name="Anders", email="anders@example.se")
        # when
        response = api.get("/customers")
        # then
        assert response.status_code == 200
        body = response.json()
        assert body["next_cursor"] is None
        assert [c["name"] for c in body["items"]] == ["Anders", "Karin Kund"]
        karin = body["items"][1]
        assert karin["organisation"] == {"id": customer.organisation_id, "name": "Acme AB"}
        assert karin["identities"] == [
            {"kind": "email", "value": "karin@example.se", "is_primary": True, "proven": True, "proof": "agent"},
            {"kind": "phone", "value": "+46701234567", "is_primary": True, "proven": True, "proof": "agent"},
        ]
        assert (karin["tier"], karin["language"]) == ("B", "sv")

    def test_q_searches_name_organisation_and_identities(self, api, customer):
        customer_create(name="Anders", email="anders@firma.se")
        assert [c["name"] for c in api.get("/customers", {"q": "kund"}).json()["items"]] == ["Karin Kund"]
        assert [c["name"] for c in api.get("/customers", {"q": "FIRMA"}).json()["items"]] == ["Anders"]
        assert api.get("/customers", {"q": "nobody"}).json()["items"] == []

    def test_walks_every_customer_exactly_once_in_name_order(self, api, db):
        # given: names that repeat, so ties are broken by id
        for name in ["Eva", "Adam", "Eva", "Bo", "", "Cecilia", "Adam"]:
            CustomerFactory(name=name)
        expected = list(Customer.objects.order_by("name", "id").values_list("id", flat=True))
        # when
        seen: list[int] = []
        cursor = None
        for _page in range(10):
            params: dict[str, Any] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            body = api.get("/customers", params).json()
            assert len(body["items"]) <= 2
            seen += [c["id"] for c in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        # then
        assert seen == expected

    def test_bad_cursor_is_422_naming_the_cursor(self, api, customer):
        assert error(api.get("/customers", {"cursor": "not-a-cursor"})) == (422, "validation_error", "cursor")

    def test_bad_limit_is_422_naming_the_limit(self, api, customer):
        assert error(api.get("/customers", {"limit": "many"})) == (422, "validation_error", "limit")

    def test_query_count_does_not_grow_with_the_rows(self, api, db):
        api.get("/me")  # the token's last_used_at is written once
        for _ in range(5):
            CustomerFactory()
        with CaptureQueriesContext(connection) as few:
            response = api.get("/customers", {"limit": 100})
        assert len(response.json()["items"]) == 5
        for _ in range(45):
            CustomerFactory()
        with CaptureQueriesContext(connection) as many:
            response = api.get("/customers", {"limit": 100})
        assert len(response.json()["items"]) == 50
        assert len(few) == len(many)


class TestGet:
    def test_returns_the_customer(self, api, customer):
        response = api.get(f"/customers/{customer.pk}")
        assert response.status_code == 200
        assert response.json()["id"] == customer.pk
        assert response.json()["name"] == "Karin Kund"

    def test_unknown_is_404(self, api, customer):
        response = api.get(f"/customers/{customer.pk + 1000}")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": f"Customer {customer.pk + 1000} not found."}

    def test_unauthenticated_is_401(self, client, customer):
        assert client.get(f"/api/v1/customers/{customer.pk}").status_code == 401


class TestCreate:
    def test_creates_with_normalised_identities_and_organisation(self, api, db):
        # when
        response = api.post(
            "/customers",
            {
                "name": " Per Persson ",
                "email": "Per@Example.SE",
                "phone": "070-765 43 21",
                "handle": "@per",
                "tier": "A",
                "language": "sv",
                "organisation": "Kommunen",
            },
        )
        # then
        assert response.status_code == 201
        customer = Customer.objects.get()
        assert response.json()["id"] == customer.pk
        assert (customer.name, customer.tier, customer.language, customer.organisation.name) == (
            "Per Persson",
            "A",
            "sv",
            "Kommunen",
        )
        assert identities(customer) == [
            ("email", "per@example.se", True),
            ("handle", "@per", True),
            ("phone", "+46707654321", True),
        ]
        assert response.json()["identities"] == [
            {"kind": "email", "value": "per@example.se", "is_primary": True, "proven": True, "proof": "agent"},
            {"kind": "handle", "value": "@per", "is_primary": True, "proven": True, "proof": "agent"},
            {"kind": "phone", "value": "+46707654321", "is_primary": True, "proven": True, "proof": "agent"},
        ]

    def test_existing_organisation_is_reused(self, api, db):
        organisation = organisation_get_or_create(name="Kommunen")
        api.post("/customers", {"name": "A", "organisation": "kommunen"})
        assert Customer.objects.get().organisation == organisation
        assert Organisation.objects.count() == 1

    def test_duplicate_email_is_422_naming_email_and_creates_nothing(self, api, customer):
        # when
        response = api.post("/customers", {"name": "Imposter", "email": "KARIN@example.se"})
        # then
        assert error(response) == (422, "validation_error", "email")
        assert response.json()["message"] == f"karin@example.se already belongs to customer #{customer.pk}."
        assert Customer.objects.count() == 1

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"email": "not-an-email"}, "email"),
            ({"phone": "12"}, "phone"),
            ({"tier": "Z"}, "tier"),
            ({"language": "de"}, "language"),
            ({"name": "x" * 201}, "name"),
            ({"organisation": "   "}, "organisation"),
        ],
    )
    def test_bad_field_is_422_naming_it_and_creates_nothing(self, api, db, body, field):
        response = api.post("/customers", body)
        assert error(response) == (422, "validation_error", field)
        assert (Customer.objects.count(), Organisation.objects.count()) == (0, 0)


class TestUpdate:
    def test_changes_tier_language_and_organisation(self, api, customer):
        # when
        response = api.patch(f"/customers/{customer.pk}", {"tier": "A", "language": "en", "organisation": "Acme"})
        # then
        assert response.status_code == 200
        customer.refresh_from_db()
        assert (customer.tier, customer.language, customer.organisation.name, customer.name) == (
            "A",
            "en",
            "Acme",
            "Karin Kund",
        )
        assert response.json()["organisation"]["name"] == "Acme"

    def test_empty_organisation_clears_it(self, api, customer):
        api.patch(f"/customers/{customer.pk}", {"organisation": "Acme"})
        response = api.patch(f"/customers/{customer.pk}", {"organisation": ""})
        assert response.json()["organisation"] is None
        customer.refresh_from_db()
        assert customer.organisation is None

    def test_add_email_adds_a_normalised_identity(self, api, customer):
        response = api.patch(
            f"/customers/{customer.pk}", {"add_email": "Karin.Work@Example.se", "add_phone": "08-123 456 78"}
        )
        assert response.status_code == 200
        assert identities(customer) == [
            ("email", "karin.work@example.se", False),
            ("email", "karin@example.se", True),
            ("phone", "+46701234567", True),
            ("phone", "+46812345678", False),
        ]

    def test_add_email_of_another_customer_is_422_naming_add_email_and_changes_nothing(self, api, customer):
        # given
        other = customer_create(name="Other", email="other@example.se")
        before = Customer.objects.get(pk=customer.pk)
        # when
        response = api.patch(f"/customers/{customer.pk}", {"tier": "C", "add_email": "other@example.se"})
        # then
        assert error(response) == (422, "validation_error", "add_email")
        after = Customer.objects.get(pk=customer.pk)
        assert (after.tier, after.updated_at) == (before.tier, before.updated_at)
        assert identities(other) == [("email", "other@example.se", True)]
        assert CustomerIdentity.objects.count() == 3

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"add_email": "not-an-email"}, "add_email"),
            ({"add_phone": "12"}, "add_phone"),
            ({"tier": "Z"}, "tier"),
            ({"language": "xx"}, "language"),
        ],
    )
    def test_bad_field_is_422_naming_it_and_changes_nothing(self, api, customer, body, field):
        before = Customer.objects.get(pk=customer.pk)
        response = api.patch(f"/customers/{customer.pk}", {"name": "Changed", **body})
        assert error(response) == (422, "validation_error", field)
        after = Customer.objects.get(pk=customer.pk)
        assert (after.name, after.tier, after.language, after.updated_at) == (
            before.name,
            before.tier,
            before.language,
            before.updated_at,
        )
        assert CustomerIdentity.objects.count() == 2

    def test_unknown_customer_is_404(self, api, customer):
        response = api.patch(f"/customers/{customer.pk + 1000}", {"tier": "A"})
        assert error(response) == (404, "not_found", None)


class TestLookup:
    @pytest.mark.parametrize(
        "params",
        [
            {"email": "karin@example.se"},
            {"email": "  KARIN@Example.SE "},
            {"phone": "+46701234567"},
            {"phone": "070-123 45 67"},
            {"phone": "0046 70 123 45 67"},
        ],
    )
    def test_finds_by_any_spelling_of_an_identity(self, api, customer, params):
        response = api.get("/customers/lookup", params)
        assert response.status_code == 200
        assert response.json()["id"] == customer.pk

    def test_finds_by_handle(self, api, db):
        customer = customer_create(name="Chatter", handle="@chatter")
        assert api.get("/customers/lookup", {"handle": "@chatter"}).json()["id"] == customer.pk

    @pytest.mark.parametrize(
        "params", [{"email": "nobody@example.se"}, {"phone": "+46707777777"}, {"handle": "@nobody"}]
    )
    def test_unknown_identity_is_404(self, api, customer, params):
        assert error(api.get("/customers/lookup", params)) == (404, "not_found", None)

    @pytest.mark.parametrize(("params", "field"), [({"email": "nope"}, "email"), ({"phone": "12"}, "phone")])
    def test_malformed_identity_is_422_naming_it(self, api, customer, params, field):
        assert error(api.get("/customers/lookup", params)) == (422, "validation_error", field)

    def test_without_any_identity_is_422(self, api, customer):
        assert error(api.get("/customers/lookup")) == (422, "validation_error", "email")


NOT_OBJECTS = ["[null, null]", "null", "5", '"x"', "[]", "true"]


def send_raw(api: Api, method: str, path: str, raw: str) -> Any:
    """A request whose body is exactly `raw` (JSON text)."""
    return getattr(api.client, method)(f"/api/v1{path}", raw, content_type="application/json", headers=api.headers)


def customer_state(customer: Customer) -> tuple[Any, ...]:
    row = Customer.objects.get(pk=customer.pk)
    return (row.name, row.tier, row.language, row.time_zone, row.notes, row.organisation_id, row.updated_at)


class TestInputBounds:
    """A body that is not an object was read as 'no fields': it created empty customers and passed as a PATCH."""

    @pytest.mark.parametrize("raw", NOT_OBJECTS)
    def test_create_with_a_body_that_is_not_an_object_is_422_naming_body_and_creates_nothing(self, api, db, raw):
        response = send_raw(api, "post", "/customers", raw)
        assert error(response) == (422, "validation_error", "body")
        assert response.json()["message"] == "body: Input should be a JSON object"
        assert (Customer.objects.count(), CustomerIdentity.objects.count(), Organisation.objects.count()) == (0, 0, 0)

    @pytest.mark.parametrize("raw", NOT_OBJECTS)
    def test_update_with_a_body_that_is_not_an_object_is_422_and_changes_nothing(self, api, customer, raw):
        before, identities_before = customer_state(customer), identities(customer)
        response = send_raw(api, "patch", f"/customers/{customer.pk}", raw)
        assert error(response) == (422, "validation_error", "body")
        assert (customer_state(customer), identities(customer)) == (before, identities_before)

    def test_update_with_an_empty_object_answers_the_customer_unchanged(self, api, customer):
        before, identities_before = customer_state(customer), identities(customer)
        response = api.patch(f"/customers/{customer.pk}", {})
        assert response.status_code == 200
        assert (response.json()["id"], response.json()["name"]) == (customer.pk, "Karin Kund")
        assert (customer_state(customer), identities(customer)) == (before, identities_before)

    @pytest.mark.parametrize("customer_id", ["0", "-1", str(2**63), "1" * 20])
    def test_an_id_outside_1_to_the_bigint_is_422_naming_it(self, api, customer, customer_id):
        assert error(api.get(f"/customers/{customer_id}")) == (422, "validation_error", "customer_id")
        before = customer_state(customer)
        assert error(api.patch(f"/customers/{customer_id}", {"name": "X"})) == (422, "validation_error", "customer_id")
        assert customer_state(customer) == before

    @pytest.mark.parametrize(
        ("params", "field"),
        [({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"q": "x" * 201}, "q"), ({"q": "a\x00"}, "q")],
    )
    def test_list_parameter_out_of_range_is_422_naming_it(self, api, customer, params, field):
        assert error(api.get("/customers", params)) == (422, "validation_error", field)

    def test_a_nul_character_is_422_naming_the_field_and_creates_nothing(self, api, db):
        response = api.post("/customers", {"name": "Karin\x00", "email": "karin@example.se"})
        assert error(response) == (422, "validation_error", "name")
        assert Customer.objects.count() == 0
