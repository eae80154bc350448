"""What people see: the quarantine in the admin (reason, original, process again) and email on the timeline."""

from __future__ import annotations

import pytest
from django.test import Client

from lofte.accounts.models import Agent
from lofte.cases.services import case_reply
from lofte.channels.email.ingest import email_ingest
from lofte.channels.models import InboundEmail, InboundState, Mailbox
from lofte.channels.tests.messages import mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client: Client) -> Client:
    user = Agent.objects.create_superuser("root@example.com", "pw-not-used-here", name="Root")
    client.force_login(user)
    return client


@pytest.fixture
def mailbox(team):
    return Mailbox.objects.create(name="support", address="support@lofte.test", team=team)


@pytest.fixture
def quarantined(mailbox, settings) -> InboundEmail:
    """A message from an address that was Lofte's own when it came in (a loop), since changed."""
    result = email_ingest(mail(sender="Old Desk <desk@lofte.test>"))
    assert result.outcome == "created"  # not an own address yet: sanity check of the fixture
    settings.DEFAULT_FROM_EMAIL = "desk@lofte.test"
    from lofte.channels.email.ingest import own_addresses_clear

    own_addresses_clear()
    looped = email_ingest(mail(sender="desk@lofte.test", message_id="<loop-2@x>", subject="Loop"))
    assert looped.outcome == "quarantined"
    return InboundEmail.objects.get(pk=looped.inbound_id)


def test_admins_see_the_quarantine_with_the_reason(admin, quarantined):
    response = admin.get("/admin/lofte_channels/inboundemail/", {"state__exact": "quarantined"})
    assert response.status_code == 200
    assert [r.pk for r in response.context["cl"].result_list] == [quarantined.pk]
    page = admin.get(f"/admin/lofte_channels/inboundemail/{quarantined.pk}/change/")
    assert "a mail loop" in page.text
    assert "Process again" in page.text


def test_the_original_is_one_click_away_byte_for_byte(admin, quarantined):
    from lofte.channels.email.ingest import inbound_raw

    response = admin.get(f"/admin/lofte_channels/inboundemail/{quarantined.pk}/raw/")
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert response.content == inbound_raw(quarantined)
    assert response["Content-Disposition"] == f'attachment; filename="{quarantined.sha256[:16]}.eml"'


def test_process_again_after_the_cause_is_fixed(admin, quarantined, settings):
    settings.DEFAULT_FROM_EMAIL = "support@lofte.test"
    from lofte.channels.email.ingest import own_addresses_clear

    own_addresses_clear()
    response = admin.post(f"/admin/lofte_channels/inboundemail/{quarantined.pk}/reprocess/", follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == ["1 email processed."]
    quarantined.refresh_from_db()
    assert (quarantined.state, quarantined.outcome, quarantined.attempts) == (InboundState.PROCESSED, "created", 2)
    assert quarantined.case is not None


def test_the_bulk_action_reports_what_stays_quarantined(admin, quarantined):
    response = admin.post(
        "/admin/lofte_channels/inboundemail/",
        {"action": "reprocess", "_selected_action": [quarantined.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages[0] == "0 emails processed."
    assert messages[1].startswith("Still quarantined: The message is from Lofte's own address desk@lofte.test")


def test_agents_without_admin_rights_cannot_open_the_quarantine(client, agent, quarantined):
    client.force_login(agent)
    assert client.get("/admin/lofte_channels/inboundemail/").status_code == 302  # to the admin login
    assert client.get(f"/admin/lofte_channels/inboundemail/{quarantined.pk}/raw/").status_code == 302
    assert client.post(f"/admin/lofte_channels/inboundemail/{quarantined.pk}/reprocess/").status_code == 302
    quarantined.refresh_from_db()
    assert quarantined.state == InboundState.QUARANTINED


def test_the_timeline_shows_the_new_words_with_the_whole_message_a_click_away(client, agent, mailbox):
    body = "Tack, det löste sig!\n\nDen 2 mars 2026 kl. 10:00 skrev Lofte <support@lofte.test>:\n> Prova att logga ut."
    result = email_ingest(mail(body=body))
    from lofte.cases.models import Case

    case = Case.objects.get(reference=result.case)
    client.force_login(agent)
    page = client.get(f"/cases/{case.reference}/").text
    assert '<div class="body">Tack, det löste sig!</div>' in page
    assert "Show the whole message" in page
    assert "&gt; Prova att logga ut." in page  # inside the collapsed whole message


def test_the_timeline_marks_auto_replies_and_failed_deliveries(client, agent, mailbox, case):
    reply = case_reply(case=case, author=agent, body="Hej")
    auto = mail(subject="Out of Office: Re: x", body="I am away.", message_id="<ooo@x>", In_Reply_To=reply.external_id)
    assert email_ingest(auto).outcome == "auto_reply"
    from lofte.channels.tests.test_ingest import bounce_of

    assert email_ingest(bounce_of(reply.external_id)).outcome == "bounce"
    client.force_login(agent)
    page = client.get(f"/cases/{case.reference}/").text
    assert "badge-automatic" in page
    assert "The reply to karin@example.se could not be delivered: 550 5.1.1 User unknown" in page
    assert page.count("<strong>Alma Agent</strong>") == 1  # the failed reply is shown once, not again
    assert "delivery-bounced" in page
