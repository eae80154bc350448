"""The reply box's email side, against a real SMTP server on loopback: Markdown as HTML, CC and BCC, and a forward
to an outside party whose answer comes back onto the case and never reaches the customer's portal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from lofte.accounts.tests.api_client import Api
from lofte.cases.models import CaseEvent, EventKind, Message, Status
from lofte.cases.services import AttachmentInput, case_add_inbound, case_forward, case_reply, case_update
from lofte.channels.email.ingest import email_ingest
from lofte.core.errors import ValidationFailed
from lofte.outbox.services import outbox_deliver_due
from lofte.outbox.tests.smtp import Recorder, smtp_server, use_smtp
from lofte.portal.selectors import portal_timeline

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def smtp(settings) -> Iterator[Recorder]:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        use_smtp(settings, port)
        yield recorder


def text(part) -> str:  # type: ignore[no-untyped-def]
    return part.get_content().replace("\r\n", "\n")


def test_markdown_goes_as_html_and_copies_as_cc_and_bcc(smtp, case, agent):
    body = (
        "Hej Karin!\n\n- fakturan är **rättad**\n- se [portalen](https://help.example.se/portal/)\n\n<b>inte html</b>"
    )
    message = case_reply(
        case=case, author=agent, body=body, cc=["ekonomi@kund.example; chef@kund.example"], bcc=["arkiv@lofte.example"]
    )
    assert message.recipients == ["karin@example.se", "ekonomi@kund.example", "chef@kund.example"]
    assert outbox_deliver_due() == {"sent": 1}
    [received] = smtp.messages
    assert received["Cc"] == "ekonomi@kund.example, chef@kund.example"
    assert received["Bcc"] is None  # the blind copy is in the envelope only
    assert sorted(smtp.envelopes[0][1]) == sorted(
        ["karin@example.se", "ekonomi@kund.example", "chef@kund.example", "arkiv@lofte.example"]
    )
    html = text(received.get_body(("html",)))
    assert "<li>fakturan är <strong>rättad</strong></li>" in html
    assert '<a href="https://help.example.se/portal/" rel="noopener noreferrer nofollow">portalen</a>' in html
    assert "&lt;b&gt;inte html&lt;/b&gt;" in html and "<b>" not in html
    assert text(received.get_body(("plain",))).startswith("Hej Karin!\n\n- fakturan är **rättad**")


@pytest.mark.parametrize("bad", ["not-an-address", "a@b.se, <script>", " ".join(f"a{i}@y.se" for i in range(11))])
def test_a_bad_copy_address_sends_nothing(case, agent, bad):
    with pytest.raises(ValidationFailed) as error:
        case_reply(case=case, author=agent, body="Hej", cc=[bad])
    assert error.value.field == "cc"
    assert not Message.objects.filter(case=case, direction="out").exists()


def test_copies_are_for_email_only(agent, team, customer):
    from lofte.cases.tests.factories import make_case

    sms_case = make_case(customer=customer, team=team, channel="sms", body="Hej via sms")
    with pytest.raises(ValidationFailed, match="email replies only"):
        case_reply(case=sms_case, author=agent, body="Hej", cc=["a@example.se"])


def test_a_forward_and_its_answer_stay_off_the_customers_side(smtp, case, agent):
    case_add_inbound(
        case=case,
        body="Kvittot bifogat.",
        channel="email",
        attachments=[AttachmentInput(filename="kvitto.pdf", content_type="application/pdf", content=b"%PDF-1.4\n")],
    )
    case_update(case=case, actor=agent, status=Status.WAITING_ON_THIRD_PARTY)
    forward = case_forward(case=case, author=agent, to="lev@leverantor.example", note="Kan ni kreditera?")
    assert forward.internal and forward.direction == "out"
    assert CaseEvent.objects.filter(case=case, kind=EventKind.FORWARDED, data={"to": "lev@leverantor.example"}).exists()
    assert outbox_deliver_due() == {"sent": 1}
    [sent] = smtp.messages
    assert sent["To"] == "lev@leverantor.example" and sent["Subject"] == f"Fwd: {case.subject} [{case.reference}]"
    plain = text(sent.get_body(("plain",)))
    assert plain.startswith("Kan ni kreditera?") and "Fakturan är fel." in plain and "Kvittot bifogat." in plain
    assert [p.get_filename() for p in sent.iter_attachments()] == ["kvitto.pdf"]
    # the supplier answers the forward: onto the case, internal, and the case waiting on them opens again
    raw = (
        "From: lev@leverantor.example\r\nTo: support@lofte.localhost\r\n"
        f"Subject: Re: Fwd: {case.subject}\r\nMessage-ID: <svar@leverantor.example>\r\n"
        f"In-Reply-To: {forward.external_id}\r\n\r\nVi krediterar 200 kr.\r\n"
    ).encode()
    result = email_ingest(raw)
    answer = Message.objects.get(external_id="<svar@leverantor.example>")
    assert (answer.case_id, answer.internal, answer.direction) == (case.pk, True, "in"), result
    case.refresh_from_db()
    assert case.status == Status.OPEN
    public = [m.body_text for m in portal_timeline(case=case)]
    assert "Vi krediterar 200 kr." not in public and not any("kreditera?" in b for b in public)
    assert "Kvittot bifogat." in public


def test_a_forward_refuses_the_customers_own_address_and_bad_ones(case, agent):
    with pytest.raises(ValidationFailed, match="customer's address"):
        case_forward(case=case, author=agent, to="karin@example.se")
    for bad in ("javascript:alert(1)", "lev@x.example, tjuv@y.example", ""):  # one address, a real one
        with pytest.raises(ValidationFailed) as error:
            case_forward(case=case, author=agent, to=bad)
        assert error.value.field == "to"
    assert not Message.objects.filter(case=case, direction="out").exists()


def test_forward_and_preview_pages_and_api(case, agent, outsider):
    client = Client()
    client.force_login(agent)
    response = client.post(
        reverse("cases:reply_preview", args=[case.reference]), {"body": "**Hej** <i>x</i>"}, HTTP_HX_REQUEST="true"
    )
    assert response.content.decode() == "<p><strong>Hej</strong> &lt;i&gt;x&lt;/i&gt;</p>"
    response = client.post(
        reverse("cases:forward", args=[case.reference]),
        {"to": "lev@x.example", "note": "Se nedan"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and b"The case is forwarded to lev@x.example." in response.content
    stranger = Client()
    stranger.force_login(outsider)
    assert stranger.post(reverse("cases:reply_preview", args=[case.reference]), {"body": "x"}).status_code == 404
    api = Api(agent)
    response = api.post(f"/cases/{case.reference}/forward", {"to": "lev2@x.example", "cc": ["c@x.example"]})
    assert response.status_code == 201
    assert response.json()["recipients"] == ["lev2@x.example", "c@x.example"]


def test_the_api_refuses_a_reply_after_a_message_it_had_not_seen(case, agent):
    api = Api(agent)
    seen = Message.objects.filter(case=case).latest("id").pk
    case_add_inbound(case=case, body="En sak till", channel="email")
    response = api.post(f"/cases/{case.reference}/replies", {"body": "Svar", "seen_message": seen})
    assert response.status_code == 409 and response.json()["code"] == "newer_message"
    assert not Message.objects.filter(case=case, direction="out").exists()
    newest = Message.objects.filter(case=case).latest("id").pk
    response = api.post(f"/cases/{case.reference}/replies", {"body": "Svar", "seen_message": newest, "cc": ["a@b.se"]})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("to", "cc", "field"),
    [
        ("support@lofte.example", "", "to"),
        ("Leverantor@example.se", "SUPPORT@lofte.example", "cc"),
        ("fakt@team.example", "", "to"),
    ],
)
def test_a_forward_never_goes_to_loftes_own_addresses(case, agent, team, to, cc, field):
    from lofte.channels.models import Mailbox

    Mailbox.objects.create(name="support", address="support@lofte.example")
    team.email = "FAKT@team.example"
    team.save(update_fields=["email"])
    from lofte.channels.email.addresses import own_addresses_clear

    own_addresses_clear()
    with pytest.raises(ValidationFailed, match="is one of Lofte's own addresses") as error:
        case_forward(case=case, author=agent, to=to, cc=[cc] if cc else [])
    assert error.value.field == field
    assert not Message.objects.filter(case=case, direction="out").exists()
