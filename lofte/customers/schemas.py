from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from lofte.core.schemas import InSchema

# A page of a list, a search and a cursor: the longest the handlers take.
PAGE_MAX = 100
SEARCH_MAX = 200
CURSOR_MAX = 500
IDENTITY_MAX = 254  # CustomerIdentity.value

TierName = Literal["A", "B", "C"]
LanguageCode = Literal["", "en", "sv", "da", "nb", "fi"]


class IdentityOut(Schema):
    kind: str
    value: str
    is_primary: bool
    proven: bool = Field(
        ...,
        description="A message came from it, a link sent to it was used, or an agent added it. An address only "
        "claimed (the first one a new customer typed into a form) is false.",
    )
    proof: str = Field(..., description="message, link, agent, imported, or empty when only claimed.")

    @staticmethod
    def resolve_proven(obj: object) -> bool:
        return obj.proven_at is not None  # type: ignore[attr-defined]


class SuggestionOut(Schema):
    id: int
    kind: str
    value: str
    state: str
    channel: str
    reference: str = Field(..., description="The case the address was given with.")
    belongs_to: int | None = Field(..., description="The customer who already has this address, if any.")
    created_at: datetime

    @staticmethod
    def resolve_belongs_to(obj: object) -> int | None:
        return obj.owner_id  # type: ignore[attr-defined,no-any-return]


class OrganisationOut(Schema):
    id: int
    name: str


class CustomerRef(Schema):
    id: int
    name: str
    tier: str


class CustomerOut(Schema):
    id: int
    name: str
    tier: str
    language: str
    time_zone: str
    notes: str
    organisation: OrganisationOut | None
    identities: list[IdentityOut]
    churned_at: date | None
    churn_reason: str
    annual_revenue: Decimal | None
    contract: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_identities(obj: object) -> list[object]:
        return list(obj.identities.all())  # type: ignore[attr-defined]


class CustomerIn(InSchema):
    name: str = Field("", max_length=200)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    handle: str | None = Field(None, max_length=254)
    tier: TierName = "B"
    language: LanguageCode = ""
    time_zone: str = Field("", max_length=64)
    organisation: str | None = Field(None, max_length=200, description="Organisation name; created if new.")


class CustomerUpdateIn(InSchema):
    name: str | None = Field(None, max_length=200)
    tier: TierName | None = None
    language: LanguageCode | None = None
    time_zone: str | None = Field(None, max_length=64)
    notes: str | None = Field(None, max_length=20000)
    organisation: str | None = Field(None, max_length=200, description="Organisation name; empty to clear.")
    add_email: str | None = Field(None, max_length=254)
    add_phone: str | None = Field(None, max_length=40)
    churned_at: date | None = Field(None, description="The day the customer left; null to mark them active again.")
    annual_revenue: str | None = Field(
        None,
        max_length=20,
        description="Annual revenue (a number); the tier rule then sets the tier unless tier is given.",
    )
    contract: str | None = Field(
        None, max_length=50, description="The contract; a contract the tier rule names sets the tier."
    )
    churn_reason: str | None = Field(None, max_length=200, description="Why the customer left.")


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: str | None


class ImportIn(InSchema):
    csv: str = Field(
        max_length=5_000_000,
        description="CSV text with a header row: email, phone or id to find each customer; tier, revenue, contract.",
    )


class ImportLineOut(Schema):
    line: int
    message: str


class ImportOut(Schema):
    updated: int
    unchanged: int
    errors: list[ImportLineOut]
