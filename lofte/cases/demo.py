"""The demo data set loaded by `lofte seed_demo` on first start.

Two teams, five agents, thirty customers and a hundred cases over email, web
and phone, in Swedish and English, written through the real services so the
timeline, outbox and references are exactly what production makes.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.db.models import F

from lofte.accounts.models import Agent, Role
from lofte.accounts.services import agent_create, team_create
from lofte.cases import services
from lofte.cases.models import Case, CaseType, Channel, Priority, Status
from lofte.core import clock
from lofte.customers.models import Tier
from lofte.customers.services import customer_create, organisation_get_or_create
from lofte.promises.calendars import calendar_create
from lofte.promises.policies import policy_create

DEMO_PASSWORD = "lofte-demo"  # noqa: S105 - published demo login, printed by `make run`
DEMO_LOGIN = "anna@demo.lofte.se"

AGENTS = [
    ("anna@demo.lofte.se", "Anna Lindqvist", Role.TEAM_LEAD, ["Kundservice"], "sv"),
    ("erik@demo.lofte.se", "Erik Johansson", Role.AGENT, ["Kundservice"], "sv"),
    ("sara@demo.lofte.se", "Sara Nilsson", Role.AGENT, ["Kundservice", "Fakturering"], "sv"),
    ("james@demo.lofte.se", "James Carter", Role.AGENT, ["Fakturering"], "en"),
    ("admin@demo.lofte.se", "Admin", Role.ADMIN, ["Kundservice", "Fakturering"], "en"),
]
PUBLIC_NAMES = {
    "Faktura": {"sv": "Faktura", "da": "Faktura", "nb": "Faktura", "fi": "Lasku", "en": "Invoice"},
    "Leverans": {"sv": "Leverans", "da": "Levering", "nb": "Levering", "fi": "Toimitus", "en": "Delivery"},
    "Reklamation": {
        "sv": "Reklamation",
        "da": "Reklamation",
        "nb": "Reklamasjon",
        "fi": "Reklamaatio",
        "en": "Complaint",
    },
    "Teknisk fråga": {
        "sv": "Teknisk fråga",
        "da": "Teknisk spørgsmål",
        "nb": "Teknisk spørsmål",
        "fi": "Tekninen kysymys",
        "en": "Technical question",
    },
}
CASE_TYPES = [
    ("Faktura", "Fakturering", Priority.NORMAL, False),
    ("Leverans", "Kundservice", Priority.NORMAL, False),
    ("Reklamation", "Kundservice", Priority.HIGH, True),
    ("Teknisk fråga", "Kundservice", Priority.NORMAL, False),
    ("Uppsägning", "Fakturering", Priority.LOW, False),
]
FIRST = [
    "Karin",
    "Lars",
    "Maria",
    "Johan",
    "Eva",
    "Anders",
    "Ingrid",
    "Mikael",
    "Sofia",
    "Per",
    "Emma",
    "Oskar",
    "Linnea",
    "Gustav",
    "Elin",
    "Olivia",
    "Liam",
    "Noah",
    "Grace",
    "Henry",
    "Astrid",
    "Nils",
    "Maja",
    "Hugo",
    "Alice",
    "Charlotte",
    "Daniel",
    "Amelia",
    "Leo",
    "Freja",
]
LAST = [
    "Andersson",
    "Karlsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Berg",
    "Smith",
    "Brown",
    "Taylor",
    "Wilson",
    "Ekström",
    "Holm",
    "Sandberg",
]
ORGS = ["Bergström Bygg AB", "Norrsken Media", "Vasa Fastigheter", "Nordic Parts Ltd", "Fjällvind Energi"]
SUBJECTS = {
    "sv": [
        ("Fel belopp på fakturan", "Hej! Min faktura för oktober är 400 kr högre än vanligt. Kan ni förklara varför?"),
        (
            "Paketet har inte kommit",
            "Hej, jag beställde för en vecka sedan och har fortfarande inte fått paketet. Ordernummer 88213.",
        ),
        (
            "Trasig vara vid leverans",
            "Lampan jag fick var sönder när jag öppnade kartongen. Jag vill ha en ny eller pengarna tillbaka.",
        ),
        ("Kan inte logga in", "Jag får felmeddelande när jag försöker logga in på Mina sidor sedan i går."),
        ("Vill säga upp abonnemanget", "Hej, jag vill säga upp mitt abonnemang från och med nästa månad."),
        ("Ändra leveransadress", "Kan ni ändra adressen på min beställning till Storgatan 12, 411 38 Göteborg?"),
        ("Dubbeldragning på kortet", "Jag har blivit debiterad två gånger för samma beställning."),
        ("Fråga om garanti", "Hur lång garanti har ni på diskmaskinen jag köpte i våras?"),
    ],
    "en": [
        (
            "Wrong amount on my invoice",
            "Hi, my October invoice is higher than usual. Could you explain the difference?",
        ),
        ("Parcel has not arrived", "I ordered a week ago and the parcel still hasn't arrived. Order number 77120."),
        ("Item damaged on delivery", "The chair arrived with a broken leg. I would like a replacement."),
        ("Cannot reset my password", "The password reset email never arrives. I have checked my spam folder."),
        ("Cancel my subscription", "Please cancel my subscription at the end of this billing period."),
        ("Question about warranty", "How long is the warranty on the coffee machine I bought in March?"),
    ],
}
REPLIES = {
    "sv": [
        "Hej! Tack för att du hör av dig. Jag tittar på det här och återkommer senast i morgon.",
        "Hej, nu har jag rättat felet. Hör gärna av dig om något mer dyker upp!",
        "Tack för ditt tålamod. Vi har skickat en ny vara som kommer inom 2-3 arbetsdagar.",
    ],
    "en": [
        "Hi, thank you for getting in touch. I'm looking into this and will get back to you by tomorrow.",
        "Hi, I have corrected this now. Let us know if anything else comes up!",
        "Thank you for your patience. A replacement is on its way and should arrive within 2-3 business days.",
    ],
}
FOLLOW_UPS = {"sv": "Tack! Då väntar jag på besked.", "en": "Thanks, I'll wait to hear from you."}
NOTES = [
    "Kollat med lagret: leverans försenad pga. väder.",
    "Customer called earlier about the same issue.",
    "Eskalerat till ekonomi för kreditering.",
    "Needs a refund approval from the team lead.",
]


def demo_data_present() -> bool:
    return Agent.objects.filter(email=DEMO_LOGIN).exists()


@transaction.atomic
def seed_demo(*, cases: int = 100, customers: int = 30, seed: int = 42) -> dict[str, int]:
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    teams = {
        name: team_create(name=name, email=f"{name.lower()}@demo.lofte.se") for name in ("Kundservice", "Fakturering")
    }
    agents = []
    for email, name, role, team_names, language in AGENTS:
        agents.append(
            agent_create(
                email=email,
                name=name,
                password=DEMO_PASSWORD,
                role=role,
                teams=[teams[t] for t in team_names],
                language=language,
            )
        )
    case_types = [
        CaseType.objects.create(
            name=name,
            default_team=teams[team],
            default_priority=prio,
            breach_notice=complaint,
            is_complaint=complaint,
            expected_handling_time=timedelta(days=2),
            update_interval=timedelta(days=1),
            is_public=name in PUBLIC_NAMES,
            public_names=PUBLIC_NAMES.get(name, {}),
        )
        for name, team, prio, complaint in CASE_TYPES
    ]
    office = calendar_create(name="Kontorstid", time_zone="Europe/Stockholm", country="SE")
    always = calendar_create(name="Dygnet runt", time_zone="Europe/Stockholm", always_open=True)
    policy_create(
        name="Standard",
        order=100,
        first_response_minutes=4 * 60,
        first_response_calendar=office,
        next_update_minutes=9 * 60,
        next_update_calendar=office,
        resolution_minutes=3 * 9 * 60,
        resolution_calendar=office,
    )
    policy_create(
        name="Reklamation 24 h",
        order=10,
        case_type=next(t for t in case_types if t.is_complaint),
        first_response_minutes=2 * 60,
        first_response_calendar=office,
        resolution_minutes=24 * 60,
        resolution_calendar=always,
    )
    policy_create(name="A-kunder", order=20, tier="A", first_response_minutes=60, first_response_calendar=office)
    orgs = [organisation_get_or_create(name=n) for n in ORGS]
    people = []
    for i in range(customers):
        language = "sv" if i % 3 else "en"
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        email = f"{first}.{last}{i}@example.com".lower().replace("ö", "o").replace("å", "a").replace("ä", "a")
        phone = f"+4670{1000000 + i * 7919:07d}" if i % 2 == 0 else None
        people.append(
            customer_create(
                name=f"{first} {last}",
                email=email,
                phone=phone,
                language=language,
                tier=[Tier.A, Tier.B, Tier.B, Tier.C][i % 4],
                organisation=orgs[i % len(orgs)] if i % 4 == 0 else None,
            )
        )
    start = clock.now() - timedelta(days=30)
    channels = [Channel.EMAIL, Channel.EMAIL, Channel.WEB, Channel.PHONE]
    made = 0
    for i in range(cases):
        customer = people[i % len(people)]
        language = customer.language or "en"
        subject, body = rng.choice(SUBJECTS[language])
        at = start + timedelta(minutes=i * 430 + rng.randint(0, 300))
        case_type = rng.choice(case_types)
        with clock.at(at):
            case = services.case_create(
                customer=customer,
                subject=subject,
                body=body,
                channel=channels[i % len(channels)],
                case_type=case_type,
                language=language,
                sender=next((x.value for x in customer.identities.all() if x.kind == "email"), ""),
                tags=rng.sample(["vip", "återkommande", "urgent", "webshop", "faktura"], k=rng.randint(0, 2)),
            )
        made += 1
        team_agents = [a for a in agents if case.team_id in [t.pk for t in a.teams.all()]]
        progress = rng.random()
        if progress < 0.3:
            continue  # new and unassigned
        agent = rng.choice(team_agents or agents)
        with clock.at(at + timedelta(minutes=20)):
            services.case_assign(case=case, actor=agent, assignee=agent)
        if progress < 0.45:
            continue
        with clock.at(at + timedelta(hours=2)):
            services.case_reply(
                case=case, author=agent, body=rng.choice(REPLIES[language]), status=Status.WAITING_ON_CUSTOMER
            )
        if rng.random() < 0.3:
            with clock.at(at + timedelta(hours=3)):
                services.case_note_add(case=case, author=agent, body=rng.choice(NOTES))
        if progress < 0.6:
            continue
        with clock.at(at + timedelta(hours=5)):
            services.case_add_inbound(
                case=case,
                body=FOLLOW_UPS[language],
                channel=case.channel if case.channel != Channel.PHONE else Channel.EMAIL,
            )
        if progress < 0.8:
            continue
        with clock.at(at + timedelta(hours=26)):
            services.case_reply(case=case, author=agent, body=rng.choice(REPLIES[language]), status=Status.SOLVED)
        if progress > 0.93:
            with clock.at(at + timedelta(days=4)):
                services.case_transition(case=case, actor=agent, status=Status.CLOSED)
    # the demo's history was acknowledged when it happened: the worker must not write to it now
    Case.objects.filter(acknowledged_at__isnull=True).update(acknowledged_at=F("created_at"))
    return {
        "teams": len(teams),
        "agents": len(agents),
        "customers": len(people),
        "cases": made,
        "total_cases": Case.objects.count(),
    }
