"""In headless Chromium: the inbox's three panes by keyboard (a case opens beside the list, j/k move through it,
the back button comes back), a merge that waits to be undone, a reply held for its undo, and two agents on one
case: a reply sent after a colleague's answer came in asks first and shows it."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, Page, expect

from lofte.cases.models import Case, Message, Status
from lofte.cases.tests.factories import make_case
from tests.test_e2e_ui import PASSWORD, _narrow, log_in, world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def short_undo(settings):  # type: ignore[no-untyped-def]
    settings.LOFTE_UNDO_SECONDS = 2


def _wait(check, seconds: float = 10) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.2)
    return bool(check())


def test_three_panes_by_keyboard(live_server, page: Page):
    team, agent, _admin, customer, case = world()
    second = make_case(customer=customer, team=team, subject="Leveransen är sen", body="Var är paketet?")
    third = make_case(customer=customer, team=team, subject="Ett tredje ärende", body="Hej")
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server.url, agent.email)
    page.goto(f"{live_server.url}/inbox/?view=all")
    page.keyboard.press("j")  # the newest case
    page.keyboard.press("Enter")
    expect(page.locator("#pane #case")).to_have_attribute("data-case", third.reference)
    expect(page).to_have_url(f"{live_server.url}/inbox/?view=all&open={third.reference}")
    expect(page.locator("#inbox-title")).to_be_visible()  # the list stayed
    page.keyboard.press("j")
    expect(page.locator("#pane #case")).to_have_attribute("data-case", second.reference)
    expect(page.locator(f'tr[data-ref="{second.reference}"]')).to_have_class("row-priority-2 selected")
    page.keyboard.press("j")
    expect(page.locator("#pane #case")).to_have_attribute("data-case", case.reference)
    page.keyboard.press("k")
    expect(page.locator("#pane #case")).to_have_attribute("data-case", second.reference)
    page.go_back()
    expect(page.locator("#pane #case")).to_have_attribute("data-case", case.reference)
    # a click opens the case in the pane as well; the case's own actions work there
    page.locator(f'tr[data-ref="{third.reference}"] a.ref').click()
    expect(page.locator("#pane #case")).to_have_attribute("data-case", third.reference)
    page.locator("#pane #note-body").fill("Kollat i pane.")
    page.locator("#pane").get_by_role("button", name="Add note").click()
    expect(page.locator("#pane .timeline")).to_contain_text("Kollat i pane.")
    expect(page.locator("#inbox-title")).to_be_visible()
    # a reload opens the same case again
    page.reload()
    expect(page.locator("#pane #case")).to_have_attribute("data-case", third.reference)
    # on a phone the panes stack, and a case opens as its own page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/inbox/?view=all")
    assert _narrow(page) <= 390
    page.locator(f'tr[data-ref="{second.reference}"] a.ref').click()
    expect(page).to_have_url(f"{live_server.url}/cases/{second.reference}/")
    page.goto(f"{live_server.url}/inbox/?view=all&open={second.reference}")
    assert _narrow(page) <= 390


def test_merge_waits_to_be_undone(live_server, page: Page):
    team, agent, _admin, customer, case = world()
    source = make_case(customer=customer, team=team, subject="Samma faktura igen", body="Har ni sett min fråga?")
    log_in(page, live_server.url, agent.email)
    page.goto(f"{live_server.url}/cases/{source.reference}/")
    page.get_by_text("Merge into another case").click()
    page.locator("#merge-into").fill(case.reference)
    page.locator("#merge-into").press("Enter")
    expect(page.locator("#undo-bar")).to_contain_text("Merging…")
    page.get_by_role("button", name="Undo").click()
    page.wait_for_timeout(2600)
    assert Case.objects.get(pk=source.pk).status != Status.CLOSED
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.locator("#case [role=status]")).to_have_text(f"Merged into {case.reference}.", timeout=10_000)
    assert Case.objects.get(pk=source.pk).status == Status.CLOSED
    assert Message.objects.filter(case=case, body_text="Har ni sett min fråga?").exists()
    page.get_by_role("link", name=case.reference).first.click()
    expect(page.locator(".timeline")).to_contain_text("Har ni sett min fråga?")


def test_two_agents_on_one_case(live_server, page: Page, browser: Browser):
    team, agent, _admin, _customer, case = world()
    from lofte.accounts.tests.factories import AgentFactory

    colleague = AgentFactory(email="sara@example.se", name="Sara Kollega", teams=[team], password=PASSWORD)
    other = browser.new_context()
    try:
        second = other.new_page()
        log_in(page, live_server.url, agent.email)
        log_in(second, live_server.url, colleague.email)
        page.goto(f"{live_server.url}/cases/{case.reference}/")
        second.goto(f"{live_server.url}/cases/{case.reference}/")
        page.locator("#reply-body").fill("Vi har rättat fakturan.")
        # the colleague answers first (the reply waits for its undo, then goes)
        second.locator("#reply-body").fill("Jag tar det här.")
        second.get_by_role("button", name="Send reply").click()
        expect(second.locator("#undo-bar")).to_contain_text("Sending…")
        assert _wait(lambda: Message.objects.filter(case=case, author=colleague).exists())
        # the first agent sends: the page asks first, with the colleague's reply in view and the text kept
        page.get_by_role("button", name="Send reply").click()
        expect(page.locator("#case [data-error]")).to_contain_text("A new message came in", timeout=10_000)
        expect(page.locator(".timeline")).to_contain_text("Jag tar det här.")
        expect(page.locator("#reply-body")).to_have_value("Vi har rättat fakturan.")
        assert not Message.objects.filter(case=case, author=agent, body_text__contains="rättat").exists()
        page.get_by_role("button", name="Send reply").click()  # read it: send anyway
        assert _wait(lambda: Message.objects.filter(case=case, author=agent, body_text__contains="rättat").exists())
    finally:
        other.close()
    # both replies went, each once
    assert Message.objects.filter(case=case, direction="out", author__in=[agent, colleague]).count() == 3


def test_an_image_in_the_reply_box(live_server, page: Page, tmp_path):
    """The Image button and the formatting tools write Markdown; the preview shows the chosen file; the reply
    goes with the image, and the timeline shows it where the text put it."""
    from lofte.cases.models import Attachment
    from lofte.core.tests.samples import png

    _team, agent, _admin, _customer, case = world()
    picture = tmp_path / "Skärmbild 1.png"
    picture.write_bytes(png())
    log_in(page, live_server.url, agent.email)
    page.goto(f"{live_server.url}/cases/{case.reference}/")
    body = page.locator("#reply-body")
    body.fill("Hej!\n")
    body.press("End")
    page.locator('[data-md="bold"]').click()
    page.keyboard.type("viktigt")
    page.keyboard.press("End")
    page.keyboard.type("\n")
    page.locator("#reply-image-pick").set_input_files(str(picture))
    assert body.input_value() == "Hej!\n**viktigt**\n![Skarmbild-1.png](cid:Skarmbild-1.png)\n"
    assert page.evaluate("document.getElementById('reply-attachments').files[0].name") == "Skarmbild-1.png"
    page.locator("[data-preview]").click()
    image = page.locator("#reply-preview img")
    expect(image).to_have_attribute("src", __import__("re").compile(r"^blob:"))
    expect(page.locator("#reply-preview strong")).to_have_text("viktigt")
    page.get_by_role("button", name="Send reply").click()
    assert _wait(lambda: Attachment.objects.filter(filename="Skarmbild-1.png").exists())
    stored = Attachment.objects.get(filename="Skarmbild-1.png")
    assert stored.content_id
    expect(page.locator(f'.timeline .body img[src$="/attachments/{stored.pk}?inline=1"]')).to_be_visible()
    assert page.evaluate(
        "Array.from(document.querySelectorAll('.timeline .body img')).every(i => i.complete && i.naturalWidth > 0)"
    )


def test_mentions_are_offered_in_the_note_box(live_server, page: Page):
    """@ and a letter or two list the colleagues who may see the case; the keyboard picks one; the note tells them."""
    from lofte.accounts.tests.factories import AgentFactory
    from lofte.notifications.models import Notification

    team, agent, _admin, _customer, case = world()
    sara = AgentFactory(email="sara@example.se", name="Sara Lind", teams=[team], password=PASSWORD)
    AgentFactory(email="sam@example.se", name="Sam Annan", password=PASSWORD)  # in no team of the case
    log_in(page, live_server.url, agent.email)
    page.goto(f"{live_server.url}/cases/{case.reference}/")
    note = page.locator("#note-body")
    note.click()
    page.keyboard.type("Kan du titta, @sa")
    options = page.locator("#mention-list li")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Sara Lind")
    expect(note).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Enter")
    expect(note).to_have_value("Kan du titta, @sara ")
    expect(page.locator("#mention-list")).to_be_hidden()
    page.keyboard.type("tack!")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".timeline")).to_contain_text("Kan du titta, @sara tack!")
    assert _wait(lambda: Notification.objects.filter(agent=sara, kind="mention").exists())
