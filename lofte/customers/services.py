"""Writes for customers and their identities.

**The identity rule.** An address (email, phone number, handle) joins a customer only when it is proven:
a message came from it, a portal link sent to it was used, or an agent added it on purpose. What a contact
only *claims* (an address typed into the contact form, passed by an API client or a webhook source next to
the sender) never joins an existing customer: it becomes a suggestion an agent can confirm. The one
exception is a brand-new customer, who needs an address to be answered at: they get the first address they
gave, marked claimed (never more than one, so that a claim cannot bind two strangers' addresses together).
Portal access follows from this: a link goes only to the address it was asked for, and using it proves it.
`customer_for_contact` applies the rule for every channel (through `lofte.cases.intake`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from lofte.core import clock
from lofte.core.errors import NotFound, ValidationFailed
from lofte.core.inserts import insert
from lofte.core.validation import check_language, check_time_zone
from lofte.customers.identities import normalise
from lofte.customers.models import (
    Customer,
    CustomerIdentity,
    IdentityKind,
    IdentitySuggestion,
    Organisation,
    Proof,
    SuggestionState,
    Tier,
)

if TYPE_CHECKING:  # the deciding agent is stored by id; customers do not import accounts
    from lofte.accounts.models import Agent

UNSET = object()
MAX_NAME = 200


def _check_choice(value: str, choices: list[str], field: str, *, blank_ok: bool = False) -> None:
    if blank_ok and value == "":
        return
    if value not in choices:
        raise ValidationFailed(
            _("'%(value)s' is not one of %(choices)s.") % {"value": value, "choices": ", ".join(choices)}, field=field
        )


def _clean_name(name: str) -> str:
    return " ".join((name or "").split())[:MAX_NAME]


def organisation_get_or_create(*, name: str) -> Organisation:
    name = name.strip()[:200]
    if not name:
        raise ValidationFailed(_("An organisation needs a name."), field="organisation")
    organisation = Organisation.objects.filter(name__iexact=name).first()
    return organisation or Organisation.objects.create(name=name)


def _identity_owner(kind: str, value: str) -> CustomerIdentity | None:
    return CustomerIdentity.objects.select_related("customer").filter(kind=kind, value=value).first()


def _taken(value: str, owner: CustomerIdentity) -> ValidationFailed:
    return ValidationFailed(
        _("%(value)s already belongs to customer #%(id)s.") % {"value": value, "id": owner.customer_id}, field="value"
    )


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
    proof: str = Proof.AGENT,
) -> Customer:
    """A new customer, made on purpose (an agent, the API's customer endpoint, demo data), with the given
    identities proven by `proof`; an identity another customer has is refused."""
    _check_choice(tier, Tier.values, "tier")
    language = check_language(language)
    time_zone = check_time_zone(time_zone)
    wanted = [
        (kind, normalise(kind, raw), where)
        for kind, raw, where in (
            (IdentityKind.EMAIL, email, "email"),
            (IdentityKind.PHONE, phone, "phone"),
            (IdentityKind.HANDLE, handle, "handle"),
        )
        if raw
    ]
    for kind, value, where in wanted:
        if (owner := _identity_owner(kind, value)) is not None:
            raise ValidationFailed(
                _("%(value)s already belongs to customer #%(id)s.") % {"value": value, "id": owner.customer_id},
                field=where,
            )
    now = clock.now()
    customer = Customer.objects.create(
        name=_clean_name(name),
        organisation=organisation,
        tier=tier,
        language=language,
        time_zone=time_zone,
        created_at=now,
        updated_at=now,
    )
    CustomerIdentity.objects.bulk_create(
        [
            CustomerIdentity(
                customer=customer, kind=kind, value=value, is_primary=True, proven_at=now, proof=proof, created_at=now
            )
            for kind, value, _field in wanted
        ]
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
    churned_at: object = UNSET,
    churn_reason: object = UNSET,
) -> Customer:
    """Change the given fields (those left UNSET stay as they are). Every value is checked before anything
    is written: a time zone or language a later job could not use is refused here, naming the field.
    `churned_at` (a date, or None: active again) marks a customer who left; `churn_reason` says why."""
    changed: list[str] = []
    if churned_at is not UNSET and churned_at is not None:
        if not isinstance(churned_at, date) or isinstance(churned_at, datetime):
            raise ValidationFailed(_("Give the date the customer left as YYYY-MM-DD."), field="churned_at")
        if churned_at > clock.now().date():
            raise ValidationFailed(_("A customer cannot have left in the future."), field="churned_at")
    if churn_reason is not UNSET and len(str(churn_reason or "")) > 200:
        raise ValidationFailed(
            _("The reason is too long: at most %(max)s characters.") % {"max": 200}, field="churn_reason"
        )
    if tier is not UNSET:
        _check_choice(str(tier), Tier.values, "tier")
    if language is not UNSET:
        language = check_language(str(language))
    if time_zone is not UNSET:
        time_zone = check_time_zone(str(time_zone))
    if name is not UNSET:
        customer.name = _clean_name(str(name))
        changed.append("name")
    if tier is not UNSET:
        customer.tier = str(tier)
        changed.append("tier")
    if language is not UNSET:
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
    if churned_at is not UNSET:
        customer.churned_at = churned_at  # type: ignore[assignment]
        changed.append("churned_at")
    if churn_reason is not UNSET:
        customer.churn_reason = " ".join(str(churn_reason or "").split())
        changed.append("churn_reason")
    if changed:
        customer.updated_at = clock.now()
        customer.save(update_fields=[*changed, "updated_at"])
    return customer


def _prove(identity: CustomerIdentity, proof: str, now: datetime) -> CustomerIdentity:
    if identity.proven_at is None:
        CustomerIdentity.objects.filter(pk=identity.pk, proven_at__isnull=True).update(proven_at=now, proof=proof)
        identity.proven_at, identity.proof = now, proof
    return identity


@transaction.atomic
def customer_identity_add(
    *, customer: Customer, kind: str, value: str, is_primary: bool = False, proof: str = Proof.AGENT
) -> CustomerIdentity:
    """Add an address to the customer on purpose (an agent, or a proof such as a used link): it is proven.
    Who may do this is checked by the caller (lofte.accounts.access.require_identity_change)."""
    value = normalise(kind, value)
    now = clock.now()
    owner = _identity_owner(kind, value)
    if owner is not None:
        if owner.customer_id == customer.pk:
            return _prove(owner, proof, now)
        raise _taken(value, owner)
    if is_primary:
        CustomerIdentity.objects.filter(customer=customer, kind=kind).update(is_primary=False)
    else:
        is_primary = not CustomerIdentity.objects.filter(customer=customer, kind=kind).exists()
    identity = CustomerIdentity.objects.create(
        customer=customer, kind=kind, value=value, is_primary=is_primary, proven_at=now, proof=proof, created_at=now
    )
    IdentitySuggestion.objects.filter(customer=customer, kind=kind, value=value, state=SuggestionState.PENDING).update(
        state=SuggestionState.CONFIRMED, decided_at=now
    )
    return identity


def identity_prove(*, identity: CustomerIdentity, proof: str, now: datetime | None = None) -> CustomerIdentity:
    """Record that the address is shown to be the customer's (a message came from it, a link sent to it was
    used). Proving an address already proven changes nothing."""
    return _prove(identity, proof, now or clock.now())


# --- a contact's customer -----------------------------------------------------------------


@dataclass(frozen=True)
class Identifier:
    """An address a contact came with: `proof` says how the channel knows it is the sender's
    (Proof.MESSAGE: the message came from it; Proof.AGENT: an agent entered it on purpose), or is empty when
    it is only claimed (typed into a form, passed along by an API client or webhook source)."""

    kind: str
    value: str  # normalised
    proof: str = ""
    field: str = ""

    @property
    def proven(self) -> bool:
        return bool(self.proof)


def identifier(kind: str, raw: str, *, proof: str = "", field: str = "") -> Identifier:
    """An Identifier with its value normalised (ValidationFailed naming `field` when it is no address)."""
    return Identifier(kind=kind, value=normalise(kind, raw, field=field or kind), proof=proof, field=field or kind)


@dataclass(frozen=True)
class Pending:
    """An address the contact gave that did not join the customer: suggest it (and whose it is, if anyone's)."""

    kind: str
    value: str
    owner_id: int | None


@dataclass(frozen=True)
class ContactCustomer:
    customer: Customer
    created: bool
    matched_by_proof: bool  # the customer was found (or made) through an address this contact proved
    pending: list[Pending] = field(default_factory=list)


def customer_for_contact(
    *, identifiers: Sequence[Identifier], name: str = "", language: str = "", now: datetime | None = None
) -> ContactCustomer:
    """The customer a contact belongs to, by the identity rule (see the module's docstring):

    1. the customer who owns the first **proven** address that is known; the other proven addresses that
       nobody has join them, and the address found is marked proven if it was only claimed;
    2. else, when the contact proves an address nobody has, a new customer with the proven addresses;
    3. else, the customer who owns the first **claimed** address that is known (nothing joins them);
    4. else a new customer with the first claimed address, marked claimed.

    Every other address given is returned as `pending` (to become a suggestion on the case's customer), with
    the customer who owns it when it is someone else's. Two contacts racing to create the same customer end
    with one: the loser of the unique constraint finds the winner's row.
    """
    given = list(dict.fromkeys((i.kind, i.value, i.proof) for i in identifiers))
    if not given:
        raise ValidationFailed(_("A customer needs an email address or a phone number."), field="customer")
    language = language if language in [c for c, _n in settings.LANGUAGES] else ""
    now = now or clock.now()
    wanted = [Identifier(k, v, p) for k, v, p in given]
    for _attempt in range(2):
        try:
            # a savepoint only when something is to be created (the hot path, a known sender, writes no row)
            return _for_contact(wanted, name, language, now)
        except IntegrityError:
            continue  # somebody created one of these addresses meanwhile: look again
    raise ValidationFailed(_("The customer could not be matched; try again."), field="customer")


def _for_contact(given: list[Identifier], name: str, language: str, now: datetime) -> ContactCustomer:
    known = {
        (i.kind, i.value): i
        for i in CustomerIdentity.objects.select_related("customer").filter(
            _identity_filter([(g.kind, g.value) for g in given])
        )
    }
    proven = [g for g in given if g.proven]
    claimed = [g for g in given if not g.proven]
    customer: Customer | None = None
    created = matched_by_proof = False
    joined: list[Identifier] = []
    for g in proven:
        if (found := known.get((g.kind, g.value))) is not None:
            customer, matched_by_proof = found.customer, True
            _prove(found, g.proof, now)
            break
    if customer is None and proven:
        joined = [g for g in proven if (g.kind, g.value) not in known]
        with transaction.atomic():
            customer, created, matched_by_proof = _insert(name, language, joined, now), True, True
    if customer is None:
        for g in claimed:
            if (found := known.get((g.kind, g.value))) is not None:
                customer = found.customer
                break
    if customer is None:
        joined = claimed[:1]
        with transaction.atomic():
            customer, created = _insert(name, language, joined, now), True
    elif matched_by_proof and not created:
        # proven addresses nobody has join the customer the contact proved it is
        joined = [g for g in proven if (g.kind, g.value) not in known]
        if joined:
            with transaction.atomic():
                for g in joined:
                    insert(
                        CustomerIdentity(customer=customer, kind=g.kind, value=g.value, proven_at=now, proof=g.proof)
                    )
        if name and not customer.name:
            customer_update(customer=customer, name=name)
    pending: list[Pending] = []
    joined_keys = {(g.kind, g.value) for g in joined}
    for g in given:
        key = (g.kind, g.value)
        if key in joined_keys:
            continue
        owner = known.get(key)
        if owner is not None and owner.customer_id == customer.pk:
            continue  # already theirs
        pending.append(Pending(kind=g.kind, value=g.value, owner_id=owner.customer_id if owner else None))
    return ContactCustomer(customer=customer, created=created, matched_by_proof=matched_by_proof, pending=pending)


def _insert(name: str, language: str, identities: list[Identifier], now: datetime) -> Customer:
    """A new customer with identities known to be free (the unique constraint guards a race)."""
    customer = insert(Customer(name=_clean_name(name), language=language, created_at=now, updated_at=now))
    primary: set[str] = set()
    for g in identities:
        insert(
            CustomerIdentity(
                customer=customer,
                kind=g.kind,
                value=g.value,
                is_primary=g.kind not in primary,
                proven_at=now if g.proven else None,
                proof=g.proof,
                created_at=now,
            )
        )
        primary.add(g.kind)
    return customer


def _identity_filter(pairs: list[tuple[str, str]]) -> Q:
    q = Q(pk__in=[])
    for kind, value in pairs:
        q |= Q(kind=kind, value=value)
    return q


# --- suggestions -------------------------------------------------------------------------------


def identity_suggest(
    *, customer: Customer, pending: Sequence[Pending], channel: str = "", reference: str = "", now: datetime
) -> list[IdentitySuggestion]:
    """Suggestions for the addresses a contact gave that did not join the customer (one pending suggestion per
    address and customer: a second contact with the same address refreshes nothing)."""
    if not pending:
        return []
    have = set(
        IdentitySuggestion.objects.filter(customer=customer, state=SuggestionState.PENDING).values_list("kind", "value")
    )
    made: list[IdentitySuggestion] = []
    for p in pending:
        if (p.kind, p.value) in have:
            continue
        try:
            with transaction.atomic():
                made.append(
                    IdentitySuggestion.objects.create(
                        customer=customer,
                        kind=p.kind,
                        value=p.value,
                        owner_id=p.owner_id,
                        channel=channel,
                        reference=reference,
                        created_at=now,
                    )
                )
        except IntegrityError:
            continue  # the same suggestion, made a moment ago by a concurrent contact
    return made


def _suggestion(customer: Customer, suggestion_id: int) -> IdentitySuggestion:
    row = (
        IdentitySuggestion.objects.select_for_update()
        .filter(pk=suggestion_id, customer=customer, state=SuggestionState.PENDING)
        .first()
    )
    if row is None:
        raise NotFound(_("There is no pending suggestion %(id)s for this customer.") % {"id": suggestion_id})
    return row


@transaction.atomic
def identity_suggestion_confirm(*, customer: Customer, suggestion_id: int, agent: Agent) -> CustomerIdentity:
    """The agent confirms that a suggested address is the customer's: it joins them, proven by the agent.
    An address that another customer has cannot simply move (their cases would follow it): refused."""
    suggestion = _suggestion(customer, suggestion_id)
    owner = _identity_owner(suggestion.kind, suggestion.value)
    if owner is not None and owner.customer_id != customer.pk:
        raise ValidationFailed(
            _(
                "%(value)s belongs to customer #%(id)s. Merging customers is not possible yet; "
                "dismiss the suggestion or remove the address there first."
            )
            % {"value": suggestion.value, "id": owner.customer_id},
            field="suggestion",
        )
    identity = customer_identity_add(customer=customer, kind=suggestion.kind, value=suggestion.value)
    now = clock.now()
    IdentitySuggestion.objects.filter(pk=suggestion.pk).update(
        state=SuggestionState.CONFIRMED, decided_at=now, decided_by=agent
    )
    return identity


@transaction.atomic
def identity_suggestion_dismiss(*, customer: Customer, suggestion_id: int, agent: Agent) -> IdentitySuggestion:
    suggestion = _suggestion(customer, suggestion_id)
    suggestion.state, suggestion.decided_at, suggestion.decided_by = SuggestionState.DISMISSED, clock.now(), agent
    suggestion.save(update_fields=["state", "decided_at", "decided_by"])
    return suggestion


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
    time_zone: object = UNSET,
    churned_at: object = UNSET,
    churn_reason: object = UNSET,
) -> Customer:
    """The customer page's edit form in one transaction: all of it is saved, or none."""
    organisation = organisation_get_or_create(name=organisation_name) if organisation_name.strip() else None
    customer_update(
        customer=customer,
        name=name,
        tier=tier,
        language=language,
        notes=notes,
        organisation=organisation,
        time_zone=time_zone,
        churned_at=churned_at,
        churn_reason=churn_reason,
    )
    if add_email.strip():
        customer_identity_add(customer=customer, kind=IdentityKind.EMAIL, value=add_email)
    if add_phone.strip():
        customer_identity_add(customer=customer, kind=IdentityKind.PHONE, value=add_phone)
    return customer
