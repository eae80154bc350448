"""Every page carries the site's Content-Security-Policy, and needs nothing the policy forbids.

One walk requests every page there is: agent pages as an agent and as an admin (full pages, HTMX
partials, an action's error), the portal with a customer's session, the public pages (login, contact
form also embedded, its thanks page, the callback page), the admin site, and the error pages. Each
answer must carry the policy, and its HTML must have no inline script without the page's nonce, no
event-handler attribute (on...=), no style attribute or element, no javascript: URL. At the end the
walk checks that it has requested every named page of the site: a new page is checked from the day
it is added (or is listed in NOT_PAGES with the reason).

The browser's side (no violation reported while the pages run) is tests/test_e2e_ui.py.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, reverse

from lofte.accounts.tests.factories import AgentFactory
from lofte.callbacks.models import CallbackCapacity
from lofte.callbacks.selectors import callback_slots
from lofte.callbacks.services import callback_book
from lofte.callbacks.views import CONFIRMATION_SALT
from lofte.cases import services
from lofte.cases.models import Case, Macro
from lofte.cases.services import AttachmentInput
from lofte.channels.email.ingest import email_ingest
from lofte.channels.models import InboundEmail
from lofte.core import clock
from lofte.notifications.services import notify_many
from lofte.portal.services import portal_token_create
from lofte.portal.tests.conftest import login as portal_login
from lofte.promises.calendars import calendar_create
from lofte.webform import tokens

pytestmark = pytest.mark.django_db

SITE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HX = {"HX-Request": "true"}
# Script types that are data, never run: CSP does not apply to them (ninja's API docs keep their settings so).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href"}

# Named routes that are not pages: actions (POST, answering a page covered here or a redirect), files, JSON.
NOT_PAGES = {
    "home": "a redirect to the inbox",
    "api-openapi": "JSON",
    "set_language": "POST, redirects",
    "accounts:logout": "POST, redirects",
    "accounts:token_revoke": "POST, redirects",
    "cases:reply": "POST, answers the case body (cases:detail's templates)",
    "cases:note": "POST, answers the case body (requested below with an error)",
    "cases:promise": "POST, answers the case body",
    "cases:status": "POST, answers the case body",
    "cases:assign": "POST, answers the case body",
    "cases:properties": "POST, answers the case body",
    "cases:macro_delete": "POST, redirects to the macros page",
    "cases:view_save": "POST, redirects to the inbox",
    "cases:view_delete": "POST, redirects to the inbox",
    "cases:bulk": "POST, answers the inbox's list (cases:inbox's templates) or redirects to the inbox",
    "cases:attachment": "a file download (a sandbox policy of its own, tested in lofte/cases/tests)",
    "customers:update": "POST, answers the customer page",
    "customers:suggestion": "POST, redirects to the customer page (which is requested with suggestions)",
    "notifications:read": "POST, redirects",
    "webform:None": "a redirect to /contact",
    "portal:logout": "POST, redirects",
    "portal:message": "POST, answers the case page",
    "portal:close": "POST, answers the case page",
    "portal:reopen": "POST, answers the case page",
    "portal:attachment": "a file download",
    "callbacks:book": "POST, answers the queue",
    "callbacks:attempt": "POST, answers a queue row",
    "callbacks:call_new": "POST, answers the case's calls",
    "callbacks:kept_json": "JSON",
    "channels:sms_segments": "a text fragment for HTMX (no markup)",
    "cases:merge": "POST, answers the case body",
    "cases:split": "POST, answers the case body",
    "cases:link": "POST, answers the case body",
    "cases:unlink": "POST, answers the case body",
    "cases:forward": "POST, answers the case body",
    "cases:reply_preview": "POST, a fragment of sanitised HTML for HTMX (tested in lofte/channels/tests)",
    "cases:mentions": "JSON for the note box's @ list (tested in lofte/cases/tests/test_mentions.py)",
    "configure:case_type_remove": "POST, redirects to the case types",
    "configure:mailbox_test": "POST, answers the mailbox page (tested in lofte/configure/tests)",
    "routing:triage": "POST, redirects to the routing page",
    "triage:decide": "POST, redirects to the case page",
    "complaints:flag": "POST, redirects to the case page",
    "complaints:unflag": "POST, redirects to the case page",
    "complaints:update": "POST, redirects to the case page",
    "complaints:compensation_propose": "POST, redirects to the case page",
    "complaints:compensation_act": "POST, redirects to the case page",
    "complaints:step": "POST, redirects to the case page",
    "complaints:check": "a customer's signed link (tested in lofte/complaints/tests/test_checks.py)",
    "surveys:survey": "a customer's signed link (tested in lofte/surveys/tests/test_surveys.py)",
    "complaints:ledger_csv": "CSV",
    "complaints:register_csv": "CSV",
    "complaints:analysis_csv": "CSV",
    "incidents:post": "POST, redirects to the incident (its errors: the incident page, walked)",
    "incidents:ready": "POST, redirects to the incident",
    "incidents:link": "POST, redirects to the case page",
    "incidents:status_json": "JSON",
    "incidents:feed": "Atom",
    "triage:train": "POST, redirects to the text model's page",
    "triage:switch_on": "POST, redirects to the text model's page",
    "triage:switch_off": "POST, redirects to the text model's page",
    "teams:rename": "POST, redirects (or the team page with the error)",
    "teams:delete": "POST, redirects (or the team page with the error)",
    "teams:member_add": "POST, redirects (or the team page with the error)",
    "teams:member_remove": "POST, redirects (or the team page with the error)",
    "teams:agent_deactivate": "POST, redirects (or the agent page with the error)",
    "teams:agent_reactivate": "POST, redirects (or the agent page with the error)",
    "teams:agent_invite": "POST, redirects (or the agent page with the error)",
    "teams:ack_template_delete": "POST, redirects to the templates",
    "teams:notice_reset": "POST, redirects to the notice's page",
    "teams:webhook_rotate": "POST, answers the source's page with the new secret",
    "kb:unpublish": "POST, redirects to the editor",
    "kb:review_publish": "POST, redirects to the review queue",
    "kb:review_return": "POST, redirects to the review queue",
    "kb:file_add": "POST, redirects to the editor",
    "kb:file_delete": "POST, redirects to the editor",
    "kb:file": "a file (an image in place, anything else a download; tested in lofte/kb/tests/test_files.py)",
    "helpcentre:root": "a redirect to the reader's language",
    "helpcentre:sitemap": "XML",
    "helpcentre:file": "a file (an image in place, anything else a download; tested in lofte/kb/tests/test_files.py)",
}


# --- what a page may not contain --------------------------------------------------------------------------


class InlineCode(HTMLParser):
    """Finds what the policy would block in a page: inline scripts and styles without the nonce, event
    handler and style attributes, javascript: URLs. Collects the nonces the page uses."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.nonces: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        shown = f"<{tag} {' '.join(name for name, _ in attrs)}>"
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler attribute {name}= in {shown}")
            elif name == "style":
                self.problems.append(f"style attribute in {shown}")
            elif name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {shown}")
        if values.get("nonce"):
            self.nonces.add(values["nonce"] or "")
        script_type = (values.get("type") or "").strip().lower()
        if tag == "script" and "src" not in values and script_type not in DATA_SCRIPT_TYPES and not values.get("nonce"):
            self.problems.append(f"inline script without a nonce: {shown}")
        if tag == "style" and not values.get("nonce"):
            self.problems.append("<style> element without a nonce")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def inline_code(html: str) -> InlineCode:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def policy_problems(header: str | None, *, nonces: set[str], frame_ancestors: str = "'none'") -> list[str]:
    """The header must be the site's policy; style-src may add the page's own nonce (Django's admin)."""
    if header is None:
        return ["no Content-Security-Policy header"]
    got = directives(header)
    style = got.get("style-src", [])
    header_nonces = {v[len("'nonce-") : -1] for v in style if v.startswith("'nonce-")}
    got["style-src"] = [v for v in style if not v.startswith("'nonce-")]
    wanted = directives(SITE_POLICY.replace("frame-ancestors 'none'", f"frame-ancestors {frame_ancestors}"))
    problems = [] if got == wanted else [f"policy {header!r}"]
    if nonces - header_nonces:
        problems.append(f"nonces {sorted(nonces - header_nonces)} used but not in the policy")
    if len(header_nonces) > 1:
        problems.append("more than one nonce")
    return problems


# --- the walk ---------------------------------------------------------------------------------------------


@dataclass
class Walk:
    """Requests pages, checks each answer, and remembers which named routes it has seen."""

    problems: list[str] = field(default_factory=list)
    routes: set[str] = field(default_factory=set)
    count: int = 0

    def visit(
        self,
        client: Client,
        url: str,
        *,
        status: int = 200,
        method: str = "get",
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        frame_ancestors: str = "'none'",
        who: str = "",
    ) -> str:
        response = getattr(client, method)(url, data or {}, headers=headers or {})
        where = f"{method.upper()} {url} {who}".strip()
        self.count += 1
        if response.status_code != status:
            self.problems.append(f"{where}: status {response.status_code}, not {status}")
        with contextlib.suppress(Resolver404):  # the test client resolves the path again, lazily
            self.routes.add(response.resolver_match.view_name)
        html = response.content.decode()
        found = inline_code(html)
        header = response.headers.get("Content-Security-Policy")
        for problem in found.problems + policy_problems(header, nonces=found.nonces, frame_ancestors=frame_ancestors):
            self.problems.append(f"{where}: {problem}")
        return html


@dataclass
class World:
    agent: Any
    admin: Any
    case: Case
    callback_token: str
    thanks_url: str
    inbound: InboundEmail


@pytest.fixture
def world(team, agent, customer, case) -> World:
    """A case with everything its page can show, a booked callback, a notification, a quarantined email."""
    now = clock.now()
    services.case_add_inbound(
        case=case,
        body="Här är fakturan.",
        channel="email",
        attachments=[AttachmentInput(filename="faktura.pdf", content_type="application/pdf", content=b"%PDF-1.4\n")],
    )
    services.case_reply(case=case, author=agent, body="Tack, vi tittar på det.")
    services.case_note_add(case=case, author=agent, body="Kolla med ekonomi.")
    services.case_promise_make(
        case=case, author=agent, due_at=now + timedelta(days=1), customer_text="Vi återkommer i morgon."
    )
    notify_many([(agent, "reminder", "A promise is due soon", f"/cases/{case.reference}/", "csp-test")], now=now)
    calendar = calendar_create(name="Always", always_open=True)
    CallbackCapacity.objects.create(team=team, per_slot=2, slot_minutes=15, calendar=calendar)
    slot = callback_slots(team=team, start=now, days=1, limit=1)[0]
    callback = callback_book(team=team, slot_start=slot.start, phone="070-765 43 21", name="Per")
    admin = AgentFactory(email="root@example.com", name="Rita Root", role="admin", teams=[team])
    thanks = tokens.thanks_token(reference=case.reference, address=tokens.mask_address("karin@example.se"))
    inbound = InboundEmail.objects.get(pk=email_ingest(b"").inbound_id)  # quarantined: shows "Process again"
    # a text model's suggestion waiting for an agent (the case page's panel), and a model with its evaluation
    from lofte.triage.models import Suggestion, TriageModel

    model = TriageModel.objects.create(
        field="complaint",
        version=1,
        state="ready",
        is_active=True,
        examples=400,
        labels={"complaint": 200, "other": 200},
        left_out={"rare": 2},
        evaluation={
            "examples": 40,
            "accuracy": 0.95,
            "macro_f1": 0.95,
            "answered": 0.97,
            "answered_accuracy": 0.96,
            "per_label": {"complaint": {"precision": 0.95, "recall": 0.9, "f1": 0.92}},
        },
        artifact=b"-",
    )
    Suggestion.objects.create(
        case=case,
        message=case.messages.order_by("id").first(),
        field="complaint",
        label="complaint",
        confidence=0.8,
        model=model,
        state="applied",
    )
    return World(
        agent=agent,
        admin=admin,
        case=case,
        callback_token=signing.dumps({"id": callback.pk}, salt=CONFIRMATION_SALT),
        thanks_url=f"{reverse('webform:thanks', args=[case.reference])}?k={thanks}",
        inbound=inbound,
    )


def named_page_routes() -> set[str]:
    """Every named route of the site outside the admin site and the API (which answers JSON)."""

    def walk(patterns: list[Any], namespace: str | None) -> set[str]:
        names: set[str] = set()
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                if inner in ("admin", "api"):
                    continue
                names |= walk(pattern.url_patterns, f"{namespace}:{inner}" if namespace and inner else inner)
            elif isinstance(pattern, URLPattern):
                names.add(f"{namespace}:{pattern.name}" if namespace else str(pattern.name))
        return names

    return walk(get_resolver().url_patterns, None) - {"None"}


def settings_pages(walk: Walk, admin: Client, world: World) -> None:
    from lofte.cases.models import CaseType
    from lofte.channels.models import Mailbox
    from lofte.promises.calendars import calendar_create as make_calendar
    from lofte.promises.policies import policy_create

    who = "as an admin"
    calendar = make_calendar(name="CSP hours", time_zone="Europe/Stockholm", country="SE")
    policy = policy_create(name="CSP policy", first_response_minutes=60, wall_clock=True)
    case_type = CaseType.objects.create(name="CSP type")
    mailbox = Mailbox.objects.create(name="csp", address="csp@lofte.example")
    for name, args in (
        ("configure:index", []),
        ("configure:calendars", []),
        ("configure:calendar_new", []),
        ("configure:calendar", [calendar.pk]),
        ("configure:calendar_preview", [calendar.pk]),
        ("configure:policies", []),
        ("configure:policy_new", []),
        ("configure:policy", [policy.pk]),
        ("configure:policy_preview", [policy.pk]),
        ("configure:case_types", []),
        ("configure:case_type_new", []),
        ("configure:case_type", [case_type.pk]),
        ("configure:case_type_preview", [case_type.pk]),
        ("configure:mailboxes", []),
        ("configure:mailbox_new", []),
        ("configure:mailbox", [mailbox.pk]),
        ("configure:mailbox_preview", [mailbox.pk]),
        ("configure:sms", []),
        ("configure:sms_preview", []),
        ("routing:home", []),
        ("routing:status", []),
        ("routing:team", [world.case.team_id]),
        ("routing:agent", [world.agent.pk]),
        ("triage:home", []),
        ("complaints:register", []),
        ("customers:import", []),
        ("complaints:ledger", []),
        ("complaints:analysis", []),
        ("complaints:register_print", []),
        ("incidents:list", []),
        ("incidents:new", []),
        ("surveys:pulse", []),
        ("surveys:pulse_results", []),
        ("triage:field", ["complaint"]),
        ("triage:field", ["case_type"]),
    ):
        walk.visit(admin, reverse(name, args=args), who=who)
    walk.visit(
        admin,
        reverse("triage:field", args=["complaint"]),
        method="post",
        data={"min_examples": "0"},
        status=422,
        who=who,
    )
    walk.visit(admin, reverse("configure:calendar_new"), method="post", data={"name": ""}, status=422, who=who)
    from lofte.incidents import services as incident_services
    from lofte.incidents.models import Subscriber
    from lofte.incidents.subscribers import token as subscriber_token

    incident = incident_services.incident_open(actor=world.admin, title="Log-in down", first_update="Looking.")
    walk.visit(admin, reverse("incidents:detail", args=[incident.pk]), who=who)
    walk.visit(admin, reverse("incidents:new"), method="post", data={"title": ""}, status=422, who=who)
    walk.visit(
        admin,
        reverse("incidents:post", args=[incident.pk]),
        method="post",
        data={"body": "", "status": "investigating", "visibility": "public"},
        status=422,
        who=who,
    )
    public_client = Client()
    walk.visit(public_client, reverse("incidents:status"))
    walk.visit(
        public_client, reverse("incidents:subscribe"), method="post", data={"kind": "email", "address": "x"}, status=422
    )
    walk.visit(
        public_client, reverse("incidents:subscribe"), method="post", data={"kind": "email", "address": "s@example.com"}
    )
    subscriber = Subscriber.objects.get(address="s@example.com")
    walk.visit(public_client, reverse("incidents:confirm", args=[subscriber_token(subscriber)]))
    walk.visit(public_client, reverse("incidents:unsubscribe", args=[subscriber_token(subscriber)]))
    walk.visit(public_client, reverse("incidents:confirm", args=["forged"]), status=404)
    for name, data, status in (  # the SMS settings page's actions answer the page (the test: a number that is none)
        ("configure:sms_webhooks", {}, 200),
        ("configure:sms_token", {}, 200),
        ("configure:sms_test", {"to": "12"}, 422),
    ):
        walk.visit(admin, reverse(name), method="post", data=data, status=status, who=who)
    from lofte.cases.models import AcknowledgementTemplate
    from lofte.channels.webhooks.models import WebhookSource

    template = AcknowledgementTemplate.objects.create(language="sv", body="Hej! Ärende {reference}.")
    source = WebhookSource.objects.create(name="csp-shop", secret="s" * 40)
    for name, args in (
        ("teams:new", []),
        ("teams:agents", []),
        ("teams:agent_new", []),
        ("teams:agent", [world.agent.pk]),
        ("teams:ack_templates", []),
        ("teams:ack_template_new", []),
        ("teams:ack_template", [template.pk]),
        ("teams:webhooks", []),
        ("teams:webhook_new", []),
        ("teams:webhook", [source.pk]),
        ("teams:notices", []),
        ("teams:notice", ["breach", "sv"]),
    ):
        walk.visit(admin, reverse(name, args=args), who=who)
    walk.visit(Client(), reverse("teams:set_password", args=["MQ", "not-a-token"]))


def kb_pages(walk: Walk, admin: Client, world: World) -> None:
    """The knowledge base's pages (agents) and the help centre (everyone)."""
    from lofte.kb import services as kb
    from lofte.kb.tests.factories import article, embedded

    who = "as an admin"
    shown = article("Hur byter jag betalningsdag?", "Välj den **1:a** eller den 25:e.")
    kb.translation_add(actor=None, article=shown.article, language="en", title="Payment day", body="The 1st.")
    waiting = kb.revision_submit(
        actor=None, revision=kb.translation_save(actor=None, translation=shown, title="Betalningsdag", body="Ny.")
    )
    embedded()
    section = shown.article.section
    for name, args in (
        ("kb:list", []),
        ("kb:new", []),
        ("kb:review", []),
        ("kb:reports", []),
        ("kb:categories", []),
        ("kb:category_new", []),
        ("kb:category", [section.category_id]),
        ("kb:section_new", [section.category_id]),
        ("kb:section", [section.pk]),
        ("kb:settings", [shown.article_id]),
        ("kb:translate", [shown.article_id]),
        ("kb:translation", [shown.article_id, "sv"]),
        ("kb:edit", [shown.article_id, "sv"]),
        ("kb:history", [shown.article_id, "sv"]),
        ("kb:diff", [shown.article_id, "sv", waiting.number]),
    ):
        walk.visit(admin, reverse(name, args=args), who=who)
    walk.visit(admin, reverse("kb:new"), method="post", data={"title": ""}, status=422, who=who)
    walk.visit(admin, reverse("kb:preview"), method="post", data={"body": "**Hej**"}, who=who)
    walk.visit(admin, reverse("cases:kb_pick", args=[world.case.reference]), data={"q": "betalningsdag"}, who=who)
    public = Client()
    for url, status in (
        (reverse("helpcentre:home", args=["sv"]), 200),
        (reverse("helpcentre:category", args=["sv", section.category.slug]), 200),
        (reverse("helpcentre:article", args=["sv", shown.slug]), 200),
        (reverse("helpcentre:search", args=["sv"]) + "?q=betalningsdag", 200),
        (reverse("helpcentre:search", args=["fi"]) + "?q=%3F%21", 200),
        (reverse("helpcentre:article", args=["sv", "no-such-article"]), 404),
    ):
        walk.visit(public, url, status=status)
    vote = reverse("helpcentre:vote", args=["sv", shown.slug])
    walk.visit(public, vote, method="post", data={"helpful": "maybe"}, status=422)
    walk.visit(public, reverse("webform:suggestions"), data={"subject": "betalningsdag", "lang": "sv"})


def agent_pages(walk: Walk, client: Client, world: World, who: str) -> None:
    case = world.case
    detail = reverse("cases:detail", args=[case.reference])
    walk.visit(client, reverse("cases:inbox"), who=who)
    walk.visit(client, reverse("cases:inbox"), data={"view": "all", "q": "faktura"}, who=who)
    walk.visit(client, reverse("cases:inbox"), data={"view": "all"}, headers={**HX, "HX-Target": "case-list"}, who=who)
    walk.visit(client, reverse("cases:views"), data={"view": "mine"}, headers=HX, who=who)
    walk.visit(client, reverse("cases:new"), who=who)
    walk.visit(client, reverse("cases:new"), method="post", data={"subject": ""}, status=422, who=who)
    walk.visit(client, detail, who=who)
    walk.visit(client, detail, headers=HX, who=who)
    note = reverse("cases:note", args=[case.reference])
    walk.visit(client, note, method="post", data={"body": ""}, status=422, headers=HX, who=who)
    walk.visit(client, note, method="post", data={"body": ""}, status=422, who=who)
    walk.visit(client, reverse("customers:list"), who=who)
    walk.visit(client, reverse("customers:detail", args=[case.customer_id]), who=who)
    walk.visit(client, reverse("notifications:list"), who=who)
    walk.visit(client, reverse("promises:board"), who=who)
    walk.visit(client, reverse("promises:board"), headers=HX, who=who)
    walk.visit(client, reverse("promises:kept_rate"), who=who)
    walk.visit(client, reverse("callbacks:queue"), who=who)
    walk.visit(client, reverse("accounts:preferences"), who=who)
    walk.visit(client, reverse("teams:list"), who=who)
    person = world.agent if who == "as an agent" else world.admin
    own = Macro.objects.create(name=f"Tack ({who})", body="Hej {customer_first_name}", owner=person)
    pick = reverse("cases:macro", args=[case.reference])
    walk.visit(client, pick, data={"macro_name": own.name}, headers=HX, who=who)
    walk.visit(client, pick, data={"macro_name": "no such macro"}, status=422, who=who)
    walk.visit(client, reverse("cases:macros"), who=who)
    walk.visit(client, reverse("cases:macro_new"), who=who)
    walk.visit(client, reverse("cases:macro_new"), method="post", data={"name": ""}, status=422, who=who)
    walk.visit(client, reverse("cases:macro_edit", args=[own.pk]), who=who)
    walk.visit(client, reverse("api-docs"), who=who)
    walk.visit(client, "/no/such/page", status=404, who=who)
    walk.visit(client, reverse("cases:detail", args=["LF-1999-999999"]), status=404, who=who)


def test_every_page_has_the_policy_and_nothing_it_forbids(world, customer, settings):
    settings.ROOT_URLCONF = "tests.error_urls"  # the site, and addresses that fail on purpose (403, 400, 500)
    settings.LOFTE_CONTACT_FRAME_ANCESTORS = ["https://www.shop.example"]
    settings.LOFTE_PORTAL_REQUESTS_PER_IP_PER_HOUR = 1  # the second request from this client is the 429 page
    walk = Walk()

    for who, person in (("as an agent", world.agent), ("as an admin", world.admin)):
        client = Client()
        client.force_login(person)
        agent_pages(walk, client, world, who)
        walk.visit(client, "/test-errors/403", status=403, who=who)

    admin = Client()
    admin.force_login(world.admin)
    team_page = reverse("teams:settings", args=[world.case.team_id])
    walk.visit(admin, team_page, who="as an admin")
    walk.visit(admin, team_page, method="post", data={"email": "not an address"}, status=422, who="as an admin")
    for url in (
        reverse("admin:index"),
        reverse("admin:cases_case_changelist"),
        reverse("admin:cases_case_change", args=[world.case.pk]),
        reverse("admin:cases_case_add"),
        reverse("admin:accounts_agent_change", args=[world.agent.pk]),
        reverse("admin:lofte_channels_inboundemail_change", args=[world.inbound.pk]),
        reverse("admin:cases_case_delete", args=[world.case.pk]),
    ):
        walk.visit(admin, url, who="in the admin site")

    # the settings pages (admins) and routing (leads, admins; every agent's own status)
    settings_pages(walk, admin, world)
    kb_pages(walk, admin, world)
    agent = Client()
    agent.force_login(world.agent)
    walk.visit(agent, reverse("routing:status"), who="as an agent")
    walk.visit(agent, reverse("routing:status"), method="post", data={"status": "nope"}, status=422, who="as an agent")

    public = Client()
    walk.visit(public, reverse("accounts:login"))
    walk.visit(public, reverse("accounts:login"), method="post", data={"username": "x@example.com", "password": "x"})
    walk.visit(public, reverse("admin:login"))
    walk.visit(public, reverse("webform:contact"))
    walk.visit(public, reverse("webform:contact"), data={"lang": "fi"})
    walk.visit(public, reverse("webform:contact"), method="post", data={"email": "nope"}, status=422)
    embed = reverse("webform:contact") + "?embed=1"
    walk.visit(public, embed, frame_ancestors="https://www.shop.example")
    walk.visit(public, world.thanks_url)
    walk.visit(public, world.thanks_url + "&embed=1", frame_ancestors="https://www.shop.example")
    walk.visit(public, reverse("webform:thanks", args=[world.case.reference]) + "?k=expired", status=404)
    walk.visit(public, reverse("callbacks:request"))
    walk.visit(public, reverse("callbacks:request"), method="post", data={"phone": "12"}, status=422)
    walk.visit(public, reverse("callbacks:booked") + f"?k={world.callback_token}")
    walk.visit(public, "/no/such/page", status=404)
    walk.visit(public, "/test-errors/403", status=403)
    walk.visit(public, "/test-errors/400", status=400)
    walk.visit(Client(raise_request_exception=False), "/test-errors/500", status=500)
    walk.visit(Client(enforce_csrf_checks=True), reverse("accounts:login"), method="post", status=403)

    portal = Client()
    walk.visit(portal, reverse("portal:request"))
    walk.visit(portal, reverse("portal:request"), method="post", data={"address": "karin@example.se"})
    walk.visit(portal, reverse("portal:request"), method="post", data={"address": "karin@example.se"}, status=429)
    walk.visit(portal, reverse("portal:login", args=["not-a-link"]), status=410)
    _token, secret = portal_token_create(customer=customer)
    walk.visit(portal, reverse("portal:login", args=[secret]))
    portal_login(portal, customer)
    walk.visit(portal, reverse("portal:cases"), who="with a portal session")
    walk.visit(portal, reverse("portal:new"), who="with a portal session")
    walk.visit(
        portal, reverse("portal:new"), method="post", data={"subject": ""}, status=422, who="with a portal session"
    )
    walk.visit(portal, reverse("portal:case", args=[world.case.reference]), who="with a portal session")
    message = reverse("portal:message", args=[world.case.reference])
    walk.visit(portal, message, method="post", data={"body": ""}, status=422, who="with a portal session")
    walk.visit(portal, reverse("portal:case", args=["LF-1999-999999"]), status=404, who="with a portal session")

    assert walk.problems == []
    unvisited = named_page_routes() - walk.routes - set(NOT_PAGES)
    assert unvisited == set(), "pages this test does not request: add them to the walk, or to NOT_PAGES with why"
    assert set(NOT_PAGES) - named_page_routes() == set(), "NOT_PAGES names routes that no longer exist"
    assert walk.count > 60


def test_the_checks_find_what_the_policy_forbids():
    """The page checks themselves: each forbidden thing is found, data scripts and nonced code are not."""
    html = (
        '<script>alert(1)</script><script src="/static/x.js"></script><script type="application/json">{}</script>'
        '<script nonce="abc">ok()</script><style>p{}</style><style nonce="abc">p{}</style>'
        '<button onclick="go()">x</button><p style="color:red">x</p><a href=" JavaScript:go()">x</a>'
        '<svg><rect width="5" height="1"/></svg><img src="data:image/png;base64,AA" onerror="x()">'
    )
    found = inline_code(html)
    assert found.problems == [
        "inline script without a nonce: <script >",
        "<style> element without a nonce",
        "event handler attribute onclick= in <button onclick>",
        "style attribute in <p style>",
        "javascript: URL in <a href>",
        "event handler attribute onerror= in <img src onerror>",
    ]
    assert found.nonces == {"abc"}
    assert policy_problems(SITE_POLICY, nonces={"abc"}) == ["nonces ['abc'] used but not in the policy"]
    with_nonce = SITE_POLICY.replace("style-src 'self'", "style-src 'self' 'nonce-abc'")
    assert policy_problems(with_nonce, nonces={"abc"}) == []
    assert policy_problems(SITE_POLICY.replace("'none'; base", "*; base"), nonces=set()) != []
    assert policy_problems(None, nonces=set()) == ["no Content-Security-Policy header"]


def test_a_nonce_only_where_a_page_renders_one(world):
    """Django's admin renders a nonce (for its inline <style> and nonce attributes): only there is it in the
    policy, fresh for every response; Lofte's own pages have none."""
    client = Client()
    client.force_login(world.admin)
    first = client.get(reverse("admin:index"))["Content-Security-Policy"]
    second = client.get(reverse("admin:index"))["Content-Security-Policy"]
    nonce = re.search(r"style-src 'self' 'nonce-([^']+)';", first)
    assert nonce is not None and nonce.group(1) not in second
    assert "script-src 'self';" in first  # scripts: the admin's are files, no nonce needed
    assert client.get(reverse("cases:inbox"))["Content-Security-Policy"] == SITE_POLICY
