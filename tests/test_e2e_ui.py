"""In headless Chromium (Debian's): the pages run under the Content-Security-Policy without a single
violation, fit a 390 px screen, and solving waits a few seconds for an undo.

The CSP walk runs against the real ASGI application under uvicorn (as `lofte start` serves it), so that
the promise board's websocket is tried too: Chromium must allow ws:// to this host under connect-src
'self'. The other tests use pytest-django's live server. No screenshot is kept.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import global_settings
from django.db import connection
from playwright.sync_api import Page, expect

from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases import services
from lofte.cases.models import Case, Macro, Status
from lofte.cases.services import AttachmentInput
from lofte.cases.tests.factories import make_case
from lofte.core import clock
from lofte.customers.services import customer_create
from lofte.portal.services import portal_token_create
from lofte.promises.models import PromiseKind
from lofte.promises.services import promise_make

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "hemligt-lösen-1"
ROOT = Path(__file__).resolve().parent.parent
# Records every violation the page reports, from before its first script runs (added to each new document).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database_url() -> str:
    """The test database, as DATABASE_URL for another process."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def asgi_server(transactional_db, settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """config.asgi:application under uvicorn, on the test database (HTTP and websockets, static files). The
    agents the test makes get their passwords hashed as the server's own settings expect (the tests' MD5 is
    not among them)."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CONN_MAX_AGE": "0",  # no connection outlives a request: the test database can be flushed and dropped
        "LOFTE_DATA_DIR": str(settings.DATA_DIR),
        "DEBUG": "0",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(f"uvicorn did not start: {server.stderr.read().decode()[-2000:]}") from None  # type: ignore[union-attr]
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def violations(page: Page) -> list[str]:
    return list(page.evaluate("window.__csp || []"))


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form[action='/login/'] button[type=submit]").click()
    expect(page).to_have_url(f"{base}/inbox/")


def world():  # type: ignore[no-untyped-def]
    team = TeamFactory(name="Kundservice")
    agent = AgentFactory(email="anna@example.se", name="Anna Agent", teams=[team], password=PASSWORD, language="en")
    admin = AgentFactory(email="rita@example.se", name="Rita Root", role="admin", teams=[team], password=PASSWORD)
    customer = customer_create(name="Karin Kund", email="karin@example.se", language="en")
    case = make_case(customer=customer, team=team, subject="Fel belopp på fakturan", body="Fakturan är fel.")
    services.case_add_inbound(
        case=case,
        body="Här är fakturan.",
        channel="email",
        attachments=[AttachmentInput(filename="faktura.pdf", content_type="application/pdf", content=b"%PDF-1.4\n")],
    )
    services.case_reply(case=case, author=agent, body="Tack, vi tittar på det.")
    return team, agent, admin, customer, case


def test_the_pages_run_without_a_csp_violation(asgi_server: str, page: Page):
    base = asgi_server
    _team, agent, admin, customer, case = world()
    page.context.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    seen: dict[str, list[str]] = {}

    def check(name: str) -> None:
        seen[name] = violations(page)

    # login: the language select sends its form by itself (data-autosubmit, no onchange attribute)
    page.goto(f"{base}/login/")
    page.locator("#login-language").select_option("sv")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    check("login")
    log_in(page, base, agent.email)

    # inbox: a shortcut (j selects the first row) and an HTMX request (the search filters the list)
    page.keyboard.press("j")
    expect(page.locator("table.cases tr.selected")).to_have_count(1)
    with page.expect_response(lambda r: "/inbox/" in r.url and r.request.headers.get("hx-request") == "true"):
        page.locator("#q").fill("faktura")
    expect(page.locator("#case-list")).to_contain_text(case.reference)
    check("inbox")

    # the case page: ? opens the shortcuts, an HTMX action adds a note, e and z solve and undo
    page.goto(f"{base}/cases/{case.reference}/")
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    page.locator("#note-body").fill("Kolla med ekonomi.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".timeline .note-card")).to_contain_text("Kolla med ekonomi.")
    page.keyboard.press("e")
    expect(page.locator("#undo-bar")).to_contain_text("Solving…")
    page.keyboard.press("z")
    expect(page.locator("#undo-bar")).to_be_empty()
    check("case")
    page.goto(f"{base}/macros/new")
    check("new macro")

    # the board: live over the websocket (ws:// to this host under connect-src 'self'), and refreshed by htmx
    page.goto(f"{base}/promises/")
    expect(page.locator("#board-status.live")).to_have_text("Live")
    with page.expect_response(lambda r: "/promises/" in r.url and r.request.headers.get("hx-request") == "true"):
        page.evaluate("window.htmx.trigger(document.body, 'board-changed')")
    check("board")
    page.goto(f"{base}/promises/kept-rate")
    check("kept rate")
    page.goto(f"{base}/api/docs")
    expect(page.locator(".swagger-ui .info")).to_contain_text("Lofte API")
    check("API docs")

    # the admin site, as an admin
    page.context.clear_cookies()
    log_in(page, base, admin.email)
    page.goto(f"{base}/admin/")
    check("admin index")
    page.goto(f"{base}/admin/cases/case/{case.pk}/change/")
    expect(page.locator("#case_form")).to_be_visible()
    check("admin change form")
    page.goto(f"{base}/admin/cases/case/")
    check("admin change list")

    # the portal, with a customer's session from a magic link
    page.context.clear_cookies()
    _token, secret = portal_token_create(customer=customer)
    page.goto(f"{base}/portal/login/{secret}/")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base}/portal/cases/")
    check("portal cases")
    page.goto(f"{base}/portal/cases/{case.reference}/")
    expect(page.locator("main")).to_contain_text("Tack, vi tittar på det.")
    check("portal case")

    # the contact form, alone and embedded; an HTMX submission that comes back with errors (422)
    for address in ("/contact?lang=en", "/contact?embed=1&lang=en"):
        page.goto(base + address)
        page.locator("#id_email").fill("not an address")
        with page.expect_response(lambda r: "/contact" in r.url and r.status == 422):
            page.locator(".contact-form button[type=submit]").click()
        expect(page.locator(".contact-alert")).to_be_visible()
        check(address)
    page.goto(f"{base}/callback")
    check("callback")
    page.goto(f"{base}/no/such/page")
    check("404")

    assert {name: found for name, found in seen.items() if found} == {}
    assert console == []


def _narrow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_the_inbox_a_case_and_the_board_fit_a_phone(live_server, page: Page):
    team, agent, _admin, customer, case = world()
    now = clock.now()
    for i in range(12):
        other = make_case(
            customer=customer,
            team=team,
            subject=f"Fakturan för abonnemanget Företagsbredband Plus {i} är fel igen",
            body="Hej!",
        )
        services.case_update(case=other, actor=agent, tags=["faktura", "återkommande", "vip"], assignee=agent)
        made = now - timedelta(days=1)  # made yesterday, due an hour or more ago: overdue on the board
        promise_make(
            case=other, due_at=now - timedelta(hours=i + 1), created_by=agent, now=made, kind=PromiseKind.FOLLOW_UP
        )
    services.case_note_add(case=case, author=agent, body="En mycket lång anteckning " * 20)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url, agent.email)
    for address in ("/inbox/?view=all", f"/cases/{case.reference}/", "/promises/"):
        page.goto(live_server.url + address)
        assert _narrow(page) <= 390, address
    expect(page.locator(".board .promise-table").first).to_be_visible()
    macro = Macro.objects.create(name="Fakturan rättad " * 5, body="Hej {customer_first_name}! " * 30, owner=agent)
    for address in ("/macros/", "/macros/new", f"/macros/{macro.pk}/"):
        page.goto(live_server.url + address)
        assert _narrow(page) <= 390, address


def _status(case: Case) -> str:
    return Case.objects.values_list("status", flat=True).get(pk=case.pk)


def _wait_for_status(case: Case, status: str, seconds: float = 10) -> str:
    deadline = time.monotonic() + seconds
    while (current := _status(case)) != status and time.monotonic() < deadline:
        time.sleep(0.2)
    return current


def test_solving_waits_for_an_undo(live_server, page: Page):
    _team, agent, _admin, _customer, case = world()
    log_in(page, live_server.url, agent.email)
    page.goto(f"{live_server.url}/cases/{case.reference}/")
    start = _status(case)
    assert start == Status.OPEN  # the reply opened it

    # e, then Undo (the button): nothing is sent, also after the wait
    page.keyboard.press("e")
    undo = page.get_by_role("button", name="Undo")
    expect(undo).to_be_focused()
    expect(page.locator("#undo-bar")).to_contain_text("Solving…")
    undo.press("Enter")
    expect(page.locator("#undo-bar")).to_be_empty()
    expect(page.locator("[data-solve]")).to_be_focused()
    page.wait_for_timeout(6500)
    assert _status(case) == Status.OPEN

    # e, then wait: solved after about five seconds, and the page shows it
    started = time.monotonic()
    page.keyboard.press("e")
    expect(page.locator("#case .meta .status")).to_have_text("Solved", timeout=10_000)
    assert time.monotonic() - started >= 4.5
    assert _status(case) == Status.SOLVED
    expect(page.locator("#undo-bar")).to_be_empty()


def test_leaving_the_page_sends_the_solve_at_once(live_server, page: Page):
    _team, agent, _admin, _customer, case = world()
    log_in(page, live_server.url, agent.email)
    page.goto(f"{live_server.url}/cases/{case.reference}/")
    page.get_by_role("button", name="Solve").click()  # the button waits like the key
    expect(page.locator("#undo-bar")).to_contain_text("Solving…")
    assert _status(case) == Status.OPEN
    page.get_by_role("link", name="Inbox").first.click()
    expect(page).to_have_url(f"{live_server.url}/inbox/")
    assert _wait_for_status(case, Status.SOLVED, seconds=3) == Status.SOLVED


def test_a_macro_from_the_reply_box_by_keyboard(live_server, page: Page):
    team, agent, _admin, _customer, case = world()
    Macro.objects.create(
        name="Faktura rättad",
        body="Hej {customer_first_name}, fakturan är rättad. /{agent_first_name}",
        owner=agent,
        set_status=Status.SOLVED,
        add_tags="faktura",
    )
    Macro.objects.create(name="Someone else's", body="Not yours", owner=AgentFactory(teams=[team]))
    log_in(page, live_server.url, agent.email)
    page.goto(f"{live_server.url}/cases/{case.reference}/")
    expect(page.locator("#macro-names option")).to_have_count(1)  # another agent's own macro is not offered
    page.locator("#reply-body").fill("Förlåt dröjsmålet.")
    page.locator("#reply-body").press("Escape")  # leave the box: the shortcuts work again
    page.keyboard.press("m")
    expect(page.locator("#macro-name")).to_be_focused()
    with page.expect_response(lambda r: "/macro?" in r.url and r.status == 200):
        page.keyboard.type("Faktura rättad")
        page.keyboard.press("Enter")
    expect(page.locator("#reply-body")).to_have_value("Förlåt dröjsmålet.\n\nHej Karin, fakturan är rättad. /Anna")
    expect(page.locator("#reply-status")).to_have_value("solved")
    expect(page.locator("[data-macro] input[name=macro_tags]")).to_be_checked()
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#undo-bar")).to_contain_text("Sending…")  # held a few seconds, to be undone
    expect(page.locator("#case .meta .status")).to_have_text("Solved", timeout=10_000)
    expect(page.locator("#case .meta .tag")).to_have_text("faktura")
    assert Macro.objects.get(name="Faktura rättad").usage_count == 1
    assert _status(case) == Status.SOLVED


def test_the_sms_count_updates_in_place(live_server, page: Page):
    """The count is fetched into its own line: it once inherited the reply form's target and replaced the case."""
    team, agent, _admin, _customer, _case = world()
    texter = customer_create(name="Sam Sms", phone="070-765 43 21", language="en")
    case = make_case(customer=texter, team=team, subject="Sms", body="Hej", channel="sms", sender="+46707654321")
    log_in(page, live_server.url, agent.email)
    page.goto(f"{live_server.url}/cases/{case.reference}/")
    page.locator("#reply-body").fill("Hej! " * 40)
    page.locator("#reply-body").press("Space")
    expect(page.locator("#sms-count")).to_contain_text("2 SMS")
    expect(page.locator("#case h1")).to_have_text("Sms")
    expect(page.locator("#reply-body")).to_be_visible()


def test_a_change_to_several_cases_at_once(live_server, page: Page):
    team, agent, _admin, customer, case = world()
    left_alone = make_case(customer=customer, team=team, subject="Leveransen är sen", body="Var är paketet?")
    newest = make_case(customer=customer, team=team, subject="Ett tredje ärende", body="Hej")
    log_in(page, live_server.url, agent.email)
    page.goto(f"{live_server.url}/inbox/?view=all")
    expect(page.locator('#views [data-view="all"] .count')).to_have_text("3")  # the sidebar fetched its counts
    expect(page.locator('#views [data-view="all"]')).to_have_attribute("aria-current", "page")
    page.keyboard.press("j")  # the first row, the newest case: x selects it for the bulk form
    page.keyboard.press("x")
    page.get_by_label(f"Select {case.reference}").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2")
    page.locator("#bulk-add").fill("leverans")
    page.locator("#bulk-assignee").select_option("me")
    with page.expect_response(lambda r: r.url.endswith("/cases/bulk") and r.status == 200):
        page.get_by_role("button", name="Apply to selected").click()
    expect(page.locator("[data-bulk-result]")).to_have_text("2 cases updated.")
    expect(page.locator("[data-bulk-count]")).to_have_text("0")
    expect(page.locator('#views [data-view="team_unassigned"] .count')).to_have_text("1")  # counted again
    changed = set(Case.objects.filter(assignee=agent, tags__name="leverans").values_list("reference", flat=True))
    assert changed == {newest.reference, case.reference}
    assert left_alone.reference not in changed
    # the filters of this list, saved as a view: it joins the sidebar with its count
    page.goto(f"{live_server.url}/inbox/?view=all&tag=leverans")
    page.get_by_text("Save these filters as a view").click()
    page.locator("#view-name").fill("Leveranser")
    page.get_by_role("button", name="Save view").click()
    expect(page.locator("#views .saved a").first).to_contain_text("Leveranser")
    expect(page.locator("#views .saved .count").first).to_have_text("2")
