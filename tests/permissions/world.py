"""The permission matrix's world: two teams, one actor per role (and an agent of the other team), and one of
everything an endpoint can be asked about, made through the real services.

Who sees what here is written down by hand (SEES), from the rule in lofte/accounts/access.py, never computed
by the code under test: the matrix checks the code against the rule, not against itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from lofte.accounts.models import Agent, Role, Team
from lofte.accounts.services import api_token_create
from lofte.accounts.tests.factories import AgentFactory
from lofte.callbacks.models import Call, Callback, CallbackCapacity, Source
from lofte.callbacks.selectors import callback_slots
from lofte.callbacks.services import call_log, callback_book
from lofte.cases.models import AcknowledgementTemplate, Attachment, Case, Macro, Message, Note, SavedView
from lofte.cases.services import AttachmentInput, case_add_inbound, case_create, case_note_add, case_promise_make
from lofte.channels.models import Mailbox
from lofte.channels.webhooks.models import WebhookSource
from lofte.complaints.compensation import compensation_approve, compensation_propose
from lofte.complaints.models import Category as ComplaintCategory
from lofte.complaints.models import ProcedureStep
from lofte.complaints.procedures import step_done
from lofte.complaints.services import complaint_flag, complaint_update
from lofte.core.tests import samples
from lofte.customers.models import Customer, IdentityKind, IdentitySuggestion
from lofte.customers.services import customer_create
from lofte.incidents import outage as incident_outage
from lofte.incidents import services as incident_services
from lofte.incidents.models import Component, Subscriber
from lofte.incidents.status import status_changed
from lofte.incidents.subscribers import token as subscriber_token
from lofte.kb import services as kb_services
from lofte.kb.files import article_file_add
from lofte.kb.tests import factories as kb_factories
from lofte.notifications.models import Notification
from lofte.promises.calendars import calendar_create
from lofte.promises.models import BusinessCalendar, Promise, PromiseKind, PromiseOrigin, PromiseState, SlaPolicy
from lofte.promises.policies import policy_create
from lofte.surveys.pulse import pulse_open
from lofte.triage.models import Suggestion as TriageSuggestion
from lofte.triage.models import TriageModel

# --- actors ---------------------------------------------------------------------------

ANON = "anonymous"
AGENT_A = "agent_a"
LEAD_A = "lead_a"
QA_A = "qa_a"
ADMIN = "admin"
AGENT_B = "agent_b"
ACTORS = (ANON, AGENT_A, LEAD_A, QA_A, ADMIN, AGENT_B)
STAFF = ACTORS[1:]

# What each role may do (the "Doing" table of lofte/accounts/access.py), by hand.
WORKS_CASES = frozenset({AGENT_A, LEAD_A, ADMIN, AGENT_B})  # create, reply, note, status, assign, promise, calls
EDITS_CUSTOMERS = WORKS_CASES
CONFIGURES = frozenset({ADMIN})
# Whose team settings each may change: a team's leads, and admins every team's.
MANAGES_TEAM = {"A": frozenset({LEAD_A, ADMIN}), "B": frozenset({ADMIN})}

# --- objects ----------------------------------------------------------------------------
# A case, callback, customer or suggestion is named by where it lives: A (team A), B (team B), T (triage: no
# team), AB (a customer with a case in A and one in B), NONE (a customer without cases).

A, B, T, AB, NONE = "A", "B", "T", "AB", "NONE"
P, E = "P", "E"  # macros: agent_a's own, everyone's (and team A's, team B's)
# who uses a macro, and who changes it (lofte.cases.macros)
MACRO_USERS = {
    P: frozenset({AGENT_A}),
    A: frozenset({AGENT_A, LEAD_A, QA_A, ADMIN}),
    B: frozenset({AGENT_B, ADMIN}),
    E: frozenset(STAFF),
}
MACRO_CHANGERS = {P: frozenset({AGENT_A}), A: frozenset({LEAD_A, ADMIN}), B: frozenset({ADMIN}), E: frozenset({ADMIN})}

_SEES_A = frozenset({AGENT_A, LEAD_A, QA_A, ADMIN})
_SEES_B = frozenset({AGENT_B, ADMIN})
SEES: dict[str, frozenset[str]] = {
    A: _SEES_A,
    B: _SEES_B,
    T: frozenset(STAFF),  # triage: everyone
    AB: _SEES_A | _SEES_B,  # a customer is visible when one of their cases is
    NONE: frozenset(STAFF),  # a customer without cases: everyone
}
# Changing a customer's identities needs sight of every one of their cases.
SEES_ALL_CASES: dict[str, frozenset[str]] = {A: _SEES_A, B: _SEES_B, T: frozenset(STAFF), AB: frozenset({ADMIN})}
SEES_ALL_CASES[NONE] = frozenset(STAFF)


def sees(actor: str, obj: str) -> bool:
    return actor in SEES[obj]


@dataclass
class World:
    team_a: Team
    team_b: Team
    agents: dict[str, Agent]
    tokens: dict[str, str]  # actor -> API token secret
    token_prefixes: dict[str, str]  # actor -> the prefix of a second token of theirs (to revoke)
    sessions: dict[str, str]  # actor -> session key
    cases: dict[str, Case]
    customers: dict[str, Customer]
    suggestions: dict[str, IdentitySuggestion]
    callbacks: dict[str, Callback]
    notifications: dict[str, Notification]  # one for each agent, about a case they see
    calendar: BusinessCalendar
    policy: SlaPolicy
    mailbox: Mailbox
    webhook_source: WebhookSource
    message: Message
    note: Note
    attachment: Attachment
    promise: Promise
    call: Call
    decided: dict[str, list[Promise]] = field(default_factory=dict)  # kept/broken promises per case, for rates
    overdue: dict[str, Promise] = field(default_factory=dict)  # a pending promise per case, on the board
    stale_notification: Notification | None = None  # agent_a's, about case B (as if it had moved away)
    macros: dict[str, Macro] = field(default_factory=dict)  # agent_a's own (P), team A's, team B's, everyone's (E)
    saved_views: dict[str, SavedView] = field(default_factory=dict)  # actor -> a saved view of their own
    twins: dict[str, Case] = field(default_factory=dict)  # another case of each case's customer and team
    # a text model's suggestion on each case's first message, waiting for an agent (lofte.triage)
    triage: dict[str, TriageSuggestion] = field(default_factory=dict)
    text_model: int = 0  # a trained complaint model, switched off (to switch on); a status-question one is on
    # per case (each a complaint): a compensation waiting for approval (above an agent's limit) and an approved one,
    # both proposed by an agent who is none of the actors
    compensations: dict[str, dict[str, int]] = field(default_factory=dict)
    steps: dict[str, int] = field(default_factory=dict)  # each complaint's procedure: a step to do, one done
    kb_article: int = 0  # a published public knowledge-base article (Swedish)
    kb_slug: str = ""
    kb_section: int = 0
    kb_category: int = 0
    kb_revision: int = 0  # a revision of that article's translation, waiting for review
    kb_file: int = 0  # an image of that article, "a.png"
    incident: int = 0  # an active incident, owned by lead_a; each case's twin is linked to it
    pulse: int = 0  # an open employee pulse (admin's)
    component: int = 0
    pending_link: str = ""  # a status-page subscriber's confirmation token (not yet confirmed)
    active_link: str = ""  # a confirmed subscriber's unsubscribe token

    @property
    def teams(self) -> dict[str, Team]:
        return {A: self.team_a, B: self.team_b}

    def client(self, actor: str) -> Client:
        """A browser with the actor's session (anonymous: none); a fresh one per request, so that a logout or a
        language cookie never leaks into the next check."""
        client = Client()
        if actor != ANON:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[actor]
        return client

    def api_headers(self, actor: str) -> dict[str, str]:
        return {} if actor == ANON else {"Authorization": f"Bearer {self.tokens[actor]}"}

    def agent(self, actor: str) -> Agent | None:
        return self.agents.get(actor)


def _decided(case: Case, *, team: Team | None, owner: Agent | None, kind: str, eta: str = "") -> list[Promise]:
    """One kept and one broken promise, due yesterday, so that kept rates, ETAs held and callbacks kept have
    something of each case to count (or to leave out)."""
    now = timezone.now()
    due = now - timedelta(days=1)
    common = {
        "kind": kind,
        "case": case,
        "due_at": due,
        "owner_team": team,
        "owner_agent": owner,
        "origin": PromiseOrigin.POLICY,
        "eta_basis": eta,
    }
    return [
        Promise.objects.create(**common, state=PromiseState.KEPT, kept_at=due - timedelta(minutes=5)),
        Promise.objects.create(**common, state=PromiseState.BROKEN, broken_at=due),
    ]


def build_world() -> World:
    team_a = Team.objects.create(name="Team A", email="a@lofte.example")
    team_b = Team.objects.create(name="Team B", email="b@lofte.example")
    agents = {
        AGENT_A: AgentFactory(email="agent.a@example.com", name="Agent A", teams=[team_a]),
        LEAD_A: AgentFactory(email="lead.a@example.com", name="Lead A", role=Role.TEAM_LEAD, teams=[team_a]),
        QA_A: AgentFactory(email="qa.a@example.com", name="QA A", role=Role.QA_REVIEWER, teams=[team_a]),
        ADMIN: AgentFactory(email="admin@example.com", name="Admin", role=Role.ADMIN),
        AGENT_B: AgentFactory(email="agent.b@example.com", name="Agent B", teams=[team_b]),
    }
    tokens = {actor: api_token_create(agent=agent, name="matrix").secret for actor, agent in agents.items()}
    prefixes = {actor: api_token_create(agent=agent, name="spare").token.prefix for actor, agent in agents.items()}
    sessions = {}
    for actor, agent in agents.items():
        client = Client()
        client.force_login(agent)
        sessions[actor] = client.cookies[settings.SESSION_COOKIE_NAME].value

    customers = {
        A: customer_create(name="Customer Alpha", email="alpha@kund.example", phone="070-111 11 11"),
        B: customer_create(name="Customer Bravo", email="bravo@kund.example", phone="070-222 22 22"),
        T: customer_create(name="Customer Tango", email="tango@kund.example"),
        AB: customer_create(name="Customer Shared", email="shared@kund.example"),
        NONE: customer_create(name="Customer Nocase", email="nocase@kund.example"),
    }
    attachment_file = AttachmentInput(filename="invoice.txt", content_type="text/plain", content=b"Invoice 42\n")
    cases = {
        A: case_create(
            customer=customers[A],
            subject="Alpha invoice wrong",
            body="The invoice is wrong.",
            channel="email",
            team=team_a,
            sender="alpha@kund.example",
            attachments=[attachment_file],
        ),
        B: case_create(
            customer=customers[B], subject="Bravo delivery late", body="Where is it?", channel="email", team=team_b
        ),
        T: case_create(customer=customers[T], subject="Tango new question", body="Hello?", channel="email"),
    }
    shared_a = case_create(customer=customers[AB], subject="Shared in A", body="One", channel="email", team=team_a)
    shared_b = case_create(customer=customers[AB], subject="Shared in B", body="Two", channel="email", team=team_b)
    del shared_a, shared_b
    triage = {
        key: TriageSuggestion.objects.create(
            case=case,
            message=case.messages.order_by("id").first(),
            field="complaint",
            label="complaint",
            confidence=0.7,
            state="suggested",
        )
        for key, case in cases.items()
    }
    proposer = AgentFactory(email="proposer@example.com", name="Proposer")
    procedure = ComplaintCategory.objects.create(name="World")
    steps = {
        which: ProcedureStep.objects.create(category=procedure, order=n, text=which).pk
        for n, which in enumerate(("todo", "done"))
    }
    compensations: dict[str, dict[str, int]] = {}
    for key, case in cases.items():  # each case is a complaint (to change and un-flag), with compensation
        complaint = complaint_update(
            complaint=complaint_flag(case=case, source="api"), actor=None, category=procedure.pk
        )
        step_done(complaint=complaint, step_id=steps["done"], actor=agents[ADMIN])
        waiting, approved = (
            compensation_propose(
                complaint=complaint, actor=proposer, kind="refund", amount="1000", currency="SEK", reason=why
            )
            for why in ("Waiting", "Approved")
        )
        compensation_approve(compensation=approved, actor=agents[ADMIN], reason="Fair")
        compensations[key] = {"proposed": waiting.pk, "approved": approved.pk}
    text_model = TriageModel.objects.create(field="complaint", version=1, state="ready", artifact=b"-")
    TriageModel.objects.create(field="status_question", version=1, state="ready", is_active=True, artifact=b"-")
    # a second case of each case's customer and team (to merge or link with), with a later message (to split out)
    twins = {
        key: case_create(
            customer=case.customer, subject=f"{case.subject} again", body="Me again.", channel="email", team=case.team
        )
        for key, case in cases.items()
    }
    for twin in twins.values():
        case_add_inbound(case=twin, body="One more thing.", channel="email")

    suggestions = {
        key: IdentitySuggestion.objects.create(
            customer=customers[key],
            kind=IdentityKind.EMAIL,
            value=f"suggested.{key.lower()}@kund.example",
            channel="email",
            reference=cases[key].reference if key in cases else "",
        )
        for key in (A, B, T, AB)
    }

    calendar = calendar_create(name="Always open", time_zone="Europe/Stockholm", always_open=True)
    policy = policy_create(name="Matrix policy", team=team_b, first_response_minutes=600)
    for team in (team_a, team_b):
        CallbackCapacity.objects.create(team=team, per_slot=50, slot_minutes=15, calendar=calendar)
    slot_start = callback_slots(team=team_a, start=timezone.now(), days=1)[0].start
    callbacks = {
        key: callback_book(
            team=team,
            slot_start=slot_start,
            phone=phone,
            name=f"Caller {key}",
            case=cases[key],
            source=Source.AGENT,
            actor=agent,
        )
        for key, team, phone, agent in (
            (A, team_a, "070-111 11 11", agents[AGENT_A]),
            (B, team_b, "070-222 22 22", agents[AGENT_B]),
        )
    }
    mailbox = Mailbox.objects.create(name="support", address="support@lofte.example", team=team_a)
    # the acknowledgement template the settings pages' rows change (matrix._people_template finds it)
    AcknowledgementTemplate.objects.create(case_type=None, language="sv", body="Hej! Ditt ärende {reference}.")
    webhook_source = WebhookSource.objects.create(name="shop", team=team_a)

    note = case_note_add(case=cases[A], author=agents[AGENT_A], body="Checked the ledger.")
    promise = case_promise_make(
        case=cases[A],
        author=agents[AGENT_A],
        due_at=timezone.now() + timedelta(days=2),
        customer_text="We will write on Thursday.",
    )
    call = call_log(
        case=cases[A], agent=agents[AGENT_A], direction="out", number="070-111 11 11", outcome="no_answer"
    ).call
    notifications = {
        actor: Notification.objects.create(
            agent=agents[actor],
            kind="promise_reminder",
            text=f"Reminder: {cases[key].reference} is due.",
            url=f"/cases/{cases[key].reference}/",
            dedupe_key=f"matrix:{actor}",
        )
        for actor, key in ((AGENT_A, A), (LEAD_A, A), (QA_A, A), (ADMIN, T), (AGENT_B, B))
    }
    decided = {
        A: _decided(cases[A], team=team_a, owner=agents[AGENT_A], kind=PromiseKind.CALLBACK, eta=""),
        B: _decided(cases[B], team=team_b, owner=agents[AGENT_B], kind=PromiseKind.CALLBACK, eta=""),
        T: _decided(cases[T], team=None, owner=None, kind=PromiseKind.FIRST_RESPONSE, eta="all"),
    }
    decided[A] += _decided(cases[A], team=team_a, owner=None, kind=PromiseKind.FIRST_RESPONSE, eta="all")
    decided[B] += _decided(cases[B], team=team_b, owner=None, kind=PromiseKind.FIRST_RESPONSE, eta="all")

    overdue = {
        key: Promise.objects.create(
            kind=PromiseKind.NEXT_UPDATE,
            case=cases[key],
            due_at=timezone.now() - timedelta(minutes=10),
            owner_team=cases[key].team,
            origin=PromiseOrigin.POLICY,
        )
        for key in (A, B, T)
    }
    stale = Notification.objects.create(
        agent=agents[AGENT_A],
        kind="promise_broken",
        text=f"Broken: next update on {cases[B].reference}.",
        url=f"/cases/{cases[B].reference}/",
        dedupe_key="matrix:stale",
    )
    message = cases[A].messages.order_by("id").first()
    assert message is not None
    macros = {
        P: Macro.objects.create(name="Agent A's own", body="Hello {customer_name}", owner=agents[AGENT_A]),
        A: Macro.objects.create(name="Team A's", body="Hello from A", team=team_a),
        B: Macro.objects.create(name="Team B's", body="Hello from B", team=team_b),
        E: Macro.objects.create(name="Everyone's", body="Thanks, {customer_first_name}.", add_tags="matrix"),
    }
    saved_views = {
        actor: SavedView.objects.create(name=f"{actor}'s view", query="view=all", owner=agent)
        for actor, agent in agents.items()
    }
    kb = kb_factories.article("Hur byter jag betalningsdag?", "Välj den 1:a eller den 25:e varje månad.")
    kb_waiting = kb_services.revision_submit(
        actor=None,
        revision=kb_services.translation_save(
            actor=None, translation=kb, title="Hur byter jag betalningsdag?", body="Välj den 1:a, 15:e eller 25:e."
        ),
    )
    status_changed()
    component = Component.objects.create(name="Log-in")
    incident = incident_services.incident_open(
        actor=agents[LEAD_A], title="Log-in down", severity="critical", components={component.pk: "major_outage"}
    )
    for twin in twins.values():
        incident_outage.incident_link(actor=agents[ADMIN], incident=incident, reference=twin.reference)
    pulse = pulse_open(actor=agents[ADMIN], title="Matrix pulse", days=7)  # open: every agent may answer it once
    pending = Subscriber.objects.create(kind="email", address="pending@example.com", language="en", nonce="p1")
    active = Subscriber.objects.create(
        kind="email", address="active@example.com", language="en", nonce="a1", confirmed_at=timezone.now()
    )
    return World(
        pulse=pulse.pk,
        incident=incident.pk,
        component=component.pk,
        pending_link=subscriber_token(pending),
        active_link=subscriber_token(active),
        team_a=team_a,
        team_b=team_b,
        agents=agents,
        tokens=tokens,
        token_prefixes=prefixes,
        sessions=sessions,
        cases=cases,
        twins=twins,
        triage=triage,
        text_model=text_model.pk,
        compensations=compensations,
        steps=steps,
        customers=customers,
        suggestions=suggestions,
        callbacks=callbacks,
        notifications=notifications,
        calendar=calendar,
        policy=policy,
        mailbox=mailbox,
        webhook_source=webhook_source,
        message=message,
        note=note,
        attachment=Attachment.objects.get(message__case=cases[A]),
        promise=promise,
        call=call,
        decided=decided,
        overdue=overdue,
        stale_notification=stale,
        macros=macros,
        saved_views=saved_views,
        kb_article=kb.article_id,
        kb_slug=kb.slug,
        kb_section=kb.article.section_id,
        kb_category=kb.article.section.category_id,
        kb_revision=kb_waiting.pk,
        kb_file=article_file_add(actor=None, article=kb.article, upload=SimpleUploadedFile("a.png", samples.png())).pk,
    )
