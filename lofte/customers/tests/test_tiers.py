"""Tiers by rule (contract, then annual revenue) and by CSV import or API: lines that cannot be used are named
and change nothing; an import never creates or joins a customer; only admins import."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.customers.models import Customer, TierRule
from lofte.customers.services import customer_create
from lofte.customers.tiers import customers_import, tier_by_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(db):
    return TierRule.objects.create(
        pk=1, a_from=Decimal("1000000"), b_from=Decimal("100000"), contract_tiers={"Guld": "A"}
    )


def test_the_rule(rule):
    assert tier_by_rule(revenue=Decimal("2000000"), contract="", rule=rule) == "A"
    assert tier_by_rule(revenue=Decimal("100000"), contract="", rule=rule) == "B"
    assert tier_by_rule(revenue=Decimal("99999.99"), contract="", rule=rule) == "C"
    assert tier_by_rule(revenue=Decimal("5"), contract="Guld", rule=rule) == "A"  # the contract decides
    assert tier_by_rule(revenue=None, contract="Brons", rule=rule) is None  # the rule says nothing
    assert tier_by_rule(revenue=Decimal("5"), contract="", rule=TierRule()) is None


def test_an_import_applies_good_lines_and_names_the_others(rule):
    big = customer_create(name="Big", email="big@example.se")
    small = customer_create(name="Small", email="small@example.se", phone="070-111 22 33")
    gold = customer_create(name="Gold", email="gold@example.se")
    fixed = customer_create(name="Fixed", email="fixed@example.se", tier="B")
    text = (
        "email,phone,tier,revenue,contract\n"
        "BIG@example.se,,,2 500 000,\n"
        ",070-111 22 33,,50000,\n"
        "gold@example.se,,,,Guld\n"
        "fixed@example.se,,C,9000000,\n"
        "nobody@example.se,,,100,\n"
        "big@example.se,,,lots,\n"
        "small@example.se,,Z,,\n"
        ",,,,\n"
    )
    result = customers_import(text=text)
    assert (result.updated, result.unchanged) == (4, 0)
    assert result.errors == [
        (6, "No such customer (an import never creates customers)."),
        (7, "'lots' is not an amount."),
        (8, "'Z' is not a customer tier."),
        (9, "The line names no customer: give email, phone or id."),
    ]
    tiers = dict(Customer.objects.values_list("name", "tier"))
    assert tiers == {"Big": "A", "Small": "C", "Gold": "A", "Fixed": "C"}
    big.refresh_from_db()
    assert big.annual_revenue == Decimal("2500000.00")
    assert Customer.objects.count() == 4  # never created
    del small, gold, fixed


def test_a_file_without_the_columns_is_refused(rule):
    from lofte.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        customers_import(text="name,tier\nKarin,A\n")
    with pytest.raises(ValidationFailed):
        customers_import(text="email,colour\nkarin@example.se,red\n")


def test_the_page_and_the_api_are_for_admins(client, rule, agent):
    customer_create(name="Big", email="big@example.se")
    client.force_login(agent)
    assert client.get("/customers/import").status_code == 403
    response = client.post("/api/v1/imports/customers", {"csv": "email,tier\nbig@example.se,A\n"}, "application/json")
    assert response.status_code == 403
    assert Customer.objects.get().tier == "B"
    client.force_login(AgentFactory(role=Role.ADMIN))
    response = client.post("/api/v1/imports/customers", {"csv": "email,tier\nbig@example.se,A\n"}, "application/json")
    assert response.json() == {"updated": 1, "unchanged": 0, "errors": []}
    page = client.post("/customers/import", {"csv": "email,revenue\nbig@example.se,50\nnone@example.se,1\n"})
    text = page.content.decode()
    assert "1 customers updated, 0 unchanged." in text and "Line 3: No such customer" in text
    assert Customer.objects.get().tier == "C"
    assert client.post("/customers/import", {"csv": ""}).status_code == 422


def test_the_api_sets_revenue_and_the_rule_gives_the_tier(client, rule, agent, customer):
    client.force_login(agent)
    response = client.patch(f"/api/v1/customers/{customer.pk}", {"annual_revenue": "150000"}, "application/json")
    assert response.status_code == 200, response.json()
    assert (response.json()["tier"], response.json()["annual_revenue"]) == ("B", "150000.00")
    response = client.patch(f"/api/v1/customers/{customer.pk}", {"contract": "Guld", "tier": "C"}, "application/json")
    assert response.json()["tier"] == "C"  # a tier given outright wins over the rule
    response = client.patch(f"/api/v1/customers/{customer.pk}", {"annual_revenue": "-1"}, "application/json")
    assert response.status_code == 422
