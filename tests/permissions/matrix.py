"""The permission matrix: every page and every API endpoint, who may use it, and what each actor gets.

A row names one (method, route) as Django's resolver and the OpenAPI schema spell it, the rule that decides
who may use it, and how to call it for an object (a case, customer, suggestion or callback of team A, team B
or triage). `expected()` turns the rule into the answer each actor must get:

- allowed: the row's `ok` (200, 201, 204 or 302), and for a write, the tables in `writes` changed;
- anonymous: 302 to the login page (pages) or 401 (API);
- a role that may see the object but not do this: 403, with nothing changed;
- an object the actor may not see: 404, with nothing changed.

test_coverage.py fails when a route or operation has no row here, so nothing new can be added without
deciding who may use it. The lead's team-settings page goes in TEAM SETTINGS below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lofte.callbacks.selectors import callback_slots
from lofte.core.tests import samples
from tests.permissions.world import (
    AB,
    ADMIN,
    AGENT_A,
    AGENT_B,
    ANON,
    CONFIGURES,
    EDITS_CUSTOMERS,
    LEAD_A,
    MACRO_CHANGERS,
    MACRO_USERS,
    MANAGES_TEAM,
    NONE,
    SEES_ALL_CASES,
    STAFF,
    WORKS_CASES,
    A,
    B,
    E,
    P,
    T,
    World,
    sees,
)

# rules
PUBLIC = "public"  # anyone, signed in or not, gets `ok`
CUSTOMER_SESSION = "public: customer session"  # the portal: an agent's session is no customer session
SIGNED = "public: signed"  # webhooks: the signature (or the provider's token) is the authentication, not a login
STAFF_ANY = "staff"  # any signed-in agent, whatever the role
OWN = "own"  # the agent's own things (settings, tokens, notifications)
BOARD = "board"  # the promise board and rates: every role, scoped to what the reader sees
WORK = "work"  # works cases, no object (create)
CASE_READ = "case read"
CASE_WORK = "case work"
CUSTOMER_READ = "customer read"
CUSTOMER_CREATE = "customer create"
CUSTOMER_EDIT = "customer edit"
IDENTITY_CHANGE = "identity change"
CONFIGURE = "configure"
ADMIN_SITE = "admin site"
TEAM_SETTINGS = "team settings"  # a team's own settings: its leads (lead_a for A) and admins; others 403
KB_WRITE = "kb write"  # write knowledge-base articles: agents, leads, admins (QA reviewers read)
KB_PUBLISH = "kb publish"  # review, publish anywhere, keep the categories: leads and admins
INCIDENT_MANAGE = "incident manage"  # open, change, post updates (the world's incident is lead_a's): leads, admins
PULSE_RESULTS = "pulse results"  # the employee pulse's figures: leads, admins

CASES = (A, B, T)
CUSTOMERS = (A, B, T, AB, NONE)
SUGGESTIONS = (A, B, T, AB)
CALLBACKS = (A, B)
TEAMS = (A, B)
OWN_OR_OTHER = ("own", "other")
MACROS = (P, A, B, E)

Data = Callable[[World, str], Any]


@dataclass(frozen=True)
class Outcome:
    status: int
    allowed: bool  # allowed: `writes` must have changed; denied: nothing may have changed
    location: str = ""  # for a redirect to a login page: where it must point


@dataclass(frozen=True)
class Row:
    method: str
    route: str
    rule: str
    url: Callable[[World, str], str]
    data: Data | None = None
    objects: tuple[str, ...] = ("-",)
    ok: int = 200
    writes: tuple[str, ...] = ()
    logs: tuple[str, ...] = ()  # tables a refusal writes on purpose (the rejection log of a webhook)
    body: str = "json"  # json, form or raw
    label: str = ""
    expect: Callable[[str, str], Outcome] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def is_api(self) -> bool:
        return self.route.startswith("/api/v1/")

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.route)

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}" + (f" [{self.label}]" if self.label else "")


def expected(row: Row, actor: str, obj: str) -> Outcome:
    if row.expect is not None:
        return row.expect(actor, obj)
    allow = Outcome(row.ok, allowed=True)
    if row.rule in (PUBLIC, CUSTOMER_SESSION, SIGNED):
        return Outcome(row.ok, allowed=bool(row.writes))
    if row.rule == ADMIN_SITE:  # the admin site has its own login page, for everyone but admins
        return allow if actor == ADMIN else Outcome(302, False, location="/admin/login/?next=")
    if actor == ANON:
        return Outcome(401, False) if row.is_api else Outcome(302, False, location="/login/?next=")
    not_found, forbidden = Outcome(404, False), Outcome(403, False)
    match row.rule:
        case "staff" | "own" | "board":
            return allow
        case "work":
            return allow if actor in WORKS_CASES else forbidden
        case "customer create":
            return allow if actor in EDITS_CUSTOMERS else forbidden
        case "case read" | "customer read":
            return allow if sees(actor, obj) else not_found
        case "case work":
            return not_found if not sees(actor, obj) else allow if actor in WORKS_CASES else forbidden
        case "customer edit":
            return not_found if not sees(actor, obj) else allow if actor in EDITS_CUSTOMERS else forbidden
        case "identity change":
            if not sees(actor, obj):
                return not_found
            return allow if actor in EDITS_CUSTOMERS and actor in SEES_ALL_CASES[obj] else forbidden
        case "configure":
            return allow if actor in CONFIGURES else forbidden
        case "kb write":
            return allow if actor in WORKS_CASES else forbidden
        case "kb publish" | "incident manage" | "pulse results":
            return allow if actor in {LEAD_A, ADMIN} else forbidden
        case "team settings":  # obj: the team (A or B)
            return allow if actor in MANAGES_TEAM[obj] else forbidden
    raise AssertionError(f"no rule {row.rule!r}")


def _logged_in_redirect(status_anonymous: int) -> Callable[[str, str], Outcome]:
    """The login page: anonymous gets it, a signed-in agent is sent on (LoginView.redirect_authenticated_user)."""
    return lambda actor, obj: Outcome(status_anonymous if actor == ANON else 302, False)


def _own_or_other(ok: int) -> Callable[[str, str], Outcome]:
    """An agent's own token: allowed; another agent's: as if it did not exist (404), nothing changed."""

    def outcome(actor: str, obj: str) -> Outcome:
        if actor == ANON:
            return Outcome(302, False, location="/login/?next=")
        return Outcome(ok, True) if obj == "own" else Outcome(404, False)

    return outcome


def _own_or_other_api(ok: int) -> Callable[[str, str], Outcome]:
    """As _own_or_other, through the API (no session: 401)."""

    def outcome(actor: str, obj: str) -> Outcome:
        if actor == ANON:
            return Outcome(401, False)
        return Outcome(ok, True) if obj == "own" else Outcome(404, False)

    return outcome


def _mark_read(actor: str, obj: str) -> Outcome:
    """Marking as read is idempotent and says nothing: another agent's notification id changes nothing."""
    if actor == ANON:
        return Outcome(302, False, location="/login/?next=")
    return Outcome(302, obj == "own")


def _macro(ok: int, *, change: bool, api: bool) -> Callable[[str, str], Outcome]:
    """A macro one may not use is not found; one used but not changed by the actor, 403 (lofte.cases.macros)."""

    def outcome(actor: str, obj: str) -> Outcome:
        if actor == ANON:
            return Outcome(401, False) if api else Outcome(302, False, location="/login/?next=")
        if actor not in MACRO_USERS[obj]:
            return Outcome(404, False)
        if change and actor not in MACRO_CHANGERS[obj]:
            return Outcome(403, False)
        return Outcome(ok, change)

    return outcome


def macro_data(w: World, obj: str) -> dict[str, Any]:
    """A whole macro that keeps the one it replaces shared as it is."""
    scope = {P: "personal", A: "team", B: "team", E: "everyone"}[obj]
    team = {A: w.team_a.pk, B: w.team_b.pk}.get(obj)
    return {"name": f"Changed {obj}", "body": "Hello {customer_name}", "scope": scope, "team": team or ""}


def _other(actor: str) -> str:
    return AGENT_A if actor == AGENT_B else AGENT_B


# --- helpers for request data ---------------------------------------------------------------


def later_message(w: World, obj: str) -> int:
    """The twin's second message from the customer (the first opened it and cannot be split out)."""
    return w.twins[obj].messages.filter(direction="in").order_by("-id").values_list("pk", flat=True)[0]


def _nothing_to_undo(*, api: bool) -> Callable[[str, str], Outcome]:
    """CASE_WORK for removing a link that does not exist: whoever may work the case hears 422, and nothing changes."""

    def expect(actor: str, obj: str) -> Outcome:
        route = f"{V1}/x" if api else "/x"
        outcome = expected(Row("POST", route, CASE_WORK, lambda w, o: route), actor, obj)
        return Outcome(422, False) if outcome.allowed else outcome

    return expect


def ref(w: World, obj: str) -> str:
    return w.cases[obj].reference


def cust(w: World, obj: str) -> int:
    return w.customers[obj].pk


def future(days: int = 3) -> str:
    return (timezone.localtime() + timedelta(days=days)).replace(second=0, microsecond=0).isoformat()


def free_slot(w: World) -> str:
    return callback_slots(team=w.team_a, start=timezone.now(), days=2)[1].start.isoformat()


def team_of(w: World, obj: str) -> Any:
    team = w.cases[obj].team if obj in w.cases else None
    return team.pk if team is not None else ""


def raw_email(w: World, obj: str) -> bytes:
    return (
        b"From: New Person <new.person@kund.example>\r\nTo: support@lofte.example\r\n"
        b"Subject: A brand new question\r\nMessage-ID: <matrix-1@kund.example>\r\n"
        b"Date: Mon, 23 Nov 2026 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello!\r\n"
    )


CASE_WRITES = ("cases.Case",)

# --- pages --------------------------------------------------------------------------------------

PAGES: list[Row] = [
    Row("GET", "/", PUBLIC, lambda w, o: "/", ok=302),
    Row("POST", "/", PUBLIC, lambda w, o: "/", ok=302, body="form"),
    Row("GET", "/admin/", ADMIN_SITE, lambda w, o: "/admin/"),
    Row("GET", "/api/docs", PUBLIC, lambda w, o: "/api/docs"),
    Row("POST", "/api/docs", PUBLIC, lambda w, o: "/api/docs", body="form"),
    Row("GET", "/api/openapi.json", PUBLIC, lambda w, o: "/api/openapi.json"),
    Row("POST", "/api/openapi.json", PUBLIC, lambda w, o: "/api/openapi.json", body="form"),
    Row("GET", "/i18n/setlang/", PUBLIC, lambda w, o: "/i18n/setlang/", ok=302),  # Django's: GET changes nothing
    Row(
        "POST",
        "/i18n/setlang/",
        PUBLIC,
        lambda w, o: "/i18n/setlang/",
        lambda w, o: {"language": "sv", "next": "/inbox/"},
        ok=302,
        body="form",
    ),
    Row("GET", "/login/", PUBLIC, lambda w, o: "/login/", expect=_logged_in_redirect(200)),
    Row(
        "POST",
        "/login/",
        PUBLIC,
        lambda w, o: "/login/",
        lambda w, o: {"username": "agent.a@example.com", "password": "wrong"},
        body="form",
        expect=_logged_in_redirect(200),
    ),
    Row("POST", "/logout/", PUBLIC, lambda w, o: "/logout/", ok=302, body="form"),
    Row("GET", "/settings/", OWN, lambda w, o: "/settings/"),
    Row(
        "POST",
        "/settings/",
        OWN,
        lambda w, o: "/settings/",
        lambda w, o: {"form": "preferences", "name": "Renamed", "language": "", "time_zone": ""},
        ok=302,
        writes=("accounts.Agent",),
        body="form",
        label="preferences",
    ),
    Row(
        "POST",
        "/settings/",
        OWN,
        lambda w, o: "/settings/",
        lambda w, o: {"form": "token", "name": "script"},
        writes=("accounts.ApiToken",),
        body="form",
        label="new token",
    ),
    Row(
        "POST",
        "/settings/tokens/<str:prefix>/revoke",
        OWN,
        lambda w, o: f"/settings/tokens/{w.token_prefixes[o]}/revoke",
        objects=OWN_OR_OTHER,
        ok=302,
        writes=("accounts.ApiToken",),
        body="form",
        expect=_own_or_other(302),
    ),
    Row("GET", "/inbox/", STAFF_ANY, lambda w, o: "/inbox/"),
    Row("GET", "/cases/new/", STAFF_ANY, lambda w, o: "/cases/new/"),
    Row(
        "POST",
        "/cases/new/",
        WORK,
        lambda w, o: "/cases/new/",
        lambda w, o: {
            "name": "Walk In",
            "email": "walk.in@kund.example",
            "phone": "",
            "channel": "phone",
            "subject": "Called about a refund",
            "body": "Wants a refund.",
            "case_type": "",
            "team": team_of(w, o),
        },
        objects=(A, B, T),  # the team the case is filed for: one's own, another, none
        ok=302,
        writes=CASE_WRITES,
        body="form",
    ),
    Row("GET", "/cases/<str:reference>/", CASE_READ, lambda w, o: f"/cases/{ref(w, o)}/", objects=CASES),
    # the world's attachment is on case A: who may read case A may download it
    Row(
        "GET",
        "/cases/<str:reference>/attachments/<int:attachment_id>",
        CASE_READ,
        lambda w, o: f"/cases/{ref(w, o)}/attachments/{w.attachment.pk}",
        objects=(A,),
    ),
    Row(
        "POST",
        "/cases/<str:reference>/reply",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/reply",
        lambda w, o: {"body": "Thank you, we are on it.", "status": ""},
        objects=CASES,
        ok=302,
        writes=("cases.Message", "outbox.OutboxMessage"),
        body="form",
    ),
    Row(
        "POST",
        "/cases/<str:reference>/note",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/note",
        lambda w, o: {"body": "Internal."},
        objects=CASES,
        ok=302,
        writes=("cases.Note",),
        body="form",
    ),
    Row(
        "POST",
        "/cases/<str:reference>/promise",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/promise",
        lambda w, o: {"due_at": future()[:16], "customer_text": "We will call on Friday."},
        objects=CASES,
        ok=302,
        writes=("promises.Promise",),
        body="form",
    ),
    Row(
        "POST",
        "/cases/<str:reference>/status",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/status",
        lambda w, o: {"status": "waiting_on_third_party"},
        objects=CASES,
        ok=302,
        writes=CASE_WRITES,
        body="form",
    ),
    Row(
        "POST",
        "/cases/<str:reference>/assign",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/assign",
        lambda w, o: {"assignee": "me"},
        objects=CASES,
        ok=302,
        writes=CASE_WRITES,
        body="form",
    ),
    Row(
        "POST",
        "/cases/<str:reference>/properties",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/properties",
        lambda w, o: {"priority": "3", "team": team_of(w, o), "case_type": "", "tags": "matrix"},
        objects=CASES,
        ok=302,
        writes=CASE_WRITES,
        body="form",
    ),
    # --- merge, split, link (lofte.cases.merge): with the twin, the same customer's other case in the same place
    Row(
        "POST",
        "/cases/<str:reference>/merge",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/merge",
        lambda w, o: {"into": w.twins[o].reference},
        objects=CASES,
        ok=302,
        writes=("cases.CaseLink", "cases.Message"),
        body="form",
    ),
    Row(
        "POST",
        "/cases/<str:reference>/split",
        CASE_WORK,
        lambda w, o: f"/cases/{w.twins[o].reference}/split",
        lambda w, o: {"message": later_message(w, o)},
        objects=CASES,
        ok=302,
        writes=("cases.Case", "cases.CaseLink", "cases.Message"),
        body="form",
    ),
    Row(
        "POST",
        "/cases/<str:reference>/link",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/link",
        lambda w, o: {"reference": w.twins[o].reference},
        objects=CASES,
        ok=302,
        writes=("cases.CaseLink",),
        body="form",
    ),
    Row(
        "POST",
        "/cases/<str:reference>/unlink",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/unlink",
        lambda w, o: {"reference": w.twins[o].reference},
        objects=CASES,
        expect=_nothing_to_undo(api=False),
        body="form",
    ),
    Row(
        "POST",
        "/cases/<str:reference>/forward",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/forward",
        lambda w, o: {"to": "supplier@leverantor.example", "note": "Please look."},
        objects=CASES,
        ok=302,
        writes=("cases.Message",),
        body="form",
    ),
    Row(
        "POST",
        "/cases/<str:reference>/reply/preview",
        CASE_READ,
        lambda w, o: f"/cases/{ref(w, o)}/reply/preview",
        lambda w, o: {"body": "**Preview**"},
        objects=CASES,
        body="form",
    ),
    Row(  # whom the note box offers after "@": only to those who may add a note
        "GET",
        "/cases/<str:reference>/mentions",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/mentions?q=a",
        objects=CASES,
    ),
    Row("GET", "/customers/", STAFF_ANY, lambda w, o: "/customers/"),
    Row(
        "GET",
        "/customers/<int:customer_id>/",
        CUSTOMER_READ,
        lambda w, o: f"/customers/{cust(w, o)}/",
        objects=CUSTOMERS,
    ),
    Row(
        "POST",
        "/customers/<int:customer_id>/edit",
        CUSTOMER_EDIT,
        lambda w, o: f"/customers/{cust(w, o)}/edit",
        lambda w, o: {"name": "Renamed", "tier": "A", "language": "", "time_zone": "", "notes": "VIP"},
        objects=CUSTOMERS,
        ok=302,
        writes=("customers.Customer",),
        body="form",
    ),
    Row(
        "POST",
        "/customers/<int:customer_id>/edit",
        IDENTITY_CHANGE,
        lambda w, o: f"/customers/{cust(w, o)}/edit",
        lambda w, o: {"name": "Renamed", "tier": "A", "add_email": "added@kund.example", "add_phone": ""},
        objects=CUSTOMERS,
        ok=302,
        writes=("customers.CustomerIdentity",),
        body="form",
        label="add_email",
    ),
    Row(
        "POST",
        "/customers/<int:customer_id>/suggestions/<int:suggestion_id>/<str:decision>",
        IDENTITY_CHANGE,
        lambda w, o: f"/customers/{cust(w, o)}/suggestions/{w.suggestions[o].pk}/confirm",
        objects=SUGGESTIONS,
        ok=302,
        writes=("customers.CustomerIdentity", "customers.IdentitySuggestion"),
        body="form",
        label="confirm",
    ),
    Row(
        "POST",
        "/customers/<int:customer_id>/suggestions/<int:suggestion_id>/<str:decision>",
        CUSTOMER_EDIT,
        lambda w, o: f"/customers/{cust(w, o)}/suggestions/{w.suggestions[o].pk}/dismiss",
        objects=SUGGESTIONS,
        ok=302,
        writes=("customers.IdentitySuggestion",),
        body="form",
        label="dismiss",
    ),
    Row("GET", "/notifications/", OWN, lambda w, o: "/notifications/"),
    Row(
        "POST",
        "/notifications/read",
        OWN,
        lambda w, o: "/notifications/read",
        objects=OWN_OR_OTHER,
        ok=302,
        writes=("notifications.Notification",),
        body="form",
        expect=_mark_read,
    ),
    Row("GET", "/promises/", BOARD, lambda w, o: "/promises/"),
    Row("GET", "/promises/kept-rate", BOARD, lambda w, o: "/promises/kept-rate"),
    Row("GET", "/callback", PUBLIC, lambda w, o: "/callback"),
    Row("POST", "/callback", PUBLIC, lambda w, o: "/callback", lambda w, o: {"phone": ""}, ok=422, body="form"),
    Row("GET", "/callback/booked", PUBLIC, lambda w, o: "/callback/booked?k=forged", ok=404),
    Row("GET", "/callbacks/", STAFF_ANY, lambda w, o: "/callbacks/"),
    Row(
        "POST",
        "/callbacks/book",
        CASE_WORK,
        lambda w, o: "/callbacks/book",
        lambda w, o: {"team": w.team_a.pk, "slot": free_slot(w), "phone": "070-333 33 33", "case": ref(w, o)},
        objects=CASES,
        ok=302,
        writes=("callbacks.Callback",),
        body="form",
    ),
    Row(
        "POST",
        "/callbacks/<int:callback_id>/attempt",
        CASE_WORK,
        lambda w, o: f"/callbacks/{w.callbacks[o].pk}/attempt",
        lambda w, o: {"outcome": "no_answer", "note": "Rang twice."},
        objects=CALLBACKS,
        ok=302,
        writes=("callbacks.CallbackAttempt",),
        body="form",
    ),
    Row(
        "POST",
        "/callbacks/calls",
        CASE_WORK,
        lambda w, o: "/callbacks/calls",
        lambda w, o: {
            "direction": "out",
            "number": "070-444 44 44",
            "outcome": "answered",
            "duration_minutes": "1",
            "case": ref(w, o),
            "next": "/callbacks/",
        },
        objects=CASES,
        ok=302,
        writes=("callbacks.Call",),
        body="form",
    ),
    Row("GET", "/callbacks/kept.json", BOARD, lambda w, o: "/callbacks/kept.json"),
    Row("GET", "/sms/segments", STAFF_ANY, lambda w, o: "/sms/segments?body=Hej"),
    Row("GET", "/contact", PUBLIC, lambda w, o: "/contact"),
    Row("POST", "/contact", PUBLIC, lambda w, o: "/contact", lambda w, o: {"subject": ""}, ok=422, body="form"),
    Row("GET", "/contact/", PUBLIC, lambda w, o: "/contact/", ok=302),
    Row("POST", "/contact/", PUBLIC, lambda w, o: "/contact/", ok=302, body="form"),
    Row("GET", "/contact/thanks/<str:reference>", PUBLIC, lambda w, o: f"/contact/thanks/{ref(w, A)}", ok=404),
    # The portal: the customer's own session, never an agent's (its customer isolation is in lofte/portal/tests).
    Row("GET", "/portal/", CUSTOMER_SESSION, lambda w, o: "/portal/"),
    Row(
        "POST",
        "/portal/",
        CUSTOMER_SESSION,
        lambda w, o: "/portal/",
        lambda w, o: {"address": "stranger@elsewhere.example"},
        body="form",
    ),
    Row("GET", "/portal/login/<str:secret>/", CUSTOMER_SESSION, lambda w, o: "/portal/login/forged/", ok=410),
    Row(
        "POST",
        "/portal/login/<str:secret>/",
        CUSTOMER_SESSION,
        lambda w, o: "/portal/login/forged/",
        ok=410,
        body="form",
    ),
    Row("POST", "/portal/logout/", CUSTOMER_SESSION, lambda w, o: "/portal/logout/", ok=302, body="form"),
    Row("GET", "/portal/cases/", CUSTOMER_SESSION, lambda w, o: "/portal/cases/", ok=302),
    Row("GET", "/portal/cases/new/", CUSTOMER_SESSION, lambda w, o: "/portal/cases/new/", ok=302),
    Row(
        "POST",
        "/portal/cases/new/",
        CUSTOMER_SESSION,
        lambda w, o: "/portal/cases/new/",
        lambda w, o: {"subject": "Something new", "body": "Hello from the portal"},
        ok=302,
        body="form",
    ),
    Row(
        "GET",
        "/portal/cases/<str:reference>/",
        CUSTOMER_SESSION,
        lambda w, o: f"/portal/cases/{ref(w, o)}/",
        objects=CASES,
        ok=302,
    ),
    Row(
        "POST",
        "/portal/cases/<str:reference>/message",
        CUSTOMER_SESSION,
        lambda w, o: f"/portal/cases/{ref(w, o)}/message",
        lambda w, o: {"body": "Hello from the portal"},
        objects=CASES,
        ok=302,
        body="form",
    ),
    Row(
        "POST",
        "/portal/cases/<str:reference>/close",
        CUSTOMER_SESSION,
        lambda w, o: f"/portal/cases/{ref(w, o)}/close",
        objects=CASES,
        ok=302,
        body="form",
    ),
    Row(
        "POST",
        "/portal/cases/<str:reference>/reopen",
        CUSTOMER_SESSION,
        lambda w, o: f"/portal/cases/{ref(w, o)}/reopen",
        objects=CASES,
        ok=302,
        body="form",
    ),
    Row(
        "GET",
        "/portal/cases/<str:reference>/files/<int:attachment_id>",
        CUSTOMER_SESSION,
        lambda w, o: f"/portal/cases/{ref(w, A)}/files/{w.attachment.pk}",
        ok=302,
    ),
    Row("GET", "/inbox/views", STAFF_ANY, lambda w, o: "/inbox/views?view=mine"),  # counts of what one sees
    Row(
        "POST",
        "/inbox/views/save",
        STAFF_ANY,  # one's own view: anyone who reads cases
        lambda w, o: "/inbox/views/save",
        lambda w, o: {"name": "Matrix view", "query": "view=all&status=open"},
        ok=302,
        writes=("cases.SavedView",),
        body="form",
    ),
    Row(
        "POST",
        "/inbox/views/<int:view_id>/delete",
        OWN,
        lambda w, o: f"/inbox/views/{w.saved_views[o].pk}/delete",
        objects=OWN_OR_OTHER,
        ok=302,
        writes=("cases.SavedView",),
        body="form",
        expect=_own_or_other(302),
    ),
    # --- bulk work: works cases; the triage case, which everyone sees (what one may not see is skipped) ------
    Row(
        "POST",
        "/cases/bulk",
        WORK,
        lambda w, o: "/cases/bulk",
        lambda w, o: {"cases": [ref(w, T)], "add_tags": "matrix", "view": "all"},
        ok=302,
        writes=("cases.CaseEvent",),
        body="form",
    ),
    # --- macros: an agent's own, a team's, everyone's (lofte.cases.macros) ---------------------------------
    Row(
        "GET",
        "/cases/<str:reference>/macro",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/macro?macro_name=Everyone%27s",
        objects=CASES,
    ),
    Row("GET", "/macros/", STAFF_ANY, lambda w, o: "/macros/"),  # lists only the macros the reader may use
    Row("GET", "/macros/new", WORK, lambda w, o: "/macros/new"),
    Row(
        "POST",
        "/macros/new",
        WORK,
        lambda w, o: "/macros/new",
        lambda w, o: {"name": "Matrix", "body": "Hello {customer_name}", "scope": "personal"},
        ok=302,
        writes=("cases.Macro",),
        body="form",
    ),
    Row(
        "GET",
        "/macros/<int:macro_id>/",
        "macro",
        lambda w, o: f"/macros/{w.macros[o].pk}/",
        objects=MACROS,
        expect=_macro(200, change=True, api=False),  # the form is for who may change the macro
    ),
    Row(
        "POST",
        "/macros/<int:macro_id>/",
        "macro",
        lambda w, o: f"/macros/{w.macros[o].pk}/",
        macro_data,
        objects=MACROS,
        ok=302,
        writes=("cases.Macro",),
        body="form",
        expect=_macro(302, change=True, api=False),
    ),
    Row(
        "POST",
        "/macros/<int:macro_id>/delete",
        "macro",
        lambda w, o: f"/macros/{w.macros[o].pk}/delete",
        objects=MACROS,
        ok=302,
        writes=("cases.Macro",),
        body="form",
        expect=_macro(302, change=True, api=False),
    ),
    # --- team settings: a team's leads (lead_a for A) and admins; everyone else 403 -------------------------
    Row("GET", "/teams/", STAFF_ANY, lambda w, o: "/teams/"),  # lists only the teams the reader may change
    Row("GET", "/teams/<int:team_id>/", TEAM_SETTINGS, lambda w, o: f"/teams/{w.teams[o].pk}/", objects=TEAMS),
    Row(
        "POST",
        "/teams/<int:team_id>/",
        TEAM_SETTINGS,
        lambda w, o: f"/teams/{w.teams[o].pk}/",
        lambda w, o: {"email": f"changed-{o.lower()}@example.se", "per_slot": 2, "slot_minutes": 15, "calendar": ""},
        objects=TEAMS,
        ok=302,
        writes=("accounts.Team",),
        body="form",
    ),
]

# --- API --------------------------------------------------------------------------------------------

V1 = "/api/v1"

API: list[Row] = [
    # ninja's own pages under /api/v1/: the schema and its docs are public, as /api/docs is
    Row("GET", f"{V1}/", PUBLIC, lambda w, o: f"{V1}/", ok=404),
    Row("GET", f"{V1}/openapi.json", PUBLIC, lambda w, o: f"{V1}/openapi.json"),
    Row("GET", f"{V1}/docs", PUBLIC, lambda w, o: f"{V1}/docs"),
    Row("GET", f"{V1}/teams", STAFF_ANY, lambda w, o: f"{V1}/teams"),
    Row("GET", f"{V1}/me", STAFF_ANY, lambda w, o: f"{V1}/me"),
    # customers
    Row("GET", f"{V1}/customers", STAFF_ANY, lambda w, o: f"{V1}/customers"),
    Row(
        "GET",
        f"{V1}/customers/lookup",
        CUSTOMER_READ,
        lambda w, o: f"{V1}/customers/lookup?email={w.customers[o].identities.get(kind='email').value}",
        objects=CUSTOMERS,
    ),
    Row(
        "GET",
        f"{V1}/customers/{{customer_id}}",
        CUSTOMER_READ,
        lambda w, o: f"{V1}/customers/{cust(w, o)}",
        objects=CUSTOMERS,
    ),
    Row(
        "POST",
        f"{V1}/customers",
        CUSTOMER_CREATE,
        lambda w, o: f"{V1}/customers",
        lambda w, o: {"name": "Fresh Customer", "email": "fresh@kund.example"},
        ok=201,
        writes=("customers.Customer", "customers.CustomerIdentity"),
    ),
    Row(
        "PATCH",
        f"{V1}/customers/{{customer_id}}",
        CUSTOMER_EDIT,
        lambda w, o: f"{V1}/customers/{cust(w, o)}",
        lambda w, o: {"notes": "Prefers email.", "tier": "A"},
        objects=CUSTOMERS,
        writes=("customers.Customer",),
    ),
    Row(
        "PATCH",
        f"{V1}/customers/{{customer_id}}",
        IDENTITY_CHANGE,
        lambda w, o: f"{V1}/customers/{cust(w, o)}",
        lambda w, o: {"add_email": "added@kund.example"},
        objects=CUSTOMERS,
        writes=("customers.CustomerIdentity",),
        label="add_email",
    ),
    Row(
        "GET",
        f"{V1}/customers/{{customer_id}}/suggestions",
        CUSTOMER_READ,
        lambda w, o: f"{V1}/customers/{cust(w, o)}/suggestions",
        objects=CUSTOMERS,
    ),
    Row(
        "POST",
        f"{V1}/customers/{{customer_id}}/suggestions/{{suggestion_id}}/confirm",
        IDENTITY_CHANGE,
        lambda w, o: f"{V1}/customers/{cust(w, o)}/suggestions/{w.suggestions[o].pk}/confirm",
        lambda w, o: {},
        objects=SUGGESTIONS,
        writes=("customers.CustomerIdentity", "customers.IdentitySuggestion"),
    ),
    Row(
        "POST",
        f"{V1}/customers/{{customer_id}}/suggestions/{{suggestion_id}}/dismiss",
        CUSTOMER_EDIT,
        lambda w, o: f"{V1}/customers/{cust(w, o)}/suggestions/{w.suggestions[o].pk}/dismiss",
        lambda w, o: {},
        objects=SUGGESTIONS,
        writes=("customers.IdentitySuggestion",),
    ),
    # cases
    Row("GET", f"{V1}/case-types", STAFF_ANY, lambda w, o: f"{V1}/case-types"),
    Row("GET", f"{V1}/cases", STAFF_ANY, lambda w, o: f"{V1}/cases"),
    Row(
        "POST",
        f"{V1}/cases",
        WORK,
        lambda w, o: f"{V1}/cases",
        lambda w, o: {
            "subject": "From the API",
            "body": "Hello",
            "customer": {"email": "api.person@kund.example", "name": "Api Person"},
            "team": team_of(w, o) or None,
        },
        objects=(A, B, T),  # the team the case is filed for
        ok=201,
        writes=CASE_WRITES,
    ),
    Row("GET", f"{V1}/cases/{{reference}}", CASE_READ, lambda w, o: f"{V1}/cases/{ref(w, o)}", objects=CASES),
    Row(
        "PATCH",
        f"{V1}/cases/{{reference}}",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}",
        lambda w, o: {"priority": "high"},
        objects=CASES,
        writes=CASE_WRITES,
    ),
    Row(
        "GET",
        f"{V1}/cases/{{reference}}/messages",
        CASE_READ,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/messages",
        objects=CASES,
    ),
    Row(
        "POST",
        f"{V1}/cases/{{reference}}/messages",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/messages",
        lambda w, o: {"body": "More from the customer."},
        objects=CASES,
        ok=201,
        writes=("cases.Message",),
    ),
    Row(
        "POST",
        f"{V1}/cases/{{reference}}/replies",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/replies",
        lambda w, o: {"body": "We are on it."},
        objects=CASES,
        ok=201,
        writes=("cases.Message", "outbox.OutboxMessage"),
    ),
    Row(
        "GET", f"{V1}/cases/{{reference}}/notes", CASE_READ, lambda w, o: f"{V1}/cases/{ref(w, o)}/notes", objects=CASES
    ),
    # macros: everyone's on each case; each kind of macro by id
    Row(
        "GET",
        f"{V1}/cases/{{reference}}/macros/{{macro_id}}",
        CASE_READ,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/macros/{w.macros[E].pk}",
        objects=CASES,
    ),
    Row(
        "POST",
        f"{V1}/cases/{{reference}}/macros/{{macro_id}}/apply",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/macros/{w.macros[E].pk}/apply",
        lambda w, o: {},
        objects=CASES,
        ok=201,
        writes=("cases.Message", "outbox.OutboxMessage", "cases.Macro"),
    ),
    Row(
        "POST",
        f"{V1}/cases/bulk",
        WORK,
        lambda w, o: f"{V1}/cases/bulk",
        lambda w, o: {"cases": [ref(w, T)], "add_tags": ["matrix"]},
        writes=("cases.CaseEvent",),
    ),
    Row("GET", f"{V1}/views", STAFF_ANY, lambda w, o: f"{V1}/views"),
    Row(
        "POST",
        f"{V1}/views",
        STAFF_ANY,
        lambda w, o: f"{V1}/views",
        lambda w, o: {"name": "Matrix view", "query": "view=all"},
        ok=201,
        writes=("cases.SavedView",),
    ),
    Row(
        "DELETE",
        f"{V1}/views/{{view_id}}",
        OWN,
        lambda w, o: f"{V1}/views/{w.saved_views[o].pk}",
        objects=OWN_OR_OTHER,
        ok=204,
        writes=("cases.SavedView",),
        expect=_own_or_other_api(204),
    ),
    Row("GET", f"{V1}/macros", STAFF_ANY, lambda w, o: f"{V1}/macros"),
    Row(
        "POST",
        f"{V1}/macros",
        WORK,
        lambda w, o: f"{V1}/macros",
        lambda w, o: {"name": "Matrix", "body": "Hello"},
        ok=201,
        writes=("cases.Macro",),
    ),
    Row(
        "GET",
        f"{V1}/macros/{{macro_id}}",
        "macro",
        lambda w, o: f"{V1}/macros/{w.macros[o].pk}",
        objects=MACROS,
        expect=_macro(200, change=False, api=True),
    ),
    Row(
        "PUT",
        f"{V1}/macros/{{macro_id}}",
        "macro",
        lambda w, o: f"{V1}/macros/{w.macros[o].pk}",
        lambda w, o: {**macro_data(w, o), "team": macro_data(w, o)["team"] or None},
        objects=MACROS,
        writes=("cases.Macro",),
        expect=_macro(200, change=True, api=True),
    ),
    Row(
        "DELETE",
        f"{V1}/macros/{{macro_id}}",
        "macro",
        lambda w, o: f"{V1}/macros/{w.macros[o].pk}",
        objects=MACROS,
        ok=204,
        writes=("cases.Macro",),
        expect=_macro(204, change=True, api=True),
    ),
    Row(
        "POST",
        f"{V1}/cases/{{reference}}/notes",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/notes",
        lambda w, o: {"body": "Internal."},
        objects=CASES,
        ok=201,
        writes=("cases.Note",),
    ),
    Row(
        "POST",
        f"{V1}/cases/{{reference}}/merge",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/merge",
        lambda w, o: {"sources": [w.twins[o].reference]},
        objects=CASES,
        writes=("cases.CaseLink", "cases.Message"),
    ),
    Row(
        "POST",
        f"{V1}/cases/{{reference}}/split",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{w.twins[o].reference}/split",
        lambda w, o: {"message": later_message(w, o)},
        objects=CASES,
        ok=201,
        writes=("cases.Case", "cases.CaseLink", "cases.Message"),
    ),
    Row(
        "POST",
        f"{V1}/cases/{{reference}}/route",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/route",
        objects=CASES,
    ),
    Row(
        "POST",
        f"{V1}/cases/{{reference}}/forward",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/forward",
        lambda w, o: {"to": "supplier@leverantor.example"},
        objects=CASES,
        ok=201,
        writes=("cases.Message",),
    ),
    Row(
        "GET", f"{V1}/cases/{{reference}}/links", CASE_READ, lambda w, o: f"{V1}/cases/{ref(w, o)}/links", objects=CASES
    ),
    Row(
        "POST",
        f"{V1}/cases/{{reference}}/links",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/links",
        lambda w, o: {"reference": w.twins[o].reference},
        objects=CASES,
        ok=201,
        writes=("cases.CaseLink",),
    ),
    Row(
        "DELETE",
        f"{V1}/cases/{{reference}}/links/{{other}}",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/links/{w.twins[o].reference}",
        objects=CASES,
        expect=_nothing_to_undo(api=True),
    ),
    Row(
        "GET",
        f"{V1}/cases/{{reference}}/events",
        CASE_READ,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/events",
        objects=CASES,
    ),
    Row(
        "GET",
        f"{V1}/cases/{{reference}}/promises",
        CASE_READ,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/promises",
        objects=CASES,
    ),
    Row(
        "POST",
        f"{V1}/cases/{{reference}}/promises",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/promises",
        lambda w, o: {"due_at": future(), "customer_text": "By Friday."},
        objects=CASES,
        ok=201,
        writes=("promises.Promise",),
    ),
    # calendars and SLA policies: every agent reads, admins write
    Row("GET", f"{V1}/calendars", STAFF_ANY, lambda w, o: f"{V1}/calendars"),
    Row(
        "POST",
        f"{V1}/calendars",
        CONFIGURE,
        lambda w, o: f"{V1}/calendars",
        lambda w, o: {"name": "Weekend desk", "always_open": True},
        ok=201,
        writes=("promises.BusinessCalendar",),
    ),
    Row("GET", f"{V1}/calendars/{{calendar_id}}", STAFF_ANY, lambda w, o: f"{V1}/calendars/{w.calendar.pk}"),
    Row(
        "PATCH",
        f"{V1}/calendars/{{calendar_id}}",
        CONFIGURE,
        lambda w, o: f"{V1}/calendars/{w.calendar.pk}",
        lambda w, o: {"name": "Renamed calendar"},
        writes=("promises.BusinessCalendar",),
    ),
    Row(
        "GET",
        f"{V1}/calendars/{{calendar_id}}/due",
        STAFF_ANY,
        lambda w, o: f"{V1}/calendars/{w.calendar.pk}/due?start=2026-06-18T16:45:00%2B02:00&minutes=60",
    ),
    Row("GET", f"{V1}/sla-policies", STAFF_ANY, lambda w, o: f"{V1}/sla-policies"),
    Row(
        "POST",
        f"{V1}/sla-policies",
        CONFIGURE,
        lambda w, o: f"{V1}/sla-policies",
        lambda w, o: {"name": "Gold", "tier": "A", "first_response_minutes": 60},
        ok=201,
        writes=("promises.SlaPolicy",),
    ),
    Row("GET", f"{V1}/sla-policies/{{policy_id}}", STAFF_ANY, lambda w, o: f"{V1}/sla-policies/{w.policy.pk}"),
    Row(
        "PATCH",
        f"{V1}/sla-policies/{{policy_id}}",
        CONFIGURE,
        lambda w, o: f"{V1}/sla-policies/{w.policy.pk}",
        lambda w, o: {"name": "Renamed policy"},
        writes=("promises.SlaPolicy",),
    ),
    Row("GET", f"{V1}/promises/kept-rate", BOARD, lambda w, o: f"{V1}/promises/kept-rate?by=team"),
    Row("GET", f"{V1}/promises/eta-held", BOARD, lambda w, o: f"{V1}/promises/eta-held"),
    # channels
    Row(
        "POST",
        f"{V1}/inbound/email",
        CONFIGURE,
        lambda w, o: f"{V1}/inbound/email?mailbox=support",
        raw_email,
        ok=201,
        writes=("lofte_channels.InboundEmail", "cases.Case"),
        body="raw",
    ),
    Row(
        "POST",
        f"{V1}/inbound/webhook/{{source}}",
        SIGNED,
        lambda w, o: f"{V1}/inbound/webhook/{w.webhook_source.name}",
        lambda w, o: {"external_id": "x-1", "from": {"email": "alpha@kund.example"}, "text": "Hi"},
        ok=401,
        logs=("lofte_channels.WebhookRejection",),
    ),
    Row("GET", f"{V1}/sms/segments", STAFF_ANY, lambda w, o: f"{V1}/sms/segments?text=Hej"),
    Row(
        "POST",
        f"{V1}/inbound/sms/{{provider}}/{{token}}",
        SIGNED,
        lambda w, o: f"{V1}/inbound/sms/46elks/forged",
        lambda w, o: "from=%2B46701111111&to=%2B46812345678&message=Hej",
        ok=404,  # no SMS provider is in use here: the same answer whoever asks
        body="raw",
        headers={"content_type": "application/x-www-form-urlencoded"},
    ),
    Row(
        "POST",
        f"{V1}/inbound/sms/{{provider}}/{{token}}/receipt",
        SIGNED,
        lambda w, o: f"{V1}/inbound/sms/46elks/forged/receipt",
        lambda w, o: "id=s1&status=delivered",
        ok=404,
        body="raw",
        headers={"content_type": "application/x-www-form-urlencoded"},
    ),
    # callbacks
    Row("GET", f"{V1}/callbacks/slots", STAFF_ANY, lambda w, o: f"{V1}/callbacks/slots?team={w.team_a.pk}"),
    Row("GET", f"{V1}/callbacks", STAFF_ANY, lambda w, o: f"{V1}/callbacks"),
    Row(
        "POST",
        f"{V1}/callbacks",
        CASE_WORK,
        lambda w, o: f"{V1}/callbacks",
        lambda w, o: {"team": w.team_a.pk, "slot_start": free_slot(w), "phone": "070-333 33 33", "case": ref(w, o)},
        objects=CASES,
        ok=201,
        writes=("callbacks.Callback",),
    ),
    Row(
        "POST",
        f"{V1}/callbacks/{{callback_id}}/attempts",
        CASE_WORK,
        lambda w, o: f"{V1}/callbacks/{w.callbacks[o].pk}/attempts",
        lambda w, o: {"outcome": "no_answer"},
        objects=CALLBACKS,
        ok=201,
        writes=("callbacks.CallbackAttempt",),
    ),
    Row(
        "POST",
        f"{V1}/calls",
        CASE_WORK,
        lambda w, o: f"{V1}/calls",
        lambda w, o: {"direction": "out", "number": "070-444 44 44", "outcome": "answered", "case": ref(w, o)},
        objects=CASES,
        ok=201,
        writes=("callbacks.Call",),
    ),
    Row("GET", f"{V1}/callbacks/kept", BOARD, lambda w, o: f"{V1}/callbacks/kept"),
]

# The API's last router answers every address no router matched (any method, no authentication): a JSON 404.
FALLBACK_ROUTE = f"{V1}/{{rest}}"
API += [
    Row(method, FALLBACK_ROUTE, PUBLIC, lambda w, o: f"{V1}/no/such/endpoint", lambda w, o: {}, ok=404)
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
]

# --- settings pages for admins: calendars, SLA policies, case types, mailboxes (L09) ---
# Every route under /configure/ is an admin's (CONFIGURE); everyone else 403 ("Only admins can change this."),
# for any id, before anything is looked up.


def _configure_case_type(w: World) -> int:
    """A case type for the case-type pages: the world has none, so the first use makes one (inside the test's
    savepoint). Until the world has one, a refused POST on it lists cases.CaseType in `logs`: the row it makes
    before the request is the only change there (lofte/configure/tests/test_access.py checks that a refused
    POST changes no case type at all)."""
    from lofte.cases.models import CaseType

    return CaseType.objects.get_or_create(name="Matrix type")[0].pk


def _configure_calendar_form(w: World, obj: str) -> dict[str, Any]:
    return {"name": "Renamed calendar", "time_zone": "Europe/Stockholm", "mon_open_0": "08:00", "mon_close_0": "17:00"}


def _configure_mailbox_form(name: str, address: str) -> dict[str, Any]:
    return {
        "name": name,
        "address": address,
        "display_name": "Changed",
        "is_active": "on",
        "imap_port": 993,
        "imap_security": "ssl",
        "imap_folder": "INBOX",
        "after_fetch": "move",
        "processed_folder": "Lofte/Processed",
        "smtp_port": 587,
        "smtp_security": "starttls",
    }


_CASE_TYPE_FORM = {"name": "Matrix type renamed", "default_priority": 2, "breach_notice_hours": 4, "is_active": "on"}

PAGES += [
    Row("GET", "/configure/", CONFIGURE, lambda w, o: "/configure/"),
    Row("GET", "/configure/calendars/", CONFIGURE, lambda w, o: "/configure/calendars/"),
    Row("GET", "/configure/calendars/new", CONFIGURE, lambda w, o: "/configure/calendars/new"),
    Row(
        "POST",
        "/configure/calendars/new",
        CONFIGURE,
        lambda w, o: "/configure/calendars/new",
        _configure_calendar_form,
        ok=302,
        writes=("promises.BusinessCalendar",),
        body="form",
    ),
    Row(
        "GET",
        "/configure/calendars/<int:calendar_id>/",
        CONFIGURE,
        lambda w, o: f"/configure/calendars/{w.calendar.pk}/",
    ),
    Row(
        "POST",
        "/configure/calendars/<int:calendar_id>/",
        CONFIGURE,
        lambda w, o: f"/configure/calendars/{w.calendar.pk}/",
        _configure_calendar_form,
        ok=302,
        writes=("promises.BusinessCalendar",),
        body="form",
    ),
    Row(
        "GET",
        "/configure/calendars/<int:calendar_id>/preview",
        CONFIGURE,
        lambda w, o: f"/configure/calendars/{w.calendar.pk}/preview",
    ),
    Row(  # the preview of the form's values: never saves
        "POST",
        "/configure/calendars/<int:calendar_id>/preview",
        CONFIGURE,
        lambda w, o: f"/configure/calendars/{w.calendar.pk}/preview",
        _configure_calendar_form,
        body="form",
    ),
    Row("GET", "/configure/sla/", CONFIGURE, lambda w, o: "/configure/sla/"),
    Row("GET", "/configure/sla/new", CONFIGURE, lambda w, o: "/configure/sla/new"),
    Row(
        "POST",
        "/configure/sla/new",
        CONFIGURE,
        lambda w, o: "/configure/sla/new",
        lambda w, o: {
            "name": "Matrix gold",
            "order": 5,
            "is_active": "on",
            "tier": "A",
            "first_response_minutes": 60,
            "wall_clock": "on",
        },
        ok=302,
        writes=("promises.SlaPolicy",),
        body="form",
    ),
    Row("GET", "/configure/sla/<int:policy_id>/", CONFIGURE, lambda w, o: f"/configure/sla/{w.policy.pk}/"),
    Row(
        "POST",
        "/configure/sla/<int:policy_id>/",
        CONFIGURE,
        lambda w, o: f"/configure/sla/{w.policy.pk}/",
        lambda w, o: {
            "name": "Renamed policy",
            "order": 100,
            "is_active": "on",
            "team": w.team_b.pk,
            "first_response_minutes": 600,
            "wall_clock": "on",
        },
        ok=302,
        writes=("promises.SlaPolicy",),
        body="form",
    ),
    Row(
        "GET",
        "/configure/sla/<int:policy_id>/preview",
        CONFIGURE,
        lambda w, o: f"/configure/sla/{w.policy.pk}/preview?sample-channel=email&sample-priority=2&sample-tier=A",
    ),
    Row("GET", "/configure/case-types/", CONFIGURE, lambda w, o: "/configure/case-types/"),
    Row("GET", "/configure/case-types/new", CONFIGURE, lambda w, o: "/configure/case-types/new"),
    Row(
        "POST",
        "/configure/case-types/new",
        CONFIGURE,
        lambda w, o: "/configure/case-types/new",
        lambda w, o: {**_CASE_TYPE_FORM, "name": "Matrix new type"},
        ok=302,
        writes=("cases.CaseType",),
        body="form",
    ),
    Row(
        "GET",
        "/configure/case-types/<int:case_type_id>/",
        CONFIGURE,
        lambda w, o: f"/configure/case-types/{_configure_case_type(w)}/",
    ),
    Row(
        "POST",
        "/configure/case-types/<int:case_type_id>/",
        CONFIGURE,
        lambda w, o: f"/configure/case-types/{_configure_case_type(w)}/",
        lambda w, o: _CASE_TYPE_FORM,
        ok=302,
        writes=("cases.CaseType",),
        logs=("cases.CaseType",),
        body="form",
    ),
    Row(
        "GET",
        "/configure/case-types/<int:case_type_id>/preview",
        CONFIGURE,
        lambda w, o: f"/configure/case-types/{_configure_case_type(w)}/preview",
    ),
    Row(  # the names customers would see, of the form's values: never saves
        "POST",
        "/configure/case-types/<int:case_type_id>/preview",
        CONFIGURE,
        lambda w, o: f"/configure/case-types/{_configure_case_type(w)}/preview",
        lambda w, o: _CASE_TYPE_FORM,
        logs=("cases.CaseType",),
        body="form",
    ),
    Row(  # an unused case type is deleted (one in use is deactivated): the row's own, made for it, so an admin's
        # request leaves the table as it was (lofte/configure/tests/test_case_types.py checks both outcomes)
        "POST",
        "/configure/case-types/<int:case_type_id>/remove",
        CONFIGURE,
        lambda w, o: f"/configure/case-types/{_configure_case_type(w)}/remove",
        ok=302,
        logs=("cases.CaseType",),
        body="form",
    ),
    Row("GET", "/configure/mailboxes/", CONFIGURE, lambda w, o: "/configure/mailboxes/"),
    Row("GET", "/configure/mailboxes/new", CONFIGURE, lambda w, o: "/configure/mailboxes/new"),
    Row(
        "POST",
        "/configure/mailboxes/new",
        CONFIGURE,
        lambda w, o: "/configure/mailboxes/new",
        lambda w, o: _configure_mailbox_form("matrix", "matrix@lofte.example"),
        ok=302,
        writes=("lofte_channels.Mailbox",),
        body="form",
    ),
    Row(
        "GET",
        "/configure/mailboxes/<int:mailbox_id>/",
        CONFIGURE,
        lambda w, o: f"/configure/mailboxes/{w.mailbox.pk}/",
    ),
    Row(
        "POST",
        "/configure/mailboxes/<int:mailbox_id>/",
        CONFIGURE,
        lambda w, o: f"/configure/mailboxes/{w.mailbox.pk}/",
        lambda w, o: _configure_mailbox_form("support", "support@lofte.example"),
        ok=302,
        writes=("lofte_channels.Mailbox",),
        body="form",
    ),
    Row(
        "GET",
        "/configure/mailboxes/<int:mailbox_id>/preview",
        CONFIGURE,
        lambda w, o: f"/configure/mailboxes/{w.mailbox.pk}/preview",
    ),
    Row(  # what the mailbox would do with the form's values: never saves
        "POST",
        "/configure/mailboxes/<int:mailbox_id>/preview",
        CONFIGURE,
        lambda w, o: f"/configure/mailboxes/{w.mailbox.pk}/preview",
        lambda w, o: _configure_mailbox_form("support", "support@lofte.example"),
        body="form",
    ),
    Row(  # logs in to the saved servers (the world's mailbox has none: "not set"), writes nothing
        "POST",
        "/configure/mailboxes/<int:mailbox_id>/test",
        CONFIGURE,
        lambda w, o: f"/configure/mailboxes/{w.mailbox.pk}/test",
        body="form",
    ),
]
API += []


# --- SMS provider settings (L09) ---
# The SMS provider, sender, secrets and webhook addresses (lofte.configure.sms_views, lofte.channels.sms.api): an
# admin's (CONFIGURE); everyone else 403 before anything is read. The test SMS is asked for a number that is none:
# the admin's answer is the error beside the field (422) and nothing is sent (the sending itself is tested in
# lofte/configure/tests/test_sms.py and lofte/channels/tests/test_sms_settings_api.py).
_SMS_FORM = {"provider": "console", "sender": "Lofte", "allowed_ips": "192.0.2.0/24"}

PAGES += [
    Row("GET", "/configure/sms/", CONFIGURE, lambda w, o: "/configure/sms/"),
    Row(
        "POST",
        "/configure/sms/",
        CONFIGURE,
        lambda w, o: "/configure/sms/",
        lambda w, o: _SMS_FORM,
        ok=302,
        writes=("lofte_channels.SmsSettings",),
        body="form",
    ),
    Row("GET", "/configure/sms/preview", CONFIGURE, lambda w, o: "/configure/sms/preview"),
    Row(  # what the form's values would do: never saves
        "POST",
        "/configure/sms/preview",
        CONFIGURE,
        lambda w, o: "/configure/sms/preview",
        lambda w, o: _SMS_FORM,
        body="form",
    ),
    Row(  # the webhook addresses with the token in them: reads only
        "POST",
        "/configure/sms/webhooks",
        CONFIGURE,
        lambda w, o: "/configure/sms/webhooks",
        body="form",
    ),
    Row(
        "POST",
        "/configure/sms/token",
        CONFIGURE,
        lambda w, o: "/configure/sms/token",
        writes=("lofte_channels.SmsSettings",),
        body="form",
    ),
    Row(
        "POST",
        "/configure/sms/test",
        CONFIGURE,
        lambda w, o: "/configure/sms/test",
        lambda w, o: {"to": "12"},
        ok=422,
        body="form",
    ),
]
API += [
    Row("GET", f"{V1}/settings/sms", CONFIGURE, lambda w, o: f"{V1}/settings/sms"),
    Row(
        "PUT",
        f"{V1}/settings/sms",
        CONFIGURE,
        lambda w, o: f"{V1}/settings/sms",
        lambda w, o: {"provider": "console", "sender": "Lofte", "allowed_ips": ["192.0.2.0/24"]},
        writes=("lofte_channels.SmsSettings",),
    ),
    Row(
        "POST",
        f"{V1}/settings/sms/test",
        CONFIGURE,
        lambda w, o: f"{V1}/settings/sms/test",
        lambda w, o: {"to": "12"},
        ok=422,
    ),
]


# --- routing, agent status and capacity (L09) ---
# The agent of a team (objects A, B): agent_a, agent_b. Their capacity and skills: the team's leads and admins.
def _team_agent(w: World, o: str) -> int:
    return w.agents[AGENT_A if o == A else AGENT_B].pk


PAGES += [
    Row("GET", "/routing/", STAFF_ANY, lambda w, o: "/routing/"),  # lists only what the reader may see
    Row("GET", "/routing/status/", OWN, lambda w, o: "/routing/status/"),
    Row(
        "POST",
        "/routing/status/",
        OWN,
        lambda w, o: "/routing/status/",
        lambda w, o: {"status": "online"},
        ok=302,
        writes=("routing.Availability",),
        body="form",
    ),
    Row(
        "GET",
        "/routing/teams/<int:team_id>/",
        TEAM_SETTINGS,
        lambda w, o: f"/routing/teams/{w.teams[o].pk}/",
        objects=TEAMS,
    ),
    Row(
        "POST",
        "/routing/teams/<int:team_id>/",
        TEAM_SETTINGS,
        lambda w, o: f"/routing/teams/{w.teams[o].pk}/",
        lambda w, o: {"mode": "least_loaded", "grace_minutes": 20},
        objects=TEAMS,
        ok=302,
        writes=("routing.TeamRouting",),
        body="form",
    ),
    Row(
        "GET",
        "/routing/agents/<int:agent_id>/",
        TEAM_SETTINGS,
        lambda w, o: f"/routing/agents/{_team_agent(w, o)}/",
        objects=TEAMS,
    ),
    Row(
        "POST",
        "/routing/agents/<int:agent_id>/",
        TEAM_SETTINGS,
        lambda w, o: f"/routing/agents/{_team_agent(w, o)}/",
        lambda w, o: {"default_capacity": 3, "capacity_phone": 1, "skills": "language:sv"},
        objects=TEAMS,
        ok=302,
        writes=("routing.Availability",),
        body="form",
    ),
    Row(
        "POST",
        "/routing/triage",
        CONFIGURE,
        lambda w, o: "/routing/triage",
        lambda w, o: {"triage_team": w.team_a.pk},
        ok=302,
        writes=("routing.RoutingSettings",),
        body="form",
    ),
]
API += [
    Row("GET", f"{V1}/routing/me", OWN, lambda w, o: f"{V1}/routing/me"),
    Row(
        "PUT",
        f"{V1}/routing/me/status",
        OWN,
        lambda w, o: f"{V1}/routing/me/status",
        lambda w, o: {"status": "away"},
        writes=("routing.Availability",),
    ),
    Row("GET", f"{V1}/routing/agents", STAFF_ANY, lambda w, o: f"{V1}/routing/agents"),
    Row(
        "PATCH",
        f"{V1}/routing/agents/{{agent_id}}",
        TEAM_SETTINGS,
        lambda w, o: f"{V1}/routing/agents/{_team_agent(w, o)}",
        lambda w, o: {"default_capacity": 3, "skills": ["language:sv"]},
        objects=TEAMS,
        writes=("routing.Availability",),
    ),
    Row(
        "GET",
        f"{V1}/routing/teams/{{team_id}}",
        TEAM_SETTINGS,
        lambda w, o: f"{V1}/routing/teams/{w.teams[o].pk}",
        objects=TEAMS,
    ),
    Row(
        "PUT",
        f"{V1}/routing/teams/{{team_id}}",
        TEAM_SETTINGS,
        lambda w, o: f"{V1}/routing/teams/{w.teams[o].pk}",
        lambda w, o: {"mode": "round_robin", "grace_minutes": 5},
        objects=TEAMS,
        writes=("routing.TeamRouting",),
    ),
    Row("GET", f"{V1}/routing/settings", STAFF_ANY, lambda w, o: f"{V1}/routing/settings"),
    Row(
        "PUT",
        f"{V1}/routing/settings",
        CONFIGURE,
        lambda w, o: f"{V1}/routing/settings",
        lambda w, o: {"triage_team": w.team_b.pk},
        writes=("routing.RoutingSettings",),
    ),
]

# --- notice templates (L09) ---
# The texts of the notices Lofte sends customers (lofte.cases.notices): an admin's (CONFIGURE); everyone else 403
# before anything is looked up. The reset rows make the text they delete (inside the test's savepoint), so a refused
# request lists cases.NoticeTemplate in `logs`: the row made before the request is the only change there.


def _notice_text(w: World) -> str:
    """An admin text for the breach notice in Finnish, to reset or remove."""
    from lofte.cases.models import NoticeTemplate

    NoticeTemplate.objects.get_or_create(kind="breach", language="fi", defaults={"body": "Anteeksi {when}"})
    return "breach/fi"


PAGES += [
    Row("GET", "/templates/notices/", CONFIGURE, lambda w, o: "/templates/notices/"),
    Row(
        "GET",
        "/templates/notices/<slug:kind>/<slug:language>/",
        CONFIGURE,
        lambda w, o: "/templates/notices/breach/sv/",
    ),
    Row(
        "POST",
        "/templates/notices/<slug:kind>/<slug:language>/",
        CONFIGURE,
        lambda w, o: "/templates/notices/breach/sv/",
        lambda w, o: {"body": "Förlåt {customer_name}, svar senast {when}."},
        ok=302,
        writes=("cases.NoticeTemplate",),
        body="form",
    ),
    Row(
        "POST",
        "/templates/notices/<slug:kind>/<slug:language>/reset",
        CONFIGURE,
        lambda w, o: f"/templates/notices/{_notice_text(w)}/reset",
        ok=302,
        logs=("cases.NoticeTemplate",),
        body="form",
    ),
]
API += [
    Row("GET", f"{V1}/settings/notices", CONFIGURE, lambda w, o: f"{V1}/settings/notices"),
    Row(
        "PUT",
        f"{V1}/settings/notices/{{kind}}/{{language}}",
        CONFIGURE,
        lambda w, o: f"{V1}/settings/notices/callback_retry/da",
        lambda w, o: {"body": "Vi ringer igen {day} {start}-{end}."},
        writes=("cases.NoticeTemplate",),
    ),
    Row(
        "DELETE",
        f"{V1}/settings/notices/{{kind}}/{{language}}",
        CONFIGURE,
        lambda w, o: f"{V1}/settings/notices/{_notice_text(w)}",
        ok=204,
        logs=("cases.NoticeTemplate",),
    ),
]

# --- people settings: teams and members, agents and roles, acknowledgement templates, webhook sources (L09) ---
# Creating, renaming and deleting teams, agents, templates and webhook sources are an admin's (CONFIGURE); a team's
# members are its leads' and the admins' (TEAM_SETTINGS); the set-password page is anyone's with a valid link
# (the matrix's link is not: the page says so, 200, and changes nothing).


def _people_empty_team(w: World) -> int:
    """A team nothing depends on, for the delete row: made inside the test's savepoint (so a refused request lists
    accounts.Team in `logs`: the row made before the request is the only change); an admin's request deletes it."""
    from lofte.accounts.models import Team

    return Team.objects.get_or_create(name="Matrix empty team")[0].pk


def _people_template(w: World) -> int:
    """The world's acknowledgement template (sv, every case type)."""
    from lofte.cases.models import AcknowledgementTemplate

    return AcknowledgementTemplate.objects.get_or_create(case_type=None, language="sv", defaults={"body": "Hej"})[0].pk


def _people_outsider(w: World, obj: str) -> int:
    """An active agent not in the team (to add): agent_b for team A, agent_a for team B."""
    return w.agents[AGENT_B if obj == A else AGENT_A].pk


def _people_member(w: World, obj: str) -> int:
    """A member of the team who is no lead (to remove): agent_a of team A, agent_b of team B."""
    return w.agents[AGENT_A if obj == A else AGENT_B].pk


_PEOPLE_AGENT_FORM = {"name": "Matrix Agent", "role": "agent", "language": "sv", "time_zone": "Europe/Stockholm"}

PAGES += [
    Row("GET", "/teams/new", CONFIGURE, lambda w, o: "/teams/new"),
    Row(
        "POST",
        "/teams/new",
        CONFIGURE,
        lambda w, o: "/teams/new",
        lambda w, o: {"name": "Matrix new team"},
        ok=302,
        writes=("accounts.Team",),
        body="form",
    ),
    Row(
        "POST",
        "/teams/<int:team_id>/rename",
        CONFIGURE,
        lambda w, o: f"/teams/{w.teams[o].pk}/rename",
        lambda w, o: {"name": f"Renamed {o}"},
        objects=TEAMS,
        ok=302,
        writes=("accounts.Team",),
        body="form",
    ),
    Row(  # lofte/teams/tests/test_team_people.py checks the refusals of a team that agents or cases depend on
        "POST",
        "/teams/<int:team_id>/delete",
        CONFIGURE,
        lambda w, o: f"/teams/{_people_empty_team(w)}/delete",
        ok=302,
        logs=("accounts.Team",),
        body="form",
    ),
    Row(
        "POST",
        "/teams/<int:team_id>/members/add",
        TEAM_SETTINGS,
        lambda w, o: f"/teams/{w.teams[o].pk}/members/add",
        lambda w, o: {"agent": _people_outsider(w, o)},
        objects=TEAMS,
        ok=302,
        writes=("accounts.Agent",),
        body="form",
    ),
    Row(
        "POST",
        "/teams/<int:team_id>/members/<int:agent_id>/remove",
        TEAM_SETTINGS,
        lambda w, o: f"/teams/{w.teams[o].pk}/members/{_people_member(w, o)}/remove",
        objects=TEAMS,
        ok=302,
        writes=("accounts.Agent",),
        body="form",
    ),
    Row("GET", "/agents/", CONFIGURE, lambda w, o: "/agents/"),
    Row("GET", "/agents/new", CONFIGURE, lambda w, o: "/agents/new"),
    Row(
        "POST",
        "/agents/new",
        CONFIGURE,
        lambda w, o: "/agents/new",
        lambda w, o: {**_PEOPLE_AGENT_FORM, "email": "matrix.new@example.com", "teams": [w.team_a.pk]},
        ok=302,
        writes=("accounts.Agent", "outbox.OutboxMessage"),
        body="form",
    ),
    Row("GET", "/agents/<int:agent_id>/", CONFIGURE, lambda w, o: f"/agents/{w.agents[AGENT_B].pk}/"),
    Row(
        "POST",
        "/agents/<int:agent_id>/",
        CONFIGURE,
        lambda w, o: f"/agents/{w.agents[AGENT_B].pk}/",
        lambda w, o: {**_PEOPLE_AGENT_FORM, "teams": [w.team_a.pk, w.team_b.pk]},
        ok=302,
        writes=("accounts.Agent",),
        body="form",
    ),
    Row(
        "POST",
        "/agents/<int:agent_id>/deactivate",
        CONFIGURE,
        lambda w, o: f"/agents/{w.agents[AGENT_B].pk}/deactivate",
        ok=302,
        writes=("accounts.Agent",),
        body="form",
    ),
    Row(  # agent_b is active: nothing to change, for anyone
        "POST",
        "/agents/<int:agent_id>/reactivate",
        CONFIGURE,
        lambda w, o: f"/agents/{w.agents[AGENT_B].pk}/reactivate",
        ok=302,
        body="form",
    ),
    Row(
        "POST",
        "/agents/<int:agent_id>/invite",
        CONFIGURE,
        lambda w, o: f"/agents/{w.agents[AGENT_B].pk}/invite",
        ok=302,
        writes=("outbox.OutboxMessage",),
        body="form",
    ),
    Row("GET", "/set-password/<uidb64>/<token>/", PUBLIC, lambda w, o: "/set-password/MQ/not-a-token/"),
    Row(
        "POST",
        "/set-password/<uidb64>/<token>/",
        PUBLIC,
        lambda w, o: "/set-password/MQ/not-a-token/",
        lambda w, o: {"new_password1": "a-Long and unusual 42", "new_password2": "a-Long and unusual 42"},
        body="form",
    ),
    Row("GET", "/templates/acknowledgements/", CONFIGURE, lambda w, o: "/templates/acknowledgements/"),
    Row("GET", "/templates/acknowledgements/new", CONFIGURE, lambda w, o: "/templates/acknowledgements/new"),
    Row(
        "POST",
        "/templates/acknowledgements/new",
        CONFIGURE,
        lambda w, o: "/templates/acknowledgements/new",
        lambda w, o: {"case_type": "", "language": "en", "body": "Hello {customer_name}, {reference}."},
        ok=302,
        writes=("cases.AcknowledgementTemplate",),
        body="form",
    ),
    Row(
        "GET",
        "/templates/acknowledgements/<int:template_id>/",
        CONFIGURE,
        lambda w, o: f"/templates/acknowledgements/{_people_template(w)}/",
    ),
    Row(
        "POST",
        "/templates/acknowledgements/<int:template_id>/",
        CONFIGURE,
        lambda w, o: f"/templates/acknowledgements/{_people_template(w)}/",
        lambda w, o: {"case_type": "", "language": "sv", "body": "Hej {customer_name}, {reference}."},
        ok=302,
        writes=("cases.AcknowledgementTemplate",),
        body="form",
    ),
    Row(  # the row's own template, made for it: an admin's request leaves the table as it was
        "POST",
        "/templates/acknowledgements/<int:template_id>/delete",
        CONFIGURE,
        lambda w, o: f"/templates/acknowledgements/{_people_template(w)}/delete",
        ok=302,
        body="form",
    ),
    Row("GET", "/webhooks/", CONFIGURE, lambda w, o: "/webhooks/"),
    Row("GET", "/webhooks/new", CONFIGURE, lambda w, o: "/webhooks/new"),
    Row(  # 201: the page that shows the new secret, once
        "POST",
        "/webhooks/new",
        CONFIGURE,
        lambda w, o: "/webhooks/new",
        lambda w, o: {"name": "matrix-new", "is_active": "on"},
        ok=201,
        writes=("lofte_channels.WebhookSource",),
        body="form",
    ),
    Row("GET", "/webhooks/<int:source_id>/", CONFIGURE, lambda w, o: f"/webhooks/{w.webhook_source.pk}/"),
    Row(
        "POST",
        "/webhooks/<int:source_id>/",
        CONFIGURE,
        lambda w, o: f"/webhooks/{w.webhook_source.pk}/",
        lambda w, o: {"name": "shop", "display_name": "Changed", "team": w.team_b.pk, "is_active": "on"},
        ok=302,
        writes=("lofte_channels.WebhookSource",),
        body="form",
    ),
    Row(
        "POST",
        "/webhooks/<int:source_id>/rotate",
        CONFIGURE,
        lambda w, o: f"/webhooks/{w.webhook_source.pk}/rotate",
        writes=("lofte_channels.WebhookSource",),
        body="form",
    ),
]
API += []


# --- knowledge base (L10) ---
# Every signed-in agent reads every article (internal ones too); writing is KB_WRITE, publishing where a category
# asks for review and keeping the categories KB_PUBLISH (lofte/accounts/access.py).


def _kb_section(w: World) -> int:
    return w.kb_section


def _kb_article(w: World) -> int:
    return w.kb_article


PAGES += [
    Row("GET", "/help/", PUBLIC, lambda w, o: "/help/", ok=302),
    Row("GET", "/help/sitemap.xml", PUBLIC, lambda w, o: "/help/sitemap.xml"),
    Row("GET", "/help/files/<int:file_id>/<str:name>", PUBLIC, lambda w, o: "/help/files/999999/x.png", ok=404),
    Row("GET", "/help/<str:lang>/", PUBLIC, lambda w, o: "/help/sv/"),
    Row("GET", "/help/<str:lang>/search", PUBLIC, lambda w, o: "/help/sv/search?q=betalningsdag"),
    Row("GET", "/help/<str:lang>/c/<slug:category>", PUBLIC, lambda w, o: "/help/sv/c/general-cat"),
    Row("GET", "/help/<str:lang>/a/<slug:slug>", PUBLIC, lambda w, o: f"/help/sv/a/{w.kb_slug}"),
    Row(
        "POST",
        "/help/<str:lang>/a/<slug:slug>/vote",
        PUBLIC,
        lambda w, o: f"/help/sv/a/{w.kb_slug}/vote",
        lambda w, o: {"helpful": "yes"},
        ok=302,
        writes=("kb.ArticleVote",),
        body="form",
    ),
    Row("GET", "/contact/suggestions", PUBLIC, lambda w, o: "/contact/suggestions?subject=betalningsdag&lang=sv"),
]


def _kb(w: World, tail: str = "") -> str:
    return f"/kb/{w.kb_article}/sv/{tail}"


_KB_TEXT = {"title": "Ny titel", "body": "Ny text.", "action": "draft"}
_KB_NAMES = {"name_en": "Other", "position": 3}

PAGES += [
    Row("GET", "/kb/", STAFF_ANY, lambda w, o: "/kb/"),
    Row("GET", "/kb/categories", STAFF_ANY, lambda w, o: "/kb/categories"),
    Row("GET", "/kb/<int:article_id>/<slug:language>/", STAFF_ANY, lambda w, o: _kb(w)),
    Row("GET", "/kb/<int:article_id>/<slug:language>/history", STAFF_ANY, lambda w, o: _kb(w, "history")),
    Row(
        "GET", "/kb/<int:article_id>/<slug:language>/history/<int:number>", STAFF_ANY, lambda w, o: _kb(w, "history/2")
    ),
    Row("GET", "/kb/new", KB_WRITE, lambda w, o: "/kb/new"),
    Row(
        "POST",
        "/kb/new",
        KB_WRITE,
        lambda w, o: "/kb/new",
        lambda w, o: _KB_TEXT | {"section": w.kb_section, "language": "sv", "visibility": "public"},
        ok=302,
        writes=("kb.Article", "kb.ArticleTranslation", "kb.ArticleRevision"),
        body="form",
    ),
    Row("POST", "/kb/preview", KB_WRITE, lambda w, o: "/kb/preview", lambda w, o: {"body": "**Hej**"}, body="form"),
    Row("GET", "/kb/<int:article_id>/<slug:language>/edit", KB_WRITE, lambda w, o: _kb(w, "edit")),
    Row(
        "POST",
        "/kb/<int:article_id>/<slug:language>/edit",
        KB_WRITE,
        lambda w, o: _kb(w, "edit"),
        lambda w, o: _KB_TEXT | {"slug": w.kb_slug},
        ok=302,
        writes=("kb.ArticleRevision",),
        body="form",
    ),
    Row("GET", "/kb/<int:article_id>/translate", KB_WRITE, lambda w, o: f"/kb/{w.kb_article}/translate?language=fi"),
    Row(
        "POST",
        "/kb/<int:article_id>/translate",
        KB_WRITE,
        lambda w, o: f"/kb/{w.kb_article}/translate?language=fi",
        lambda w, o: _KB_TEXT | {"language": "fi"},
        ok=302,
        writes=("kb.ArticleTranslation", "kb.ArticleRevision"),
        body="form",
    ),
    Row("GET", "/kb/<int:article_id>/settings", KB_WRITE, lambda w, o: f"/kb/{w.kb_article}/settings"),
    Row(
        "POST",
        "/kb/<int:article_id>/settings",
        KB_WRITE,
        lambda w, o: f"/kb/{w.kb_article}/settings",
        lambda w, o: {"section": w.kb_section, "visibility": "internal", "fallback_language": "sv"},
        ok=302,
        writes=("kb.Article",),
        body="form",
    ),
    Row(
        "POST",
        "/kb/<int:article_id>/<slug:language>/unpublish",
        KB_WRITE,
        lambda w, o: _kb(w, "unpublish"),
        ok=302,
        writes=("kb.ArticleTranslation",),
        body="form",
    ),
    Row("GET", "/kb/reports", KB_WRITE, lambda w, o: "/kb/reports"),
    Row("GET", "/kb/review", KB_PUBLISH, lambda w, o: "/kb/review"),
    Row(
        "POST",
        "/kb/review/<int:revision_id>/publish",
        KB_PUBLISH,
        lambda w, o: f"/kb/review/{w.kb_revision}/publish",
        ok=302,
        writes=("kb.ArticleRevision", "kb.ArticleTranslation"),
        body="form",
    ),
    Row(
        "POST",
        "/kb/review/<int:revision_id>/return",
        KB_PUBLISH,
        lambda w, o: f"/kb/review/{w.kb_revision}/return",
        lambda w, o: {"note": "Skriv kortare."},
        ok=302,
        writes=("kb.ArticleRevision",),
        body="form",
    ),
    Row("GET", "/kb/categories/new", KB_PUBLISH, lambda w, o: "/kb/categories/new"),
    Row(
        "POST",
        "/kb/categories/new",
        KB_PUBLISH,
        lambda w, o: "/kb/categories/new",
        lambda w, o: _KB_NAMES | {"slug": "other"},
        ok=302,
        writes=("kb.Category",),
        body="form",
    ),
    Row("GET", "/kb/categories/<int:category_id>/", KB_PUBLISH, lambda w, o: f"/kb/categories/{w.kb_category}/"),
    Row(
        "POST",
        "/kb/categories/<int:category_id>/",
        KB_PUBLISH,
        lambda w, o: f"/kb/categories/{w.kb_category}/",
        lambda w, o: _KB_NAMES | {"slug": "renamed"},
        ok=302,
        writes=("kb.Category",),
        body="form",
    ),
    Row(
        "GET",
        "/kb/categories/<int:category_id>/sections/new",
        KB_PUBLISH,
        lambda w, o: f"/kb/categories/{w.kb_category}/sections/new",
    ),
    Row(
        "POST",
        "/kb/categories/<int:category_id>/sections/new",
        KB_PUBLISH,
        lambda w, o: f"/kb/categories/{w.kb_category}/sections/new",
        lambda w, o: _KB_NAMES | {"slug": "more"},
        ok=302,
        writes=("kb.Section",),
        body="form",
    ),
    Row("GET", "/kb/sections/<int:section_id>/", KB_PUBLISH, lambda w, o: f"/kb/sections/{w.kb_section}/"),
    Row(
        "POST",
        "/kb/sections/<int:section_id>/",
        KB_PUBLISH,
        lambda w, o: f"/kb/sections/{w.kb_section}/",
        lambda w, o: _KB_NAMES | {"slug": "renamed"},
        ok=302,
        writes=("kb.Section",),
        body="form",
    ),
    Row("GET", "/kb/files/<int:file_id>/<str:name>", STAFF_ANY, lambda w, o: f"/kb/files/{w.kb_file}/a.png"),
    Row(
        "POST",
        "/kb/<int:article_id>/files",
        KB_WRITE,
        lambda w, o: f"/kb/{w.kb_article}/files",
        lambda w, o: {"file": SimpleUploadedFile("b.png", samples.png())},
        ok=302,
        writes=("kb.ArticleFile",),
        body="form",
    ),
    Row(
        "POST",
        "/kb/<int:article_id>/files/<int:file_id>/delete",
        KB_WRITE,
        lambda w, o: f"/kb/{w.kb_article}/files/{w.kb_file}/delete",
        ok=302,
        writes=("kb.ArticleFile",),
        body="form",
    ),
    Row("GET", "/cases/<str:reference>/kb", CASE_READ, lambda w, o: f"/cases/{ref(w, o)}/kb?q=faktura", objects=CASES),
]

API += [
    Row("GET", f"{V1}/kb/search", STAFF_ANY, lambda w, o: f"{V1}/kb/search?q=faktura&language=sv"),
    Row("GET", f"{V1}/kb/articles", STAFF_ANY, lambda w, o: f"{V1}/kb/articles"),
    Row("GET", f"{V1}/kb/articles/{{article_id}}", STAFF_ANY, lambda w, o: f"{V1}/kb/articles/{_kb_article(w)}"),
    Row(
        "POST",
        f"{V1}/kb/articles",
        KB_WRITE,
        lambda w, o: f"{V1}/kb/articles",
        lambda w, o: {"section": _kb_section(w), "language": "sv", "title": "Ny artikel", "body": "Text."},
        ok=201,
        writes=("kb.Article",),
    ),
    Row(
        "POST",
        f"{V1}/kb/articles/{{article_id}}/votes",
        STAFF_ANY,
        lambda w, o: f"{V1}/kb/articles/{_kb_article(w)}/votes",
        lambda w, o: {"language": "sv", "helpful": True},
        ok=204,
        writes=("kb.ArticleVote",),
    ),
]

# --- text understanding (L11) ---
# An agent's answer to a suggestion on a case (objects A, B, T): whoever works the case; a case the agent does not
# see is "not found". The text models' pages: admins.
PAGES += [
    Row(
        "POST",
        "/suggestions/<int:suggestion_id>/decide",
        CASE_WORK,
        lambda w, o: f"/suggestions/{w.triage[o].pk}/decide",
        lambda w, o: {"answer": "other"},
        objects=CASES,
        ok=302,
        writes=("triage.Suggestion", "triage.TrainingExample"),
        body="form",
    ),
    Row("GET", "/configure/text-models/", CONFIGURE, lambda w, o: "/configure/text-models/"),
    Row("GET", "/configure/text-models/<str:field>/", CONFIGURE, lambda w, o: "/configure/text-models/complaint/"),
    Row(
        "POST",
        "/configure/text-models/<str:field>/",
        CONFIGURE,
        lambda w, o: "/configure/text-models/complaint/",
        lambda w, o: {"auto_apply": "on", "apply_percent": "90", "min_examples": "8"},
        ok=302,
        writes=("triage.FieldSetting",),
        body="form",
    ),
    Row(
        "POST",
        "/configure/text-models/<str:field>/train",
        CONFIGURE,
        lambda w, o: "/configure/text-models/case_type/train",
        ok=302,
        writes=("triage.TriageModel",),
        body="form",
    ),
    Row(
        "POST",
        "/configure/text-models/<str:field>/models/<int:model_id>/switch-on",
        CONFIGURE,
        lambda w, o: f"/configure/text-models/complaint/models/{w.text_model}/switch-on",
        ok=302,
        writes=("triage.TriageModel",),
        body="form",
    ),
    Row(
        "POST",
        "/configure/text-models/<str:field>/switch-off",
        CONFIGURE,
        lambda w, o: "/configure/text-models/status_question/switch-off",
        ok=302,
        writes=("triage.TriageModel",),
        body="form",
    ),
]

API += [
    Row(
        "GET",
        f"{V1}/cases/{{reference}}/suggestions",
        CASE_READ,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/suggestions",
        objects=CASES,
    ),
    Row(
        "POST",
        f"{V1}/suggestions/{{suggestion_id}}/decide",
        CASE_WORK,
        lambda w, o: f"{V1}/suggestions/{w.triage[o].pk}/decide",
        lambda w, o: {"answer": "other"},
        objects=CASES,
        writes=("triage.Suggestion", "triage.TrainingExample"),
    ),
]

# --- complaints (L12) ---
# The register: every agent (it lists the complaints of the cases each may see). A case's complaint (objects A, B,
# T, each a complaint already): whoever works the case flags, changes and un-flags it; a case the agent does not
# see is "not found". Flagging a complaint again changes nothing.
PAGES += [
    Row("GET", "/complaints/", STAFF_ANY, lambda w, o: "/complaints/"),
    Row(
        "POST",
        "/cases/<str:reference>/complaint/flag",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/complaint/flag",
        objects=CASES,
        ok=302,
        body="form",
    ),
    Row(
        "POST",
        "/cases/<str:reference>/complaint",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/complaint",
        lambda w, o: {"severity": "high"},
        objects=CASES,
        ok=302,
        writes=("complaints.Complaint",),
        body="form",
    ),
    Row(
        "POST",
        "/cases/<str:reference>/complaint/unflag",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/complaint/unflag",
        lambda w, o: {"reason": "A question"},
        objects=CASES,
        ok=302,
        writes=("complaints.Complaint",),
        body="form",
    ),
]

API += [
    Row("GET", f"{V1}/complaints", STAFF_ANY, lambda w, o: f"{V1}/complaints"),
    Row("GET", f"{V1}/complaints/categories", STAFF_ANY, lambda w, o: f"{V1}/complaints/categories"),
    Row("GET", f"{V1}/complaints/root-causes", STAFF_ANY, lambda w, o: f"{V1}/complaints/root-causes"),
    Row(
        "GET",
        f"{V1}/cases/{{reference}}/complaint",
        CASE_READ,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/complaint",
        objects=CASES,
    ),
    Row(
        "POST",
        f"{V1}/cases/{{reference}}/complaint",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/complaint",
        objects=CASES,
    ),
    Row(
        "PATCH",
        f"{V1}/cases/{{reference}}/complaint",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/complaint",
        lambda w, o: {"severity": "high"},
        objects=CASES,
        writes=("complaints.Complaint",),
    ),
    Row(
        "POST",
        f"{V1}/cases/{{reference}}/complaint/unflag",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/complaint/unflag",
        lambda w, o: {"reason": "A question"},
        objects=CASES,
        writes=("complaints.Complaint",),
    ),
]


def _approver(*, api: bool) -> Callable[[str, str], Outcome]:
    """Approving or rejecting 1000 SEK proposed by someone else: whoever works the case and has no limit below it
    (team leads and admins by default; agents may approve nothing on their own); "not found" unseen."""

    def outcome(actor: str, obj: str) -> Outcome:
        if actor == ANON:
            return Outcome(401, False) if api else Outcome(302, False, location="/login/?next=")
        if not sees(actor, obj):
            return Outcome(404, False)
        return Outcome(200 if api else 302, True) if actor in {LEAD_A, ADMIN} else Outcome(403, False)

    return outcome


def _comp(w: World, o: str, which: str) -> int:
    return w.compensations[o][which]


PAGES += [
    Row("GET", "/complaints/compensation/", STAFF_ANY, lambda w, o: "/complaints/compensation/"),
    Row("GET", "/complaints/compensation.csv", STAFF_ANY, lambda w, o: "/complaints/compensation.csv"),
    Row(
        "POST",
        "/cases/<str:reference>/complaint/compensation",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/complaint/compensation",
        lambda w, o: {"kind": "gift", "amount": "50", "currency": "SEK", "reason": "Sorry"},
        objects=CASES,
        ok=302,
        writes=("complaints.Compensation",),
        body="form",
    ),
    Row(
        "POST",
        "/compensation/<int:compensation_id>/<str:action>",
        CASE_WORK,
        lambda w, o: f"/compensation/{_comp(w, o, 'proposed')}/approve",
        lambda w, o: {"reason": "Fair"},
        objects=CASES,
        ok=302,
        writes=("complaints.Compensation",),
        body="form",
        label="approve",
        expect=_approver(api=False),
    ),
    Row(
        "POST",
        "/compensation/<int:compensation_id>/<str:action>",
        CASE_WORK,
        lambda w, o: f"/compensation/{_comp(w, o, 'approved')}/paid",
        objects=CASES,
        ok=302,
        writes=("complaints.Compensation",),
        body="form",
        label="paid",
    ),
]

API += [
    Row(
        "GET",
        f"{V1}/cases/{{reference}}/complaint/compensation",
        CASE_READ,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/complaint/compensation",
        objects=CASES,
    ),
    Row(
        "POST",
        f"{V1}/cases/{{reference}}/complaint/compensation",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/complaint/compensation",
        lambda w, o: {"kind": "gift", "amount": "50", "currency": "SEK", "reason": "Sorry"},
        objects=CASES,
        ok=201,
        writes=("complaints.Compensation",),
    ),
    Row(
        "POST",
        f"{V1}/compensation/{{compensation_id}}/approve",
        CASE_WORK,
        lambda w, o: f"{V1}/compensation/{_comp(w, o, 'proposed')}/approve",
        lambda w, o: {"reason": "Fair"},
        objects=CASES,
        writes=("complaints.Compensation",),
        expect=_approver(api=True),
    ),
    Row(
        "POST",
        f"{V1}/compensation/{{compensation_id}}/reject",
        CASE_WORK,
        lambda w, o: f"{V1}/compensation/{_comp(w, o, 'proposed')}/reject",
        lambda w, o: {"reason": "Not ours"},
        objects=CASES,
        writes=("complaints.Compensation",),
        expect=_approver(api=True),
    ),
    Row(
        "POST",
        f"{V1}/compensation/{{compensation_id}}/paid",
        CASE_WORK,
        lambda w, o: f"{V1}/compensation/{_comp(w, o, 'approved')}/paid",
        objects=CASES,
        writes=("complaints.Compensation",),
    ),
    Row(
        "POST",
        f"{V1}/compensation/{{compensation_id}}/cancel",
        CASE_WORK,
        lambda w, o: f"{V1}/compensation/{_comp(w, o, 'proposed')}/cancel",
        lambda w, o: {"reason": "Withdrawn"},
        objects=CASES,
        writes=("complaints.Compensation",),
    ),
    Row("GET", f"{V1}/complaints/compensation", STAFF_ANY, lambda w, o: f"{V1}/complaints/compensation"),
    Row(
        "GET",
        f"{V1}/complaints/compensation/totals",
        STAFF_ANY,
        lambda w, o: f"{V1}/complaints/compensation/totals?group=customer",
    ),
]

PAGES += [
    Row(
        "POST",
        "/cases/<str:reference>/complaint/steps/<int:step_id>",
        CASE_WORK,
        lambda w, o: f"/cases/{ref(w, o)}/complaint/steps/{w.steps['todo']}",
        lambda w, o: {"done": "1"},
        objects=CASES,
        ok=302,
        writes=("complaints.StepDone",),
        body="form",
    ),
]

API += [
    Row(
        "GET",
        f"{V1}/cases/{{reference}}/complaint/procedure",
        CASE_READ,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/complaint/procedure",
        objects=CASES,
    ),
    Row(
        "POST",
        f"{V1}/cases/{{reference}}/complaint/procedure/{{step_id}}",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/complaint/procedure/{w.steps['todo']}",
        objects=CASES,
        writes=("complaints.StepDone",),
    ),
    Row(
        "DELETE",
        f"{V1}/cases/{{reference}}/complaint/procedure/{{step_id}}",
        CASE_WORK,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/complaint/procedure/{w.steps['done']}",
        objects=CASES,
        writes=("complaints.StepDone",),
    ),
]

# The temperature check's page: a signed link is the authentication; a forged one is "not found" for everyone,
# and records nothing (lofte/complaints/tests/test_checks.py answers with real links).
PAGES += [
    Row("GET", "/check/<str:token>", SIGNED, lambda w, o: "/check/forged", ok=404),
    Row(
        "POST",
        "/check/<str:token>",
        SIGNED,
        lambda w, o: "/check/forged",
        lambda w, o: {"answer": "no"},
        ok=404,
        body="form",
        label="answer",
    ),
]

# The survey page: a signed link is the authentication, as for the temperature check
# (lofte/surveys/tests/test_surveys.py answers with real links).
PAGES += [
    Row("GET", "/survey/<str:token>", SIGNED, lambda w, o: "/survey/forged", ok=404),
    Row(
        "POST",
        "/survey/<str:token>",
        SIGNED,
        lambda w, o: "/survey/forged",
        lambda w, o: {"score": "0"},
        ok=404,
        body="form",
        label="answer",
    ),
]

API += [
    Row(
        "GET",
        f"{V1}/cases/{{reference}}/complaint/checks",
        CASE_READ,
        lambda w, o: f"{V1}/cases/{ref(w, o)}/complaint/checks",
        objects=CASES,
    ),
]

# The analysis and the register's exports: every agent (each counts the complaints of the cases they see).
PAGES += [
    Row("GET", "/complaints/analysis/", STAFF_ANY, lambda w, o: "/complaints/analysis/"),
    Row("GET", "/complaints/analysis/<str:key>.csv", STAFF_ANY, lambda w, o: "/complaints/analysis/by_channel.csv"),
    Row("GET", "/complaints/register.csv", STAFF_ANY, lambda w, o: "/complaints/register.csv?state=all"),
    Row("GET", "/complaints/register/print", STAFF_ANY, lambda w, o: "/complaints/register/print"),
]

API += [
    Row("GET", f"{V1}/complaints/analysis/{{figure}}", STAFF_ANY, lambda w, o: f"{V1}/complaints/analysis/per_month"),
]

# Tiers from a CSV (or the API): admins only; the import changes the customers it names.
PAGES += [
    Row("GET", "/customers/import", CONFIGURE, lambda w, o: "/customers/import"),
    Row(
        "POST",
        "/customers/import",
        CONFIGURE,
        lambda w, o: "/customers/import",
        lambda w, o: {"csv": "email,tier\nalpha@kund.example,A\n"},
        writes=("customers.Customer",),
        body="form",
    ),
]

API += [
    Row(
        "POST",
        f"{V1}/imports/customers",
        CONFIGURE,
        lambda w, o: f"{V1}/imports/customers",
        lambda w, o: {"csv": "email,tier\nalpha@kund.example,A\n"},
        writes=("customers.Customer",),
    ),
]

INCIDENT_ROWS = [
    # Incidents: every staff role reads them; leads and admins open, change and post (the incident's owner too:
    # lofte/incidents/tests); linking a case is working it. The status page and its sign-up are public.
    Row("GET", "/incidents/", STAFF_ANY, lambda w, o: "/incidents/"),
    Row("GET", "/incidents/new", INCIDENT_MANAGE, lambda w, o: "/incidents/new"),
    Row(
        "POST",
        "/incidents/new",
        INCIDENT_MANAGE,
        lambda w, o: "/incidents/new",
        lambda w, o: {"kind": "incident", "title": "Matrix incident", "severity": "minor"},
        ok=302,
        writes=("incidents.Incident",),
        body="form",
    ),
    Row("GET", "/incidents/<int:incident_id>/", STAFF_ANY, lambda w, o: f"/incidents/{w.incident}/"),
    Row(
        "POST",
        "/incidents/<int:incident_id>/updates",
        INCIDENT_MANAGE,
        lambda w, o: f"/incidents/{w.incident}/updates",
        lambda w, o: {"body": "Still looking", "status": "investigating", "visibility": "public"},
        ok=302,
        writes=("incidents.IncidentUpdate",),
        body="form",
    ),
    Row(
        "POST",
        "/incidents/<int:incident_id>/ready",
        INCIDENT_MANAGE,
        lambda w, o: f"/incidents/{w.incident}/ready",
        ok=302,
        writes=("incidents.IncidentUpdate",),
        body="form",
    ),
    Row(
        "POST",
        "/incidents/<int:incident_id>/link",
        CASE_WORK,
        lambda w, o: f"/incidents/{w.incident}/link",
        lambda w, o: {"reference": ref(w, o)},
        objects=CASES,
        ok=302,
        writes=("incidents.IncidentCase",),
        body="form",
    ),
    Row("GET", "/status/", PUBLIC, lambda w, o: "/status/"),
    Row("GET", "/status.json", PUBLIC, lambda w, o: "/status.json"),
    Row("GET", "/status/feed.atom", PUBLIC, lambda w, o: "/status/feed.atom"),
    Row(
        "POST",
        "/status/subscribe",
        PUBLIC,
        lambda w, o: "/status/subscribe",
        lambda w, o: {"kind": "email", "address": "new.subscriber@example.com"},
        writes=("incidents.Subscriber",),
        body="form",
    ),
    Row("GET", "/status/confirm/<str:token>", PUBLIC, lambda w, o: f"/status/confirm/{w.pending_link}"),
    Row(
        "POST",
        "/status/confirm/<str:token>",
        PUBLIC,
        lambda w, o: f"/status/confirm/{w.pending_link}",
        writes=("incidents.Subscriber",),
        body="form",
    ),
    Row("GET", "/status/unsubscribe/<str:token>", PUBLIC, lambda w, o: f"/status/unsubscribe/{w.active_link}"),
    Row(
        "POST",
        "/status/unsubscribe/<str:token>",
        PUBLIC,
        lambda w, o: f"/status/unsubscribe/{w.active_link}",
        writes=("incidents.Subscriber",),
        body="form",
    ),
    Row("GET", "/api/v1/incidents", STAFF_ANY, lambda w, o: "/api/v1/incidents"),
    Row(
        "POST",
        "/api/v1/incidents",
        INCIDENT_MANAGE,
        lambda w, o: "/api/v1/incidents",
        lambda w, o: {"title": "Matrix incident", "severity": "minor"},
        ok=201,
        writes=("incidents.Incident",),
    ),
    Row("GET", "/api/v1/incidents/{incident_id}", STAFF_ANY, lambda w, o: f"/api/v1/incidents/{w.incident}"),
    Row(
        "PATCH",
        "/api/v1/incidents/{incident_id}",
        INCIDENT_MANAGE,
        lambda w, o: f"/api/v1/incidents/{w.incident}",
        lambda w, o: {"severity": "minor"},
        writes=("incidents.Incident",),
    ),
    Row(
        "POST",
        "/api/v1/incidents/{incident_id}/updates",
        INCIDENT_MANAGE,
        lambda w, o: f"/api/v1/incidents/{w.incident}/updates",
        lambda w, o: {"text": "Still looking"},
        ok=201,
        writes=("incidents.IncidentUpdate",),
    ),
    Row(
        "POST",
        "/api/v1/incidents/{incident_id}/ready",
        INCIDENT_MANAGE,
        lambda w, o: f"/api/v1/incidents/{w.incident}/ready",
        lambda w, o: {},
        ok=201,
        writes=("incidents.IncidentUpdate",),
    ),
    Row(
        "GET", "/api/v1/incidents/{incident_id}/cases", STAFF_ANY, lambda w, o: f"/api/v1/incidents/{w.incident}/cases"
    ),
    Row(
        "POST",
        "/api/v1/incidents/{incident_id}/cases",
        CASE_WORK,
        lambda w, o: f"/api/v1/incidents/{w.incident}/cases",
        lambda w, o: {"case": ref(w, o)},
        objects=CASES,
        ok=201,
        writes=("incidents.IncidentCase",),
    ),
    Row(
        "DELETE",
        "/api/v1/incidents/{incident_id}/cases/{reference}",
        CASE_WORK,
        lambda w, o: f"/api/v1/incidents/{w.incident}/cases/{w.twins[o].reference}",
        objects=CASES,
        ok=204,
        writes=("incidents.IncidentCase",),
    ),
    Row("GET", "/api/v1/components", STAFF_ANY, lambda w, o: "/api/v1/components"),
    Row(
        "POST",
        "/api/v1/components",
        CONFIGURE,
        lambda w, o: "/api/v1/components",
        lambda w, o: {"name": "Card payments"},
        ok=201,
        writes=("incidents.Component",),
    ),
]

PULSE_ROWS = [
    # The employee pulse: every staff role answers the open round once (stored without the person); leads and
    # admins read the figures; admins open a round.
    Row("GET", "/pulse/", STAFF_ANY, lambda w, o: "/pulse/"),
    Row(
        "POST",
        "/pulse/",
        STAFF_ANY,
        lambda w, o: "/pulse/",
        lambda w, o: {"enps": "8", "equipped": "4", "workload": "3"},
        ok=302,
        writes=("surveys.PulseAnswer", "surveys.PulseTaken"),
        body="form",
    ),
    Row("GET", "/pulse/results/", PULSE_RESULTS, lambda w, o: "/pulse/results/"),
    Row("GET", "/api/v1/pulses", PULSE_RESULTS, lambda w, o: "/api/v1/pulses"),
    Row("GET", "/api/v1/pulses/{pulse_id}", PULSE_RESULTS, lambda w, o: f"/api/v1/pulses/{w.pulse}"),
    # a case's surveys: as the case (404 for a case the agent cannot see)
    Row(
        "GET",
        "/api/v1/cases/{reference}/surveys",
        CASE_READ,
        lambda w, o: f"/api/v1/cases/{ref(w, o)}/surveys",
        objects=CASES,
    ),
    Row(
        "POST",
        "/pulse/results/",
        CONFIGURE,
        lambda w, o: "/pulse/results/",
        lambda w, o: {"title": "Matrix round", "days": "7"},
        ok=302,
        writes=("surveys.PulseRound",),
        body="form",
    ),
]

ROWS: list[Row] = PAGES + API + INCIDENT_ROWS + PULSE_ROWS


def cases_for(row: Row) -> list[tuple[Row, str, str]]:
    """Every (row, actor, object) the matrix checks."""
    actors = (ANON, *STAFF)
    return [(row, actor, obj) for actor in actors for obj in row.objects]


def object_for(row: Row, actor: str, obj: str, w: World) -> str:
    """OWN_OR_OTHER rows name the actor's own thing or another agent's."""
    if obj == "own":
        return actor if actor != ANON else AGENT_A
    if obj == "other":
        return _other(actor)
    return obj


def data_for(row: Row, w: World, actor: str, obj: str) -> Any:
    if row.route == "/notifications/read":
        owner = object_for(row, actor, obj, w)
        return {"id": w.notifications[owner].pk, "next": "/notifications/"}
    return row.data(w, obj) if row.data is not None else None


def url_for(row: Row, w: World, actor: str, obj: str) -> str:
    if row.objects == OWN_OR_OTHER:
        obj = object_for(row, actor, obj, w)
    return row.url(w, obj)
