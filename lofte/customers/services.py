"""Writes for customers and their identities."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.core.inserts import insert
from lofte.customers.identities import normalise
from lofte.customers.models import Customer, CustomerIdentity, IdentityKind, Language, Organisation, Tier

UNSET = object()


def _check_choice(value: str, choices: list[str], field: str, *, blank_ok: bool = False) -> None:
    if blank_ok and value == "":
        return
    if value not in choices:
        raise ValidationFailed(
            _("'%(value)s' is not one of %(choices)s.") % {"value": value, "choices": ", ".join(choices)}, field=field
        )


def organisation_get_or_create(*, name: str) -> Organisation:
    name = name.strip()
    if not name:
        raise ValidationFailed(_("An organisation needs a name."), field="organisation")
    organisation = Organisation.objects.filter(name__iexact=name).first()
    return organisation or Organisation.objects.create(name=name)


def _identity_owner(kind: str, value: str) -> CustomerIdentity | None:
    return CustomerIdentity.objects.select_related("customer").filter(kind=kind, value=value).first()


@transaction.atomic
def customer_create(
    *,
    name: str = "",
    email: str | None = None,
    phone: str | None = None,
    handle: str | None = None,
    organisation: Organisation | None = None,
    tier: str = Tier.B,
    language: str = "",
    time_zone: str = "",
) -> Customer:
    """A new customer with the given identities; an identity another customer has is refused."""
    _check_choice(tier, Tier.values, "tier")
    _check_choice(language, Language.values, "language", blank_ok=True)
    wanted = [
        (kind, normalise(kind, raw), field)
        for kind, raw, field in (
            (IdentityKind.EMAIL, email, "email"),
            (IdentityKind.PHONE, phone, "phone"),
            (IdentityKind.HANDLE, handle, "handle"),
        )
        if raw
    ]
    for kind, value, field in wanted:
        if (owner := _identity_owner(kind, value)) is not None:
            raise ValidationFailed(
                _("%(value)s already belongs to customer #%(id)s.") % {"value": value, "id": owner.customer_id},
                field=field,
            )
    now = clock.now()
    customer = Customer.objects.create(
        name=name.strip(),
        organisation=organisation,
        tier=tier,
        language=language,
        time_zone=time_zone,
        created_at=now,
        updated_at=now,
    )
    CustomerIdentity.objects.bulk_create(
        [CustomerIdentity(customer=customer, kind=kind, value=value, is_primary=True) for kind, value, _ in wanted]
    )
    return customer


def customer_update(
    *,
    customer: Customer,
    name: object = UNSET,
    tier: object = UNSET,
    language: object = UNSET,
    time_zone: object = UNSET,
    notes: object = UNSET,
    organisation: object = UNSET,
) -> Customer:
    """Change the given fields (those left UNSET stay as they are)."""
    changed: list[str] = []
    if name is not UNSET:
        customer.name = str(name).strip()
        changed.append("name")
    if tier is not UNSET:
        _check_choice(str(tier), Tier.values, "tier")
        customer.tier = str(tier)
        changed.append("tier")
    if language is not UNSET:
        _check_choice(str(language), Language.values, "language", blank_ok=True)
        customer.language = str(language)
        changed.append("language")
    if time_zone is not UNSET:
        customer.time_zone = str(time_zone)
        changed.append("time_zone")
    if notes is not UNSET:
        customer.notes = str(notes)
        changed.append("notes")
    if organisation is not UNSET:
        customer.organisation = organisation if isinstance(organisation, Organisation) else None
        changed.append("organisation")
    if changed:
        customer.updated_at = clock.now()
        customer.save(update_fields=[*changed, "updated_at"])
    return customer


@transaction.atomic
def customer_identity_add(*, customer: Customer, kind: str, value: str, is_primary: bool = False) -> CustomerIdentity:
    value = normalise(kind, value)
    owner = _identity_owner(kind, value)
    if owner is not None:
        if owner.customer_id == customer.pk:
            return owner
        raise ValidationFailed(
            _("%(value)s already belongs to customer #%(id)s.") % {"value": value, "id": owner.customer_id},
            field="value",
        )
    if is_primary:
        CustomerIdentity.objects.filter(customer=customer, kind=kind).update(is_primary=False)
    return CustomerIdentity.objects.create(customer=customer, kind=kind, value=value, is_primary=is_primary)


@dataclass(frozen=True)
class Match:
    customer: Customer
    created: bool


def customer_match_or_create(
    *,
    email: str | None = None,
    phone: str | None = None,
    name: str = "",
    language: str = "",
) -> Match:
    """The customer who owns the email address (or else the phone number), or a new one.

    An identity given but not yet known is added to the matched customer. Two
    requests racing to create the same customer end with one customer: the
    loser of the unique constraint finds the winner's row.
    """
    if not email and not phone:
        raise ValidationFailed(_("A customer needs an email address or a phone number."), field="customer")
    norm_email = normalise(IdentityKind.EMAIL, email, field="customer.email") if email else None
    norm_phone = normalise(IdentityKind.PHONE, phone, field="customer.phone") if phone else None
    keys = [(IdentityKind.EMAIL, norm_email), (IdentityKind.PHONE, norm_phone)]
    for _attempt in range(2):
        found = {
            identity.kind: identity
            for identity in CustomerIdentity.objects.select_related("customer").filter(
                _identity_filter([(k, v) for k, v in keys if v])
            )
        }
        owner = found.get(IdentityKind.EMAIL) or found.get(IdentityKind.PHONE)
        if owner is not None:
            customer = owner.customer
            for kind, value in keys:
                if value and kind not in found:
                    CustomerIdentity.objects.get_or_create(kind=kind, value=value, defaults={"customer": customer})
            if name and not customer.name:
                customer_update(customer=customer, name=name)
            return Match(customer=customer, created=False)
        try:
            with transaction.atomic():
                customer = _customer_insert(name=name, identities=[(k, v) for k, v in keys if v], language=language)
            return Match(customer=customer, created=True)
        except (IntegrityError, ValidationFailed):
            continue  # somebody created it meanwhile: look again
    raise ValidationFailed(_("The customer could not be matched; try again."), field="customer")


def _customer_insert(*, name: str, identities: list[tuple[str, str]], language: str) -> Customer:
    """A new customer with identities already known to be free (the unique constraint guards a race)."""
    _check_choice(language, Language.values, "language", blank_ok=True)
    now = clock.now()
    customer = insert(Customer(name=name.strip(), language=language, created_at=now, updated_at=now))
    for kind, value in identities:
        insert(CustomerIdentity(customer=customer, kind=kind, value=value, is_primary=True, created_at=now))
    return customer


def _identity_filter(pairs: list[tuple[str, str | None]]) -> Q:
    q = Q(pk__in=[])
    for kind, value in pairs:
        q |= Q(kind=kind, value=value)
    return q


@transaction.atomic
def customer_edit(
    *,
    customer: Customer,
    name: str,
    tier: str,
    language: str,
    organisation_name: str,
    notes: str,
    add_email: str = "",
    add_phone: str = "",
) -> Customer:
    """The customer page's edit form in one transaction: all of it is saved, or none."""
    organisation = organisation_get_or_create(name=organisation_name) if organisation_name.strip() else None
    customer_update(customer=customer, name=name, tier=tier, language=language, notes=notes, organisation=organisation)
    if add_email.strip():
        customer_identity_add(customer=customer, kind=IdentityKind.EMAIL, value=add_email)
    if add_phone.strip():
        customer_identity_add(customer=customer, kind=IdentityKind.PHONE, value=add_phone)
    return customer
