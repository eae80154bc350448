from __future__ import annotations

from typing import Annotated, Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Status

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.core.errors import ValidationFailed
from lofte.core.schemas import ErrorOut, Id, Text
from lofte.customers import selectors, services, tiers
from lofte.customers.models import Customer, IdentityKind
from lofte.customers.schemas import (
    CURSOR_MAX,
    IDENTITY_MAX,
    PAGE_MAX,
    SEARCH_MAX,
    CustomerIn,
    CustomerOut,
    CustomerPage,
    CustomerUpdateIn,
    IdentityOut,
    ImportIn,
    ImportOut,
    SuggestionOut,
)

router = Router(tags=["customers"])


def _agent(request: HttpRequest) -> Agent:
    return request.auth  # type: ignore[attr-defined,no-any-return]


@router.get(
    "/customers",
    response=CustomerPage,
    summary="List customers (keyset pages)",
    description="The customers you may see: those with a case you may see, and those with no case yet.",
)
def list_customers(
    request: HttpRequest,
    q: Annotated[Text, Query("", max_length=SEARCH_MAX, description="Part of a name, organisation or identity.")] = "",
    cursor: Annotated[
        Text | None, Query(None, max_length=CURSOR_MAX, description="next_cursor of the last page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 25,
) -> object:
    page = selectors.customer_list(agent=_agent(request), q=q, cursor=cursor, limit=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get(
    "/customers/lookup",
    response={200: CustomerOut, 404: ErrorOut},
    summary="Find a customer by email, phone or handle",
    description="Give one of email, phone or handle (the first given is used); none is a 422 naming email. "
    "A customer you may not see is 404, as one that does not exist.",
)
def lookup_customer(
    request: HttpRequest,
    email: Annotated[Text | None, Query(None, max_length=IDENTITY_MAX)] = None,
    phone: Annotated[Text | None, Query(None, max_length=IDENTITY_MAX)] = None,
    handle: Annotated[Text | None, Query(None, max_length=IDENTITY_MAX)] = None,
) -> object:
    for kind, value in ((IdentityKind.EMAIL, email), (IdentityKind.PHONE, phone), (IdentityKind.HANDLE, handle)):
        if value:
            return selectors.customer_find_by_identity(agent=_agent(request), kind=kind, value=value)
    raise ValidationFailed("Give email, phone or handle.", field="email")


@router.get("/customers/{customer_id}", response={200: CustomerOut, 404: ErrorOut}, summary="Get a customer")
def get_customer(request: HttpRequest, customer_id: Id) -> object:
    return selectors.customer_get(agent=_agent(request), customer_id=customer_id)


@router.post(
    "/customers",
    response={201: CustomerOut},
    summary="Create a customer",
    description="The addresses given are added on purpose by you, so they count as proven.",
)
def create_customer(request: HttpRequest, data: CustomerIn) -> object:
    agent = _agent(request)
    access.require(agent, access.Perm.CUSTOMER_EDIT)
    with transaction.atomic():
        organisation = services.organisation_get_or_create(name=data.organisation) if data.organisation else None
        customer = services.customer_create(
            name=data.name,
            email=data.email,
            phone=data.phone,
            handle=data.handle,
            organisation=organisation,
            tier=data.tier,
            language=data.language,
            time_zone=data.time_zone,
        )
    return Status(201, selectors.customer_get(agent=agent, customer_id=customer.pk))


def _identity_add(*, customer: Customer, kind: str, value: str, field: str) -> None:
    """Add an identity; its errors name the request's field (add_email, add_phone), not the service's."""
    try:
        services.customer_identity_add(customer=customer, kind=kind, value=value)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field=field) from exc


@router.patch(
    "/customers/{customer_id}",
    response={200: CustomerOut, 404: ErrorOut},
    summary="Update a customer",
    description=(
        "Only the fields given are changed; `{}` changes nothing and answers the customer. `add_email` / "
        "`add_phone` add an address on purpose (proven); only someone who may see every one of the customer's "
        "cases may change their addresses (403 otherwise), since an address opens the portal."
    ),
)
def update_customer(request: HttpRequest, customer_id: Id, data: CustomerUpdateIn) -> object:
    agent = _agent(request)
    customer = selectors.customer_get(agent=agent, customer_id=customer_id)
    access.require(agent, access.Perm.CUSTOMER_EDIT)
    given = data.model_dump(exclude_unset=True)
    adding = [(f, k) for f, k in (("add_email", IdentityKind.EMAIL), ("add_phone", IdentityKind.PHONE)) if given.get(f)]
    if adding:
        access.require_identity_change(agent, customer)
    with transaction.atomic():
        changes: dict[str, Any] = {
            k: given[k]
            for k in ("name", "tier", "language", "time_zone", "notes", "churn_reason")
            if k in given and given[k] is not None
        }
        if "churned_at" in given:
            changes["churned_at"] = given["churned_at"]
        tier_given = "tier" in changes
        if "organisation" in given:
            name = (given["organisation"] or "").strip()
            changes["organisation"] = services.organisation_get_or_create(name=name) if name else None
        services.customer_update(customer=customer, **changes)
        if given.get("annual_revenue") is not None or given.get("contract") is not None:
            tiers.customer_tier_facts(
                customer=customer,
                revenue=given.get("annual_revenue"),
                contract=given.get("contract"),
                tier=changes["tier"] if tier_given else None,
            )
        for field, kind in adding:
            _identity_add(customer=customer, kind=kind, value=given[field], field=field)
    return selectors.customer_get(agent=agent, customer_id=customer_id)


@router.get(
    "/customers/{customer_id}/suggestions",
    response={200: list[SuggestionOut], 404: ErrorOut},
    summary="Addresses given with a contact but not proven",
    description="Waiting for an agent: confirm one to add it to the customer, or dismiss it.",
)
def list_suggestions(request: HttpRequest, customer_id: Id) -> object:
    customer = selectors.customer_get(agent=_agent(request), customer_id=customer_id)
    return selectors.identity_suggestions(customer=customer)


@router.post(
    "/customers/{customer_id}/suggestions/{suggestion_id}/confirm",
    response={200: IdentityOut, 404: ErrorOut},
    summary="Confirm a suggested address: it joins the customer (proven by you)",
)
def confirm_suggestion(request: HttpRequest, customer_id: Id, suggestion_id: Id) -> object:
    agent = _agent(request)
    customer = selectors.customer_get(agent=agent, customer_id=customer_id)
    access.require_identity_change(agent, customer)
    return services.identity_suggestion_confirm(customer=customer, suggestion_id=suggestion_id, agent=agent)


@router.post(
    "/customers/{customer_id}/suggestions/{suggestion_id}/dismiss",
    response={200: SuggestionOut, 404: ErrorOut},
    summary="Dismiss a suggested address",
)
def dismiss_suggestion(request: HttpRequest, customer_id: Id, suggestion_id: Id) -> object:
    agent = _agent(request)
    customer = selectors.customer_get(agent=agent, customer_id=customer_id)
    access.require(agent, access.Perm.CUSTOMER_EDIT)
    return services.identity_suggestion_dismiss(customer=customer, suggestion_id=suggestion_id, agent=agent)


@router.post(
    "/imports/customers",
    response={200: ImportOut, 403: ErrorOut, 422: ErrorOut},
    summary="Import tiers, revenues and contracts from CSV",
    description="Admins only. Each line finds a customer by email, phone or id (never creates one) and sets tier, "
    "revenue and/or contract; without a tier the tier rule decides. Lines that cannot be used are listed by number; "
    "the others are applied.",
)
def import_customers(request: HttpRequest, data: ImportIn) -> object:
    access.require(_agent(request), access.Perm.CONFIGURE)
    result = tiers.customers_import(text=data.csv)
    return {
        "updated": result.updated,
        "unchanged": result.unchanged,
        "errors": [{"line": n, "message": m} for n, m in result.errors],
    }
