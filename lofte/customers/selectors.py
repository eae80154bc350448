"""Reads for customers. A customer follows the access rule of their cases (lofte.accounts.access): an agent sees
a customer when they may see one of the customer's cases, or when the customer has no case yet. A customer the
agent may not see is not found (404), as a case is."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.core.errors import NotFound
from lofte.core.pagination import Page, SortKey, paginate
from lofte.customers.identities import normalise
from lofte.customers.models import Customer, CustomerIdentity, IdentityKind, IdentitySuggestion, SuggestionState

CUSTOMER_SORT = SortKey(field="name", descending=False, kind="str")


def customer_visible_q(agent: Agent) -> Q:
    """The customers `agent` may see, as a filter on Customer (correlated EXISTS on the case index, so a page of
    the list costs the same at any size)."""
    if access.is_admin(agent):
        return Q()
    case_model = Customer._meta.get_field("cases").related_model  # the cases app sits above this one
    theirs = case_model._default_manager.filter(customer=OuterRef("pk"))  # type: ignore[union-attr]
    return Q(Exists(theirs.filter(access.case_scope_q(agent)))) | ~Q(Exists(theirs))


def _with_related(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    return queryset.select_related("organisation").prefetch_related(
        Prefetch("identities", queryset=CustomerIdentity.objects.order_by("kind", "-is_primary", "value"))
    )


def customer_list(*, agent: Agent, q: str = "", cursor: str | None = None, limit: int = 25) -> Page[Customer]:
    queryset = Customer.objects.filter(customer_visible_q(agent))
    q = q.strip()
    if q:
        queryset = queryset.filter(
            Q(name__icontains=q)
            | Q(organisation__name__icontains=q)
            | Q(pk__in=CustomerIdentity.objects.filter(value__icontains=q.lower()).values("customer_id"))
        )
    return paginate(_with_related(queryset), key=CUSTOMER_SORT, cursor=cursor, limit=limit)


def customer_get(*, agent: Agent, customer_id: int) -> Customer:
    """The customer if the agent may see them; NotFound otherwise (the same answer as for no such customer)."""
    customer = _with_related(Customer.objects.filter(customer_visible_q(agent), pk=customer_id)).first()
    if customer is None:
        raise NotFound(_("Customer %(id)s not found.") % {"id": customer_id})
    return customer


def customer_find_by_identity(*, agent: Agent, kind: str, value: str) -> Customer:
    normalised = normalise(kind, value, field=kind)
    identity = CustomerIdentity.objects.filter(kind=kind, value=normalised).only("customer_id").first()
    missing = NotFound(
        _("No customer with the %(kind)s %(value)s.") % {"kind": IdentityKind(kind).label.lower(), "value": normalised}
    )
    if identity is None:
        raise missing
    try:
        return customer_get(agent=agent, customer_id=identity.customer_id)
    except NotFound:
        raise missing from None  # another team's customer: the same answer as nobody's


def identity_suggestions(*, customer: Customer) -> list[IdentitySuggestion]:
    """The addresses waiting for an agent to confirm or dismiss, newest first, with whose they are."""
    return list(
        IdentitySuggestion.objects.filter(customer=customer, state=SuggestionState.PENDING)
        .select_related("owner")
        .order_by("-created_at", "-id")[:50]
    )
