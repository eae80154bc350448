"""Reads for customers. Every agent may see customers; case access is checked in cases.selectors."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from lofte.core.errors import NotFound
from lofte.core.pagination import Page, SortKey, paginate
from lofte.customers.identities import normalise
from lofte.customers.models import Customer, CustomerIdentity, IdentityKind

CUSTOMER_SORT = SortKey(field="name", descending=False, kind="str")


def _with_related(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    return queryset.select_related("organisation").prefetch_related(
        Prefetch("identities", queryset=CustomerIdentity.objects.order_by("kind", "-is_primary", "value"))
    )


def customer_list(*, q: str = "", cursor: str | None = None, limit: int = 25) -> Page[Customer]:
    queryset = Customer.objects.all()
    q = q.strip()
    if q:
        queryset = queryset.filter(
            Q(name__icontains=q)
            | Q(organisation__name__icontains=q)
            | Q(pk__in=CustomerIdentity.objects.filter(value__icontains=q.lower()).values("customer_id"))
        )
    return paginate(_with_related(queryset), key=CUSTOMER_SORT, cursor=cursor, limit=limit)


def customer_get(*, customer_id: int) -> Customer:
    customer = _with_related(Customer.objects.filter(pk=customer_id)).first()
    if customer is None:
        raise NotFound(_("Customer %(id)s not found.") % {"id": customer_id})
    return customer


def customer_find_by_identity(*, kind: str, value: str) -> Customer:
    normalised = normalise(kind, value, field=kind)
    identity = CustomerIdentity.objects.filter(kind=kind, value=normalised).only("customer_id").first()
    if identity is None:
        raise NotFound(
            _("No customer with the %(kind)s %(value)s.")
            % {"kind": IdentityKind(kind).label.lower(), "value": normalised}
        )
    return customer_get(customer_id=identity.customer_id)
