from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lofte.cases.tests.factories import make_case
from lofte.customers.services import customer_create, organisation_get_or_create
from lofte.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def logged_in(client, agent):
    client.force_login(agent)
    return client


def test_customer_page_shows_identities_tier_language_organisation_and_cases(logged_in, team, other_team):
    karin = customer_create(
        name="Karin Kund",
        email="karin@example.se",
        phone="+46701234567",
        tier="A",
        language="sv",
        organisation=organisation_get_or_create(name="Vasa AB"),
    )
    mine = make_case(customer=karin, team=team, subject="Synlig")
    hidden = make_case(customer=karin, team=other_team, subject="Osynlig")
    html = logged_in.get(reverse("customers:detail", args=[karin.pk])).content.decode()
    for text in ("Karin Kund", "karin@example.se", "+46 70 123 45 67", "Vasa AB", "Swedish", mine.reference, "1 case"):
        assert text in html
    assert hidden.reference not in html


def test_unknown_customer_is_404(logged_in):
    assert logged_in.get(reverse("customers:detail", args=[999999])).status_code == 404


def test_customer_list_search_and_htmx_partial(logged_in):
    customer_create(name="Karin Kund", email="karin@example.se")
    CustomerFactory(name="Lars Larsson")
    html = logged_in.get(
        reverse("customers:list"), {"q": "karin"}, HTTP_HX_TARGET="customer-list", **HX
    ).content.decode()
    assert "<html" not in html and "Karin Kund" in html and "Lars Larsson" not in html
    empty = logged_in.get(reverse("customers:list"), {"q": "nobody"}).content.decode()
    assert "No customer matches “nobody”." in empty


@pytest.mark.parametrize("page", ["list", "detail"])
def test_query_count_does_not_grow_with_rows(logged_in, team, page):
    karin = customer_create(name="Karin", email="karin@example.se")
    url = reverse("customers:list") if page == "list" else reverse("customers:detail", args=[karin.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert logged_in.get(url).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(5):
        CustomerFactory()
        make_case(customer=karin, team=team, tags=["a"])
    few = count()
    for _ in range(20):
        CustomerFactory()
        make_case(customer=karin, team=team, tags=["b"])
    assert count() == few


def test_edit_customer(logged_in):
    karin = customer_create(name="Karin", email="karin@example.se")
    response = logged_in.post(
        reverse("customers:update", args=[karin.pk]),
        {
            "name": "Karin Kund",
            "tier": "A",
            "language": "sv",
            "organisation": "Vasa AB",
            "notes": "Föredrar telefon",
            "add_phone": "070-123 45 67",
        },
    )
    assert response.status_code == 302
    karin.refresh_from_db()
    assert (karin.name, karin.tier, karin.language, karin.organisation.name, karin.notes) == (
        "Karin Kund",
        "A",
        "sv",
        "Vasa AB",
        "Föredrar telefon",
    )
    assert sorted(karin.identities.values_list("value", flat=True)) == ["+46701234567", "karin@example.se"]


def test_failed_edit_saves_nothing_and_keeps_the_form(logged_in):
    karin = customer_create(name="Karin", email="karin@example.se", tier="B")
    customer_create(email="taken@example.se")
    response = logged_in.post(
        reverse("customers:update", args=[karin.pk]),
        {
            "name": "Nytt namn",
            "tier": "A",
            "language": "",
            "organisation": "",
            "notes": "",
            "add_email": "taken@example.se",
        },
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "taken@example.se already belongs to customer" in html
    assert 'value="Nytt namn"' in html
    karin.refresh_from_db()
    assert (karin.name, karin.tier) == ("Karin", "B")


def test_a_customer_who_left_is_marked_with_the_day_and_why(logged_in):
    karin = customer_create(name="Karin", email="karin2@example.se")
    form = {"name": "Karin", "tier": "B", "churned_at": "2026-11-01", "churn_reason": "Moved abroad"}
    assert logged_in.post(reverse("customers:update", args=[karin.pk]), form).status_code == 302
    karin.refresh_from_db()
    assert (karin.churned_at.isoformat(), karin.churn_reason) == ("2026-11-01", "Moved abroad")
    page = logged_in.get(reverse("customers:detail", args=[karin.pk])).content.decode()
    assert "Moved abroad" in page
    response = logged_in.post(reverse("customers:update", args=[karin.pk]), {**form, "churned_at": "2999-01-01"})
    assert response.status_code == 422
    assert "A customer cannot have left in the future." in response.content.decode()
    karin.refresh_from_db()
    assert karin.churned_at.isoformat() == "2026-11-01"
