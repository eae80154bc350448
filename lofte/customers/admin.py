from django.contrib import admin

from lofte.customers.models import Customer, CustomerIdentity, Organisation


class IdentityInline(admin.TabularInline[CustomerIdentity, Customer]):
    model = CustomerIdentity
    extra = 1


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin[Customer]):
    list_display = ["name", "organisation", "tier", "language", "created_at"]
    list_filter = ["tier", "language"]
    search_fields = ["name", "identities__value", "organisation__name"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]
    inlines = [IdentityInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "domain", "created_at"]
    search_fields = ["name", "domain"]


@admin.register(CustomerIdentity)
class CustomerIdentityAdmin(admin.ModelAdmin[CustomerIdentity]):
    list_display = ["value", "kind", "customer", "is_primary"]
    list_filter = ["kind"]
    search_fields = ["value", "customer__name"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
