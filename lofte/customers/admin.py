from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from lofte.core import clock
from lofte.customers.models import Customer, CustomerIdentity, IdentitySuggestion, Organisation, Proof, TierRule


def _proven_by_admin(identity: CustomerIdentity) -> None:
    """An address an admin adds here is added on purpose: proven (proof: agent)."""
    if identity.proven_at is None:
        identity.proven_at, identity.proof = clock.now(), Proof.AGENT


class IdentityInline(admin.TabularInline[CustomerIdentity, Customer]):
    model = CustomerIdentity
    extra = 1
    fields = ["kind", "value", "is_primary", "proof", "proven_at"]
    readonly_fields = ["proof", "proven_at"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin[Customer]):
    list_display = ["name", "organisation", "tier", "language", "created_at"]
    list_filter = ["tier", "language"]
    search_fields = ["name", "identities__value", "organisation__name"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]
    inlines = [IdentityInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for identity in formset.save(commit=False):
            if isinstance(identity, CustomerIdentity):
                _proven_by_admin(identity)
            identity.save()
        for gone in formset.deleted_objects:
            gone.delete()
        formset.save_m2m()


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "domain", "created_at"]
    search_fields = ["name", "domain"]


@admin.register(CustomerIdentity)
class CustomerIdentityAdmin(admin.ModelAdmin[CustomerIdentity]):
    list_display = ["value", "kind", "customer", "is_primary", "proof", "proven_at"]
    list_filter = ["kind", "proof"]
    search_fields = ["value", "customer__name"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["proof", "proven_at"]

    def save_model(self, request: HttpRequest, obj: CustomerIdentity, form: Any, change: bool) -> None:
        _proven_by_admin(obj)
        super().save_model(request, obj, form, change)


@admin.register(IdentitySuggestion)
class IdentitySuggestionAdmin(admin.ModelAdmin[IdentitySuggestion]):
    """Agents decide suggestions on the customer's page; the admin lists them all."""

    list_display = ["value", "kind", "customer", "owner", "reference", "state", "created_at"]
    list_filter = ["state", "kind"]
    search_fields = ["value", "customer__name", "reference"]
    list_select_related = ["customer", "owner"]
    readonly_fields = ["customer", "kind", "value", "owner", "channel", "reference", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TierRule)
class TierRuleAdmin(admin.ModelAdmin[TierRule]):
    list_display = ["__str__", "a_from", "b_from"]
