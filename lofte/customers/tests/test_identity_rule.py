"""The identity rule (lofte.customers.services.customer_for_contact): an address joins a customer only when
it is proven; a claim finds but never joins; a new customer gets one claimed address at most."""

from __future__ import annotations

import pytest

from lofte.core.errors import NotFound, ValidationFailed
from lofte.customers import services
from lofte.customers.models import Customer, CustomerIdentity, IdentitySuggestion, Proof, SuggestionState
from lofte.customers.services import Identifier, Pending, customer_for_contact

pytestmark = pytest.mark.django_db

EMAIL, PHONE, HANDLE = "email", "phone", "handle"


def claim(kind: str, value: str) -> Identifier:
    return Identifier(kind=kind, value=value)


def proven(kind: str, value: str) -> Identifier:
    return Identifier(kind=kind, value=value, proof=Proof.MESSAGE)


def identities() -> list[tuple[int, str, str, bool]]:
    return sorted((i.customer_id, i.kind, i.value, i.proven_at is not None) for i in CustomerIdentity.objects.all())


@pytest.fixture
def victim() -> Customer:
    return services.customer_create(name="Vera", email="vera@example.se", phone="+46701234567")


class TestClaims:
    def test_a_claimed_address_finds_its_customer_and_nothing_joins(self, victim):
        who = customer_for_contact(identifiers=[claim(EMAIL, "mallory@example.net"), claim(PHONE, "+46701234567")])
        assert (who.customer, who.created, who.matched_by_proof) == (victim, False, False)
        assert who.pending == [Pending(kind=EMAIL, value="mallory@example.net", owner_id=None)]
        assert identities() == [(victim.pk, EMAIL, "vera@example.se", True), (victim.pk, PHONE, "+46701234567", True)]

    def test_a_new_customer_gets_only_the_first_claimed_address_and_it_is_not_proven(self):
        who = customer_for_contact(
            identifiers=[claim(EMAIL, "ny@example.se"), claim(PHONE, "+46707654321")], name="Ny", language="fi"
        )
        assert who.created and not who.matched_by_proof
        assert (who.customer.name, who.customer.language) == ("Ny", "fi")
        assert identities() == [(who.customer.pk, EMAIL, "ny@example.se", False)]
        assert who.pending == [Pending(kind=PHONE, value="+46707654321", owner_id=None)]

    def test_a_claim_never_fills_in_a_known_customers_name(self, victim):
        Customer.objects.filter(pk=victim.pk).update(name="")
        customer_for_contact(identifiers=[claim(EMAIL, "vera@example.se")], name="Mallory")
        victim.refresh_from_db()
        assert victim.name == ""

    def test_nothing_to_go_on_is_refused(self):
        with pytest.raises(ValidationFailed) as err:
            customer_for_contact(identifiers=[])
        assert err.value.field == "customer"
        assert Customer.objects.count() == 0


class TestProofs:
    def test_a_proven_address_nobody_has_makes_a_customer_with_it_proven(self):
        who = customer_for_contact(identifiers=[proven(EMAIL, "ny@example.se")], name="Ny")
        assert who.created and who.matched_by_proof
        assert identities() == [(who.customer.pk, EMAIL, "ny@example.se", True)]

    def test_a_message_from_a_claimed_address_proves_it(self):
        first = customer_for_contact(identifiers=[claim(EMAIL, "ny@example.se")])
        again = customer_for_contact(identifiers=[proven(EMAIL, "ny@example.se")], name="Ny")
        assert again.customer == first.customer and again.matched_by_proof
        identity = CustomerIdentity.objects.get()
        assert (identity.proof, identity.proven_at is not None) == ("message", True)
        first.customer.refresh_from_db()
        assert first.customer.name == "Ny"  # found by proof: a missing name is filled in

    def test_a_proven_handle_next_to_a_claimed_known_email_is_a_new_customer(self, victim):
        who = customer_for_contact(identifiers=[proven(HANDLE, "shop:mallory"), claim(EMAIL, "vera@example.se")])
        assert who.created and who.customer != victim
        assert who.pending == [Pending(kind=EMAIL, value="vera@example.se", owner_id=victim.pk)]
        assert CustomerIdentity.objects.get(kind=HANDLE).customer == who.customer

    def test_the_pre_claim_attack_binds_no_two_strangers(self):
        """Mallory types Vera's address (unknown to Lofte) and her own number into a form. If both joined the
        new customer, Vera's later mail would land there and Mallory's number would open that portal. Only the
        first address joins; Mallory's number is a suggestion, and stays one when Vera proves her address."""
        first = customer_for_contact(identifiers=[claim(EMAIL, "vera@example.se"), claim(PHONE, "+46709999999")])
        vera = customer_for_contact(identifiers=[proven(EMAIL, "vera@example.se")])
        mallory = customer_for_contact(identifiers=[proven(PHONE, "+46709999999")])
        assert vera.customer == first.customer
        assert mallory.created and mallory.customer != vera.customer
        assert identities() == sorted(
            [(vera.customer.pk, EMAIL, "vera@example.se", True), (mallory.customer.pk, PHONE, "+46709999999", True)]
        )


class TestSuggestions:
    def test_suggest_confirm_and_dismiss(self, victim, agent):
        services.identity_suggest(
            customer=victim,
            pending=[Pending(kind=EMAIL, value="v2@example.se", owner_id=None)],
            channel="web",
            reference="LF-2026-000001",
            now=victim.created_at,
        )
        services.identity_suggest(  # the same address again: still one suggestion
            customer=victim,
            pending=[Pending(kind=EMAIL, value="v2@example.se", owner_id=None)],
            now=victim.created_at,
        )
        suggestion = IdentitySuggestion.objects.get()
        identity = services.identity_suggestion_confirm(customer=victim, suggestion_id=suggestion.pk, agent=agent)
        assert (identity.customer, identity.value, identity.proof) == (victim, "v2@example.se", "agent")
        suggestion.refresh_from_db()
        assert (suggestion.state, suggestion.decided_by) == (SuggestionState.CONFIRMED, agent)
        with pytest.raises(NotFound):  # decided: no second decision
            services.identity_suggestion_dismiss(customer=victim, suggestion_id=suggestion.pk, agent=agent)

    def test_an_address_of_another_customer_cannot_be_confirmed(self, victim, agent):
        other = services.customer_create(email="other@example.se")
        [suggestion] = services.identity_suggest(
            customer=victim,
            pending=[Pending(kind=EMAIL, value="other@example.se", owner_id=other.pk)],
            now=other.created_at,
        )
        with pytest.raises(ValidationFailed) as err:
            services.identity_suggestion_confirm(customer=victim, suggestion_id=suggestion.pk, agent=agent)
        assert f"customer #{other.pk}" in err.value.message
        assert CustomerIdentity.objects.get(value="other@example.se").customer == other
        suggestion.refresh_from_db()
        assert suggestion.state == SuggestionState.PENDING

    def test_another_customers_suggestion_is_not_found(self, victim, agent):
        other = services.customer_create(email="other@example.se")
        [suggestion] = services.identity_suggest(
            customer=other, pending=[Pending(kind=EMAIL, value="x@example.se", owner_id=None)], now=other.created_at
        )
        with pytest.raises(NotFound):
            services.identity_suggestion_confirm(customer=victim, suggestion_id=suggestion.pk, agent=agent)
        assert not CustomerIdentity.objects.filter(value="x@example.se").exists()
