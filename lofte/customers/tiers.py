"""Tiers by rule and by import: the tier rule (TierRule) applied to a customer's contract and annual revenue, and
the CSV import of those (and of tiers set outright) for many customers at once.

The CSV has a header row; a customer is found by `email`, `phone` or `id` (an address must already be one of the
customer's: an import never creates or joins customers), and may give `tier` (A/B/C, wins), `revenue` and
`contract` (an empty cell changes nothing). Each line is applied on its own (a savepoint): a line that cannot be
used is reported by its number with what is wrong, and the others are applied. Nothing is half-applied in a line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from lofte.core.errors import ValidationFailed
from lofte.customers.identities import normalise
from lofte.customers.models import Customer, CustomerIdentity, IdentityKind, Tier, TierRule

MAX_LINES = 50_000
COLUMNS = {"email", "phone", "id", "tier", "revenue", "contract"}


def rule_get() -> TierRule:
    return TierRule.objects.filter(pk=1).first() or TierRule(pk=1)


def tier_by_rule(*, revenue: Decimal | None, contract: str, rule: TierRule) -> str | None:
    """The tier the rule gives, or None when it says nothing (no contract it knows, no revenue, no thresholds)."""
    named = (rule.contract_tiers or {}).get(contract.strip()) if contract.strip() else None
    if named in Tier.values:
        return str(named)
    if revenue is None or (rule.a_from is None and rule.b_from is None):
        return None
    if rule.a_from is not None and revenue >= rule.a_from:
        return Tier.A
    if rule.b_from is not None and revenue >= rule.b_from:
        return Tier.B
    return Tier.C


def revenue_parse(value: object, *, field_name: str = "revenue") -> Decimal | None:
    text = str(value or "").strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(
            _("'%(value)s' is not an amount.") % {"value": str(value)[:30]}, field=field_name
        ) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise ValidationFailed(_("The revenue must be an amount from 0 up to a trillion."), field=field_name)
    return amount.quantize(Decimal("0.01"))


def customer_tier_facts(
    *,
    customer: Customer,
    revenue: object = None,
    contract: str | None = None,
    tier: str | None = None,
    rule: TierRule | None = None,
) -> Customer:
    """Set a customer's revenue and/or contract, and their tier: the one given, else the rule's (when it says
    one). Everything is checked before anything is written."""
    fields: list[str] = []
    if revenue is not None:
        customer.annual_revenue = revenue_parse(revenue)
        fields.append("annual_revenue")
    if contract is not None:
        text = " ".join(contract.split())
        if len(text) > 50:
            raise ValidationFailed(_("The contract's name is too long: at most 50 characters."), field="contract")
        customer.contract = text
        fields.append("contract")
    if tier:
        if tier not in Tier.values:
            raise ValidationFailed(_("'%(value)s' is not a customer tier.") % {"value": tier[:10]}, field="tier")
        new_tier: str | None = tier
    else:
        new_tier = tier_by_rule(revenue=customer.annual_revenue, contract=customer.contract, rule=rule or rule_get())
    if new_tier is not None and new_tier != customer.tier:
        customer.tier = new_tier
        fields.append("tier")
    if fields:
        customer.save(update_fields=fields)
    return customer


@dataclass
class ImportResult:
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, what is wrong)


def _find(row: dict[str, str]) -> Customer:
    if raw := (row.get("id") or "").strip():
        if not raw.isdigit():
            raise ValidationFailed(_("'%(value)s' is not a customer id.") % {"value": raw[:20]})
        found = Customer.objects.filter(pk=int(raw)).first()
    else:
        kind = IdentityKind.EMAIL if (row.get("email") or "").strip() else IdentityKind.PHONE
        value = (row.get("email") or row.get("phone") or "").strip()
        if not value:
            raise ValidationFailed(_("The line names no customer: give email, phone or id."))
        identity = CustomerIdentity.objects.filter(kind=kind, value=normalise(kind, value)).first()
        found = identity.customer if identity is not None else None
    if found is None:
        raise ValidationFailed(_("No such customer (an import never creates customers)."))
    return found


def customers_import(*, text: str) -> ImportResult:
    """Apply a CSV of tiers, revenues and contracts (see the module's docstring)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = {(h or "").strip().lower() for h in (reader.fieldnames or [])}
    if not header & {"email", "phone", "id"}:
        raise ValidationFailed(
            _("The first line must name the columns, with email, phone or id among them."), field="file"
        )
    unknown = header - COLUMNS
    if unknown:
        raise ValidationFailed(
            _("Unknown columns: %(names)s (known: %(known)s).")
            % {"names": ", ".join(sorted(unknown)), "known": ", ".join(sorted(COLUMNS))},
            field="file",
        )
    rule = rule_get()
    result = ImportResult()
    for number, raw in enumerate(reader, start=2):
        if number > MAX_LINES + 1:
            result.errors.append((number, _("Too many lines: at most %(max)s a file.") % {"max": MAX_LINES}))
            break
        row = {(k or "").strip().lower(): (v or "") for k, v in raw.items() if k is not None}
        try:
            with transaction.atomic():
                customer = _find(row)
                before = (customer.tier, customer.annual_revenue, customer.contract)
                customer_tier_facts(
                    customer=customer,
                    revenue=row.get("revenue", "").strip() or None,  # an empty cell changes nothing
                    contract=row.get("contract", "").strip() or None,
                    tier=(row.get("tier") or "").strip().upper() or None,
                    rule=rule,
                )
                if (customer.tier, customer.annual_revenue, customer.contract) == before:
                    result.unchanged += 1
                else:
                    result.updated += 1
        except ValidationFailed as exc:
            result.errors.append((number, exc.message))
    return result
