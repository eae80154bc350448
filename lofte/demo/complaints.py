"""The demo's complaint register: categories with their procedures, root causes, approval limits, and the
history's complaints filled in (category, root cause, outcome, compensation), so that the register, the ledger and
the analysis show a month of a contact centre's complaints. Its own random stream: the rest of the demo's story
stays as it is."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from lofte.accounts.models import Agent, Role
from lofte.complaints.models import (
    ApprovalLimit,
    Category,
    Compensation,
    CompensationState,
    Complaint,
    Outcome,
    ProcedureStep,
    RootCause,
)

CATEGORIES = [
    # name, names per language, sub-categories, procedure steps (text, per language, role)
    (
        "Fakturering",
        {"sv": "Fakturering", "en": "Billing", "da": "Fakturering", "nb": "Fakturering", "fi": "Laskutus"},
        [("Fel belopp", {"en": "Wrong amount", "fi": "Väärä summa"}), ("Dubbeldebitering", {"en": "Charged twice"})],
        [
            ("Kontrollera fakturan mot avtalet", {"en": "Check the invoice against the contract"}, ""),
            ("Ring kunden och förklara", {"en": "Call the customer and explain"}, ""),
            ("Teamledaren godkänner utfallet", {"en": "The team lead signs off the outcome"}, Role.TEAM_LEAD),
        ],
    ),
    (
        "Leverans",
        {"sv": "Leverans", "en": "Delivery", "da": "Levering", "nb": "Levering", "fi": "Toimitus"},
        [("Försenad", {"en": "Late", "fi": "Myöhässä"}), ("Skadad", {"en": "Damaged", "fi": "Vaurioitunut"})],
        [
            ("Spåra försändelsen", {"en": "Trace the parcel"}, ""),
            ("Bekräfta ny leverans", {"en": "Confirm a new delivery"}, ""),
        ],
    ),
    (
        "Bemötande",
        {"sv": "Bemötande", "en": "How we treated you", "da": "Behandling", "nb": "Behandling", "fi": "Kohtelu"},
        [],
        [
            ("Lyssna på samtalet", {"en": "Listen to the call"}, ""),
            ("Teamledaren ringer kunden", {"en": "The team lead calls the customer"}, Role.TEAM_LEAD),
        ],
    ),
]
CAUSES = [
    ("Prislistan inte uppdaterad", {"en": "Price list not updated"}),
    ("Transportörens försening", {"en": "Carrier delay"}),
    ("Bemanning", {"en": "Staffing"}),
    ("Fel i systemet", {"en": "Software error"}),
    ("Otydliga villkor", {"en": "Unclear terms"}),
]
REASONS = {
    Outcome.UPHELD: "Vi har rättat felet och ber om ursäkt.",
    Outcome.PARTLY_UPHELD: "Avgiften stryks, men abonnemanget gäller enligt avtalet.",
    Outcome.REJECTED: "Debiteringen följer avtalet; vi har förklarat varför.",
}


def seed_complaints(*, seed: int, agents: list[Agent]) -> int:
    """Categories, steps, root causes and limits; the history's complaints filled in. Returns the complaints."""
    rng = random.Random(seed + 12)  # noqa: S311 - demo data, not security
    mains: list[Category] = []
    for order, (name, names, subs, steps) in enumerate(CATEGORIES):
        parent = Category.objects.create(name=name, names=names, order=order)
        mains.append(parent)
        for sub, sub_names in subs:
            Category.objects.create(name=sub, names={"sv": sub, **sub_names}, parent=parent)
        for n, (text, texts, role) in enumerate(steps):
            ProcedureStep.objects.create(
                category=parent, order=n, text=text, texts={"sv": text, **texts}, required_role=role
            )
    causes = [RootCause.objects.create(name=n, names={"sv": n, **names}) for n, names in CAUSES]
    for currency, agent_limit, lead_limit in (("SEK", 500, 5000), ("EUR", 50, 500)):
        ApprovalLimit.objects.create(role=Role.AGENT, currency=currency, amount=Decimal(agent_limit))
        ApprovalLimit.objects.create(role=Role.TEAM_LEAD, currency=currency, amount=Decimal(lead_limit))
    lead = next((a for a in agents if a.role == Role.TEAM_LEAD), agents[0])
    done = list(
        Complaint.objects.filter(case__status__in=("solved", "closed"))
        .select_related("case")
        .order_by("received_at", "id")
    )
    for complaint in done:
        category = rng.choice(mains)
        children = list(category.children.all())
        complaint.category = category
        complaint.subcategory = rng.choice(children) if children and rng.random() < 0.6 else None
        complaint.root_cause = rng.choice(causes)
        complaint.severity = rng.choice(("low", "medium", "medium", "high"))
        complaint.outcome = rng.choice((Outcome.UPHELD, Outcome.UPHELD, Outcome.PARTLY_UPHELD, Outcome.REJECTED))
        complaint.outcome_reason = REASONS[complaint.outcome]
        complaint.save(update_fields=["category", "subcategory", "root_cause", "severity", "outcome", "outcome_reason"])
        solved = complaint.case.solved_at or complaint.received_at
        if complaint.outcome != Outcome.REJECTED and rng.random() < 0.5:
            Compensation.objects.create(
                complaint=complaint,
                kind=rng.choice(("refund", "credit", "voucher", "gift")),
                amount=Decimal(rng.choice((100, 200, 250, 500, 750))),
                currency="SEK",
                reason="Ersättning för besväret",
                state=CompensationState.PAID,
                proposed_by=lead,
                proposed_at=solved,
                decided_by=lead,
                decided_at=solved,
                paid_at=solved + timedelta(days=1),
                updated_at=solved + timedelta(days=1),
            )
    return Complaint.objects.count()
