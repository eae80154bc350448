"""The demo data set loaded by `lofte seed_demo` on first start: a support desk's last month and its day so far.

Two teams, six agents (a team lead, agents, a QA reviewer, an admin), thirty
customers (email addresses, mobile numbers, some with only a number) and two
more who book a callback, written through the real services so that
timelines, outbox rows, references and promises are exactly what production
makes. Every time is relative to now:

* **History** (30 to 3 days ago): cases answered, followed up, solved, some
  closed; a few first responses came late and their promises were broken;
  three callbacks were made on time. The answers feed the acknowledgement's
  predicted time (`lofte.promises.eta`).
* **Today** (see `_today`): new cases, a couple of complaints, follow-ups an
  agent promised that fall due within the hour, promises broken today and one
  broken yesterday on cases still open, customers we are waiting on (their
  promises paused), promises kept today, callback capacity for both teams,
  and callbacks booked: one due now, two to come, one made this morning.

What happened before now is settled as it would have been (`_settle`): its
messages were sent, its cases acknowledged, its reminders and escalations
sent. So the first worker pass does only what is new: two acknowledgements
(one email, one SMS), the confirmation of the callback booked a minute ago,
and one reminder of a promise now under the hour, instead of a flood of old
mail and notifications.

The promise counts are the same at any time of day: every promise that is
due within the hour, overdue, broken or kept today is given its time
explicitly, and every other one is far enough from now not to be (a target in
business time is never shorter than in wall-clock time). Early in the
morning the day so far is compressed (`_Moments.ago`), so that what happened
"today" still happened after midnight.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation

from lofte.accounts.models import Agent, Role, Team
from lofte.accounts.services import agent_create, team_create
from lofte.callbacks import selectors as callback_selectors
from lofte.callbacks import services as callback_services
from lofte.callbacks.models import CallbackCapacity
from lofte.cases import acknowledgements, macros, services
from lofte.cases.delivery import follow_up_sentence
from lofte.cases.models import Case, CaseType, Channel, Direction, Message, Priority, Status
from lofte.core import clock
from lofte.customers.models import Customer, Tier
from lofte.customers.services import customer_create, organisation_get_or_create
from lofte.demo.complaints import seed_complaints
from lofte.demo.incidents import seed_incidents
from lofte.demo.kb import seed_kb
from lofte.outbox.models import OutboxMessage, OutboxState
from lofte.outbox.transports import channel_on
from lofte.promises import eta as etas
from lofte.promises import services as promises
from lofte.promises.calendars import calendar_create, schedule_for
from lofte.promises.models import Promise, PromiseKind, PromiseState
from lofte.promises.policies import policy_create

DEMO_PASSWORD = "lofte-demo"  # noqa: S105 - published demo login, printed by `make run`
DEMO_LOGIN = "anna@demo.lofte.se"
QA_LOGIN = "qa@demo.lofte.se"

AGENTS = [
    ("anna@demo.lofte.se", "Anna Lindqvist", Role.TEAM_LEAD, ["Kundservice"], "sv"),
    ("erik@demo.lofte.se", "Erik Johansson", Role.AGENT, ["Kundservice"], "sv"),
    ("sara@demo.lofte.se", "Sara Nilsson", Role.AGENT, ["Kundservice", "Fakturering"], "sv"),
    ("james@demo.lofte.se", "James Carter", Role.AGENT, ["Fakturering"], "en"),
    (QA_LOGIN, "Klara Qvist", Role.QA_REVIEWER, ["Kundservice"], "sv"),
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
CHECKING = {
    "sv": "Hej! Tack för ditt meddelande. Jag kontrollerar det här med {who} nu.",
    "en": "Hi, thank you for your message. I am checking this with {who} now.",
}
WHO = {
    "Faktura": {"sv": "ekonomiavdelningen", "en": "our billing department"},
    "Leverans": {"sv": "lagret", "en": "our warehouse"},
    "Teknisk fråga": {"sv": "våra tekniker", "en": "our technicians"},
}
# What an agent noted when the customer called, and a question about money.
PHONED = (
    "Ändra leveransadress",
    "Kunden ringde: vill ändra adressen på sin beställning till Storgatan 12, 411 38 Göteborg.",
)
CHARGED_TWICE = ("Charged twice", "I have been charged twice for the same order. Could you refund one of the payments?")
QUESTIONS = {
    "sv": "Hej! Kan du skicka ett foto på varan och ditt ordernummer, så tar vi det vidare direkt?",
    "en": "Hi, could you send us a photo of the item and your order number? Then we can take it further at once.",
}
FOLLOW_UPS = {"sv": "Tack! Då väntar jag på besked.", "en": "Thanks, I'll wait to hear from you."}
NOTES = [
    "Kollat med lagret: leverans försenad pga. väder.",
    "Customer called earlier about the same issue.",
    "Eskalerat till ekonomi för kreditering.",
    "Needs a refund approval from the team lead.",
]

HISTORY_CASES = 80
# One in five history cases came in on these channels in turn (SMS cases come from numbers).
HISTORY_CHANNELS = [Channel.EMAIL, Channel.EMAIL, Channel.WEB, Channel.PHONE, Channel.EMAIL, Channel.SMS]
# History cases whose first response came after the promised time (old enough for any calendar to have passed).
LATE_FIRST_RESPONSES = (3, 13, 23, 33)
# History cases the customer asked to be called back on; the call was made in the slot.
HISTORY_CALLBACKS = (9, 27, 45)


def demo_data_present() -> bool:
    return Agent.objects.filter(email=DEMO_LOGIN).exists()


# --- time ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Moments:
    """Now, the start of today (as the promise board counts "today"), and moments of today's story."""

    now: datetime
    day_start: datetime

    @classmethod
    def at(cls, now: datetime) -> _Moments:
        """In UTC: arithmetic on a zoned datetime is wall-clock arithmetic, wrong across a DST change."""
        midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        return cls(now=now.astimezone(UTC), day_start=midnight.astimezone(UTC))

    @property
    def scale(self) -> float:
        """1 from six in the morning; earlier, today's story (at most six hours) is compressed into the time
        since midnight, so that what happened today did happen today."""
        since = (self.now - self.day_start) / timedelta(hours=6)
        return max(min(1.0, 0.95 * since), 1e-4)

    def ago(self, minutes: float) -> datetime:
        """`minutes` (at most 360) before now, on today's compressed clock."""
        return self.now - timedelta(minutes=minutes * self.scale)

    def later(self, minutes: float) -> datetime:
        return self.now + timedelta(minutes=minutes)


# --- customers ----------------------------------------------------------------------------------


@dataclass
class _Person:
    customer: Customer
    email: str | None
    phone: str | None


@dataclass
class _People:
    """The customers, and who has already been given a part in today's story."""

    all: list[_Person]
    taken: set[int] = field(default_factory=set)
    turn: int = 0

    def take(
        self, *, email: bool = True, phone: bool = False, tier_a: bool = False, language: str | None = "sv"
    ) -> _Person:
        """A customer with the identities, tier and language (None: any) asked for who has no other part today;
        one without a number when none is asked for, so that those with one are left for the parts that need it."""
        for person in sorted(self.all, key=lambda p: not phone and p.phone is not None):
            c = person.customer
            if (
                c.pk not in self.taken
                and (person.email is not None) == email
                and (not phone or person.phone is not None)
                and (c.tier == Tier.A) == tier_a
                and (language is None or c.language == language)
            ):
                self.taken.add(c.pk)
                return person
        raise LookupError("no demo customer fits")  # pragma: no cover - the set is fixed

    def next_for(self, channel: str, *, sms: bool, phone: bool = False) -> _Person:
        """The next customer in turn who can write on `channel` (SMS: a number; email and web: an address),
        with a number when `phone`."""
        while True:
            person = self.all[self.turn % len(self.all)]
            self.turn += 1
            if (phone or channel == Channel.SMS) and person.phone is None:
                continue
            if channel == Channel.SMS and not sms and person.email is None:
                continue  # no SMS transport: the answer goes by email
            if channel in (Channel.EMAIL, Channel.WEB) and person.email is None:
                continue
            return person


def _customers(count: int) -> _People:
    orgs = [organisation_get_or_create(name=n) for n in ORGS]
    people = []
    for i in range(count):
        language = "sv" if i % 3 else "en"
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        only_phone = i % 6 == 5
        email = None if only_phone else f"{first}.{last}{i}@example.com".lower()
        email = email.replace("ö", "o").replace("å", "a").replace("ä", "a") if email else None
        phone = f"+4670{1000000 + i * 7919:07d}" if i % 2 == 0 or only_phone else None
        customer = customer_create(
            name=f"{first} {last}",
            email=email,
            phone=phone,
            language=language,
            tier=[Tier.A, Tier.B, Tier.B, Tier.C][i % 4],
            organisation=orgs[i % len(orgs)] if i % 4 == 0 else None,
        )
        people.append(_Person(customer=customer, email=email, phone=phone))
    return _People(all=people)


# --- setup ----------------------------------------------------------------------------------------


@dataclass
class _Desk:
    teams: dict[str, Team]
    agents: dict[str, Agent]
    case_types: dict[str, CaseType]
    sms: bool
    workers: dict[int, list[Agent]] = field(default_factory=dict)

    def agent(self, name: str) -> Agent:
        return self.agents[f"{name}@demo.lofte.se"]


def _desk() -> _Desk:
    teams = {
        name: team_create(name=name, email=f"{name.lower()}@demo.lofte.se") for name in ("Kundservice", "Fakturering")
    }
    agents = {
        email: agent_create(
            email=email,
            name=name,
            password=DEMO_PASSWORD,
            role=role,
            teams=[teams[t] for t in team_names],
            language=language,
        )
        for email, name, role, team_names, language in AGENTS
    }
    case_types = {
        name: CaseType.objects.create(
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
    }
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
        case_type=case_types["Reklamation"],
        first_response_minutes=2 * 60,
        first_response_calendar=office,
        resolution_minutes=24 * 60,
        resolution_calendar=always,
    )
    policy_create(name="A-kunder", order=20, tier="A", first_response_minutes=60, first_response_calendar=office)
    # Callback capacity: Kundservice's phone line calls back around the clock (so /callback offers a slot at
    # any hour of the demo), Fakturering in office hours.
    CallbackCapacity.objects.create(team=teams["Kundservice"], per_slot=2, slot_minutes=30, calendar=always)
    CallbackCapacity.objects.create(team=teams["Fakturering"], per_slot=1, slot_minutes=15, calendar=office)
    _macros(teams, agents)
    # who works each team's cases: its agents and team leads (not the QA reviewer, not the admin)
    workers = {
        team.pk: [a for a in agents.values() if a.role in (Role.AGENT, Role.TEAM_LEAD) and team in a.teams.all()]
        for team in teams.values()
    }
    return _Desk(teams=teams, agents=agents, case_types=case_types, sms=channel_on("sms"), workers=workers)


MACROS = [
    # (who writes it, scope, team, name, language, text, status, tags, follow-up hours)
    (
        "admin@demo.lofte.se",
        "everyone",
        None,
        "Tack, vi återkommer",
        "sv",
        "Hej {customer_first_name},\n\nTack för ditt meddelande. Vi tittar på ärende {reference} och hör av oss."
        "\n\nVänliga hälsningar\n{agent_name}",
        "",
        "",
        24,
    ),
    (
        "admin@demo.lofte.se",
        "everyone",
        None,
        "Thanks, we will get back",
        "en",
        "Hello {customer_first_name},\n\nThank you for your message. We are looking into case {reference} and "
        "will get back to you.\n\nKind regards\n{agent_name}",
        "",
        "",
        24,
    ),
    (
        "admin@demo.lofte.se",
        "team",
        "Fakturering",
        "Fakturan krediterad",
        "sv",
        "Hej {customer_first_name},\n\nVi har krediterat fakturan. Krediteringen syns på nästa faktura."
        "\n\nVänliga hälsningar\n{agent_name}",
        Status.SOLVED,
        "kreditering",
        None,
    ),
    (
        "anna@demo.lofte.se",
        "personal",
        None,
        "Behöver kundnummer",
        "sv",
        "Hej {customer_first_name},\n\nFör att gå vidare behöver vi ditt kundnummer och fakturans nummer."
        "\n\nVänliga hälsningar\n{agent_first_name}",
        Status.WAITING_ON_CUSTOMER,
        "",
        None,
    ),
]


def _macros(teams: dict[str, Team], agents: dict[str, Agent]) -> None:
    """A few saved replies: everyone's (in Swedish and English), Fakturering's, and Anna's own."""
    for email, scope, team, name, language, body, status, tags, hours in MACROS:
        macros.macro_create(
            agent=agents[email],
            data=macros.MacroInput(
                name=name,
                body=body,
                language=language,
                scope=scope,
                team=teams[team] if team else None,
                set_status=status,
                add_tags=tags,
                follow_up_hours=hours,
            ),
        )


def _slots_from(team: Team, start: datetime) -> datetime:
    """The team's first free callback slot starting after `start`."""
    free = callback_selectors.callback_slots(team=team, start=start, days=14, limit=1)
    first: datetime = free[0].start
    return first


def _slot_around(team: Team, moment: datetime) -> datetime:
    """The start of the team's callback slot that `moment` falls in (Kundservice's line is always open)."""
    capacity = CallbackCapacity.objects.get(team=team)
    length = timedelta(minutes=capacity.slot_minutes)
    starts = callback_selectors.slot_starts(
        schedule_for(capacity.calendar),
        minutes=capacity.slot_minutes,
        start=moment - length,
        end=moment + timedelta(seconds=1),
    )
    around: datetime = next(s for s in starts if s <= moment < s + length)
    return around


# --- writing through the services -------------------------------------------------------------------


def _pending(case: Case, kind: str) -> Promise:
    return Promise.objects.get(case=case, kind=kind, state=PromiseState.PENDING)


def _open(
    desk: _Desk,
    person: _Person,
    *,
    at: datetime,
    subject: str,
    body: str,
    channel: str,
    case_type: str | None,
    tags: Iterable[str] = (),
) -> Case:
    sender = person.email if channel in (Channel.EMAIL, Channel.WEB) else person.phone
    with clock.at(at):
        return services.case_create(
            customer=person.customer,
            subject=subject,
            body=body,
            channel=channel,
            case_type=desk.case_types[case_type] if case_type else None,
            language=person.customer.language,
            sender=sender or "",
            tags=tags,
        )


def _assign(case: Case, agent: Agent, *, at: datetime) -> None:
    with clock.at(at):
        services.case_assign(case=case, actor=agent, assignee=agent)


def _reply(
    case: Case,
    agent: Agent,
    body: str,
    *,
    at: datetime,
    status: str | None = None,
    follow_up_at: datetime | None = None,
) -> None:
    text = follow_up_sentence(case=case, when=follow_up_at) if follow_up_at is not None else ""
    with clock.at(at):
        services.case_reply(
            case=case, author=agent, body=body, status=status, follow_up_at=follow_up_at, follow_up_text=text
        )


def _customer_writes(case: Case, person: _Person, body: str, *, at: datetime) -> None:
    channel = case.channel
    if channel == Channel.PHONE:
        channel = Channel.SMS if person.phone else Channel.EMAIL
    with clock.at(at):
        services.case_add_inbound(
            case=case,
            body=body,
            channel=channel,
            sender=(person.phone if channel == Channel.SMS else person.email) or "",
        )


def _break(promise: Promise, *, at: datetime) -> None:
    """The promise was not kept by its time: broken, on its case's timeline."""
    change = promises.promise_break(promise=promise, now=at)
    assert change is not None
    assert promise.case is not None
    services.case_promises_record(case=promise.case, changes=[change], actor=None, now=at)


def _acknowledge(case: Case, *, at: datetime, due_at: datetime) -> None:
    """The acknowledgement the worker sends a new case, with a stated time (instead of a predicted one, so that
    the story's times do not depend on the time of day): the first-response promise takes that time."""
    language = case.language or case.customer.language or settings.LANGUAGE_CODE
    sentence = etas.eta_text(due_at=due_at, now=at, language=language, time_zone=settings.TIME_ZONE)
    assert case.case_type is not None
    with translation.override(language):
        text = acknowledgements.render(
            acknowledgements.default_template(),
            {
                "reference": case.reference,
                "customer_name": case.customer.name,
                "subject": case.subject,
                "case_type": case.case_type.public_name(language),
                "eta": sentence,
                "portal_url": settings.LOFTE_BASE_URL.rstrip("/") + "/portal/",
            },
        )
    first = _pending(case, PromiseKind.FIRST_RESPONSE)
    with clock.at(at):
        services.case_send_automatic(
            case=case, body=text, now=at, event_data={"acknowledgement": True, "eta_basis": "channel"}
        )
        first = promises.promise_set_eta(
            promise=first, due_at=etas.eta_round(due_at=due_at, now=at), customer_text=sentence, basis="channel", now=at
        )
        services.case_promises_record(
            case=case, changes=[promises.PromiseChange(first, "made", {"eta": True})], actor=None, now=at
        )


# --- the month before -----------------------------------------------------------------------------


def _history(desk: _Desk, people: _People, rng: random.Random, moments: _Moments) -> int:
    """Cases from 30 to 3 days before today, every one answered and solved (some closed), so none of their
    promises is still running; the first responses feed the predicted time in acknowledgements."""
    start = moments.day_start - timedelta(days=30)
    step = (timedelta(days=27) / HISTORY_CASES).total_seconds() / 60
    types = list(desk.case_types.values())
    for i in range(HISTORY_CASES):
        at = start + timedelta(minutes=i * step + rng.randint(0, 240))
        channel = HISTORY_CHANNELS[i % len(HISTORY_CHANNELS)]
        person = people.next_for(channel, sms=desk.sms, phone=i in HISTORY_CALLBACKS)
        language = person.customer.language or "en"
        subject, body = rng.choice(SUBJECTS[language])
        case_type = rng.choice(types)
        case = _open(
            desk,
            person,
            at=at,
            subject=subject,
            body=body,
            channel=channel,
            case_type=case_type.name,
            tags=rng.sample(["vip", "återkommande", "urgent", "webshop", "faktura"], k=rng.randint(0, 2)),
        )
        if channel in acknowledgements.ANSWERABLE:
            # acknowledged when it came in, with a time three quarters of the target away; most answers come
            # by then (the board's "ETAs held"), some a little later
            first = _pending(case, PromiseKind.FIRST_RESPONSE)
            target = (
                first.policy.first_response_minutes if first.policy and first.policy.first_response_minutes else 240
            )
            stated = max(15, target * 3 // 4 // 15 * 15)
            _acknowledge(case, at=at + timedelta(minutes=1), due_at=at + timedelta(minutes=1 + stated))
            answer_at = at + timedelta(minutes=rng.randint(20, stated * 23 // 20))
        else:
            answer_at = at + timedelta(minutes=rng.randint(25, 200))
        agent = rng.choice(desk.workers[case.team_id or 0])
        _assign(case, agent, at=at + timedelta(minutes=15))
        if i in LATE_FIRST_RESPONSES:
            first = _pending(case, PromiseKind.FIRST_RESPONSE)
            _break(first, at=first.due_at + timedelta(minutes=5))
            answer_at = first.due_at + timedelta(hours=2)
        if i in HISTORY_CALLBACKS:
            assert person.phone is not None
            slot = _slots_from(desk.teams["Kundservice"], at + timedelta(minutes=40))
            with clock.at(at + timedelta(minutes=10)):
                callback = callback_services.callback_book(
                    team=desk.teams["Kundservice"],
                    slot_start=slot,
                    phone=person.phone,
                    case=case,
                    source="agent",
                    actor=agent,
                )
            with clock.at(slot + timedelta(minutes=5)):
                callback_services.callback_attempt_log(callback=callback, agent=agent, outcome="reached")
            answer_at = max(answer_at, slot + timedelta(minutes=15))
        waiting = rng.random() < 0.6
        status = Status.WAITING_ON_CUSTOMER if waiting else None
        _reply(case, agent, rng.choice(REPLIES[language]), at=answer_at, status=status)
        if rng.random() < 0.3:
            with clock.at(answer_at + timedelta(hours=1)):
                services.case_note_add(case=case, author=agent, body=rng.choice(NOTES))
        if waiting and rng.random() < 0.6:
            _customer_writes(case, person, FOLLOW_UPS[language], at=answer_at + timedelta(hours=3))
        solved_at = answer_at + timedelta(hours=rng.randint(20, 30))
        _reply(case, agent, rng.choice(REPLIES[language]), at=solved_at, status=Status.SOLVED)
        closed_at = solved_at + timedelta(days=2)
        if rng.random() < 0.3 and closed_at < moments.day_start - timedelta(hours=1):
            with clock.at(closed_at):
                services.case_transition(case=case, actor=agent, status=Status.CLOSED)
    return HISTORY_CASES


# --- today ------------------------------------------------------------------------------------------


@dataclass
class _FirstPass:
    """What the first worker pass is left to do: these cases' acknowledgements, these outbox rows, this
    reminder. Everything else before now is settled."""

    unacknowledged: list[int] = field(default_factory=list)
    outbox: list[int] = field(default_factory=list)
    reminders: list[int] = field(default_factory=list)


def _today(desk: _Desk, people: _People, m: _Moments) -> _FirstPass:
    """Today's cases, each one line of the board (see the module docstring). Counts per state are fixed;
    the times of the promises that decide the board's figures are given explicitly."""
    first_pass = _FirstPass()
    ks, fa = desk.teams["Kundservice"], desk.teams["Fakturering"]
    anna, erik, sara, james = (desk.agent(n) for n in ("anna", "erik", "sara", "james"))

    # New, written a few minutes ago and not yet acknowledged: the first worker pass acknowledges them, one by
    # email and one by SMS (with the predicted time and the portal link).
    person = people.take(language="sv")
    new_mail = _open(
        desk,
        person,
        at=m.ago(6),
        subject="Fel storlek på jackan",
        body="Hej! Jag fick en jacka i storlek M men beställde L. Hur gör jag för att byta?",
        channel=Channel.EMAIL,
        case_type="Leverans",
    )
    person = people.take(email=not desk.sms, phone=True)
    new_sms = _open(
        desk,
        person,
        at=m.ago(3),
        subject="",
        body="Hej, routern blinkar rött sedan i morse och vi har inget internet. Vad ska jag göra?",
        channel=Channel.SMS,
        case_type="Teknisk fråga",
    )
    first_pass.unacknowledged += [new_mail.pk, new_sms.pk]

    # New and acknowledged, in the triage queue: an invoice question and a complaint.
    _open(
        desk,
        people.take(language="en"),
        at=m.ago(50),
        subject="Invoice sent to the wrong address",
        body="Hello, our invoice for November was sent to our old office. Could you send it again to the new one?",
        channel=Channel.WEB,
        case_type="Faktura",
    )
    _open(
        desk,
        people.take(phone=True),
        at=m.ago(40),
        subject="Diskmaskinen läcker igen",
        body="Det här är tredje gången diskmaskinen läcker vatten på golvet. Jag vill ha en ny maskin.",
        channel=Channel.EMAIL,
        case_type="Reklamation",
        tags=["reklamation"],
    )

    # Follow-ups the agents promised, due within the hour. Anna's reminder comes now (the first worker pass
    # sends it); the others were reminded already.
    due_soon = [
        (erik, ks, "Leverans", Channel.EMAIL, 200, 150, 12, "sv", SUBJECTS["sv"][1]),
        (sara, ks, "Teknisk fråga", Channel.WEB, 260, 120, 27, "sv", SUBJECTS["sv"][3]),
        (james, fa, "Faktura", Channel.EMAIL, 180, 90, 41, "en", SUBJECTS["en"][0]),
        (anna, ks, "Leverans", Channel.PHONE, 100, 70, 56, "sv", PHONED),
    ]
    for agent, team, case_type, channel, opened_ago, answered_ago, due, language, (subject, body) in due_soon:
        person = people.take(phone=channel == Channel.PHONE, language=language)
        case = _open(
            desk, person, at=m.ago(opened_ago), subject=subject, body=body, channel=channel, case_type=case_type
        )
        assert case.team == team
        _assign(case, agent, at=m.ago(opened_ago - 10))
        checking = CHECKING[language].format(who=WHO[case_type][language])
        _reply(case, agent, checking, at=m.ago(answered_ago), follow_up_at=m.later(due))
        first_pass.reminders = [_pending(case, PromiseKind.FOLLOW_UP).pk]  # the last one's: anna's

    # Promised follow-ups not kept: broken this morning, the cases still open.
    for agent, case_type, opened_ago, answered_ago, due, broken, language, (subject, body) in (
        (erik, "Leverans", 330, 300, 150, 145, "sv", SUBJECTS["sv"][2]),
        (james, "Faktura", 320, 280, 120, 115, "en", CHARGED_TWICE),
    ):
        person = people.take(language=language)
        case = _open(
            desk, person, at=m.ago(opened_ago), subject=subject, body=body, channel=Channel.EMAIL, case_type=case_type
        )
        _assign(case, agent, at=m.ago(opened_ago - 10))
        checking = CHECKING[language].format(who=WHO[case_type][language])
        _reply(case, agent, checking, at=m.ago(answered_ago), follow_up_at=m.ago(due))
        _break(_pending(case, PromiseKind.FOLLOW_UP), at=m.ago(broken))

    # Broken yesterday and still open: an A customer was told 45 minutes in the acknowledgement and waited
    # three hours; the answer is waiting on the supplier. This morning Kundservice called them back.
    person = people.take(phone=True, tier_a=True, language=None)
    language = person.customer.language or "en"
    yesterday = m.day_start - timedelta(hours=10)
    late = _open(
        desk,
        person,
        at=yesterday,
        subject="Laddboxen startar inte" if language == "sv" else "The charger does not start",
        body=(
            "Vår laddbox visar felkod E42 och laddar inte bilen. Vi behöver den i dag."
            if language == "sv"
            else "Our charger shows error E42 and does not charge the car. We need it today."
        ),
        channel=Channel.EMAIL,
        case_type="Teknisk fråga",
    )
    _acknowledge(late, at=yesterday + timedelta(minutes=1), due_at=yesterday + timedelta(minutes=46))
    _break(_pending(late, PromiseKind.FIRST_RESPONSE), at=yesterday + timedelta(minutes=50))
    _assign(late, sara, at=yesterday + timedelta(hours=2))
    _reply(
        late,
        sara,
        "Förlåt att du fick vänta. Vi har kontaktat leverantören om felkoden."
        if language == "sv"
        else "Sorry for the wait. We have asked the supplier about the error code.",
        at=yesterday + timedelta(hours=3),
        status=Status.WAITING_ON_THIRD_PARTY,
    )
    assert person.phone is not None
    slot = _slot_around(ks, m.ago(60))
    with clock.at(slot - timedelta(hours=1)):
        called = callback_services.callback_book(
            team=ks, slot_start=slot, phone=person.phone, case=late, source="agent", actor=sara
        )
    with clock.at(m.ago(40)):
        callback_services.callback_attempt_log(callback=called, agent=sara, outcome="reached")

    # Waiting on the customer: the promises are paused until they answer.
    for agent, case_type, channel, since, after, topic, language in (
        (erik, "Leverans", Channel.EMAIL, m.day_start - timedelta(days=4, hours=-10), timedelta(hours=2), 2, "en"),
        (james, "Faktura", Channel.WEB, m.day_start - timedelta(days=2, hours=-9), timedelta(hours=1), 0, "en"),
        (sara, "Teknisk fråga", Channel.SMS, m.ago(320), m.ago(260) - m.ago(320), 3, "sv"),
    ):
        if channel == Channel.SMS:  # from a number (with an address too when there is no SMS to answer by)
            person = people.take(email=not desk.sms, phone=True, language=language)
        else:
            person = people.take(language=language)
        subject, body = SUBJECTS[language][topic]
        case = _open(desk, person, at=since, subject=subject, body=body, channel=channel, case_type=case_type)
        _assign(case, agent, at=since + after / 2)
        _reply(case, agent, QUESTIONS[language], at=since + after, status=Status.WAITING_ON_CUSTOMER)

    # A complaint answered this morning, and an invoice question answered half an hour ago; a callback is
    # booked for the invoice question.
    person = people.take()
    complaint = _open(
        desk,
        person,
        at=m.ago(240),
        subject="Reklamation: sprucken glasskiva",
        body="Glasskivan på spishällen sprack efter en vecka. Jag vill ha den utbytt under garantin.",
        channel=Channel.EMAIL,
        case_type="Reklamation",
        tags=["reklamation", "garanti"],
    )
    _assign(complaint, erik, at=m.ago(230))
    _reply(
        complaint,
        erik,
        "Hej! Vad tråkigt. Vi byter glasskivan under garantin; en tekniker hör av sig om en tid.",
        at=m.ago(180),
    )
    with clock.at(m.ago(175)):
        services.case_note_add(case=complaint, author=erik, body="Beställt ny glasskiva hos leverantören.")
    person = people.take(phone=True, language="en")
    invoice = _open(
        desk,
        person,
        at=m.ago(150),
        subject="Cancel my subscription",
        body="Please cancel my subscription at the end of this billing period, and tell me what I still owe.",
        channel=Channel.WEB,
        case_type="Uppsägning",
    )
    _assign(invoice, james, at=m.ago(140))
    _reply(
        invoice,
        james,
        "Hi, your subscription ends on the last day of this month. I'll call you to go through the last invoice.",
        at=m.ago(30),
    )
    assert person.phone is not None
    with clock.at(m.ago(20)):
        callback_services.callback_book(
            team=fa,
            slot_start=_slots_from(fa, m.later(120)),
            phone=person.phone,
            case=invoice,
            source="agent",
            actor=james,
        )

    # Solved today: answered, the customer wrote back, solved.
    person = people.take()
    language = person.customer.language or "en"
    subject, body = SUBJECTS[language][3]
    solved = _open(
        desk,
        person,
        at=m.day_start - timedelta(hours=6),
        subject=subject,
        body=body,
        channel=Channel.EMAIL,
        case_type="Teknisk fråga",
    )
    _assign(solved, sara, at=m.ago(290))
    _reply(solved, sara, REPLIES[language][0], at=m.ago(280))
    _customer_writes(solved, person, FOLLOW_UPS[language], at=m.ago(200))
    _reply(solved, sara, REPLIES[language][1], at=m.ago(60), status=Status.SOLVED)

    # Callbacks booked on /callback. Greta's slot began over half an hour ago; Erik called twenty minutes ago
    # and got no answer, so she was told the next try, which is due now (for the next 25 minutes, whatever the
    # time: wall-clock minutes, not today's compressed ones). Olle booked a minute ago: the first worker pass
    # sends his confirmation by SMS.
    tried = m.now - timedelta(minutes=20)
    slot = _slot_around(ks, m.now - timedelta(minutes=35))
    with clock.at(slot - timedelta(minutes=40)), translation.override("sv"):
        greta = callback_services.callback_book(
            team=ks, slot_start=slot, phone="+46731234567", name="Greta Lund", language="sv"
        )
    with clock.at(tried):
        callback_services.callback_attempt_log(callback=greta, agent=erik, outcome="no_answer")
    with clock.at(m.ago(2)), translation.override("sv"):
        booked = callback_services.callback_book(
            team=ks,
            slot_start=_slots_from(ks, m.later(180)),
            phone="+46739876543",
            name="Olle Berg",
            language="sv",
        )
    first_pass.outbox += list(
        Message.objects.filter(case=booked.case, direction=Direction.OUT, outbox_message__isnull=False).values_list(
            "outbox_message_id", flat=True
        )
    )
    return first_pass


# --- settling what happened before now ------------------------------------------------------------------


def _settle(first_pass: _FirstPass, *, now: datetime) -> None:
    """What happened before now was done when it happened: messages sent, cases acknowledged, reminders and
    every escalation step sent. Only `first_pass` is left for the worker."""
    Case.objects.filter(acknowledged_at__isnull=True).exclude(pk__in=first_pass.unacknowledged).update(
        acknowledged_at=F("created_at")
    )
    OutboxMessage.objects.filter(state=OutboxState.PENDING).exclude(pk__in=first_pass.outbox).update(
        state=OutboxState.SENT, sent_at=F("created_at"), attempts=1
    )
    Promise.objects.filter(state=PromiseState.PENDING, reminded_at__isnull=True, remind_at__lte=now).exclude(
        pk__in=first_pass.reminders
    ).update(reminded_at=F("remind_at"))
    Promise.objects.filter(state=PromiseState.BROKEN).update(
        escalation_level=len(settings.LOFTE_ESCALATION_LADDER), next_escalation_at=None
    )


@transaction.atomic
def seed_demo(*, customers: int = 30, seed: int = 42) -> dict[str, int]:
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    moments = _Moments.at(clock.now())
    desk = _desk()
    people = _customers(customers)
    history = _history(desk, people, rng, moments)
    first_pass = _today(desk, people, moments)
    _settle(first_pass, now=moments.now)
    complaints = seed_complaints(seed=seed, agents=list(desk.agents.values()))
    articles = seed_kb()
    incidents = seed_incidents(lead=desk.agent("anna"), now=moments.now)
    cases = Case.objects.count()
    return {
        "teams": len(desk.teams),
        "agents": len(desk.agents),
        "customers": Customer.objects.count(),
        "cases": cases,
        "today": cases - history,
        "articles": articles,
        "complaints": complaints,
        "incidents": incidents,
    }
