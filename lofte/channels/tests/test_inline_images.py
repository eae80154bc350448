"""Images in a reply, against a real SMTP server on loopback: the file the text shows goes inline in a
multipart/related with the HTML (its Content-ID in the <img>), the other files stay attachments, the plain text
reads "[alt]"; an image that is not attached, is not an image, or goes by SMS is refused and nothing is sent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from lofte.cases.models import Attachment, Message
from lofte.cases.services import AttachmentInput, case_reply
from lofte.core.errors import ValidationFailed
from lofte.core.markdown import image_refs, images_as_text, markdown_html
from lofte.core.tests.samples import png
from lofte.outbox.models import OutboxMessage
from lofte.outbox.services import outbox_deliver_due
from lofte.outbox.tests.smtp import Recorder, smtp_server, use_smtp

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PNG = png()


@pytest.fixture
def smtp(settings) -> Iterator[Recorder]:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        use_smtp(settings, port)
        yield recorder


def test_the_image_goes_inline_and_the_other_file_as_an_attachment(smtp, case, agent, settings):
    body = "Hej Karin!\n\nSå här ser det ut:\n\n![Inställningar](cid:skarm-1.png)\n\nMvh"
    message = case_reply(
        case=case,
        author=agent,
        body=body,
        attachments=[
            AttachmentInput(filename="skarm-1.png", content_type="image/png", content=PNG),
            AttachmentInput(filename="villkor.txt", content_type="text/plain", content=b"Villkor\n"),
        ],
    )
    image = Attachment.objects.get(message=message, filename="skarm-1.png")
    assert image.content_id.startswith("img.") and image.content_id.endswith("@" + settings.LOFTE_MESSAGE_ID_DOMAIN)
    assert Attachment.objects.get(message=message, filename="villkor.txt").content_id == ""
    assert message.body_text == body  # the timeline keeps what the agent wrote
    assert outbox_deliver_due() == {"sent": 1}
    [received] = smtp.messages
    assert received.get_content_type() == "multipart/mixed"
    alternative = received.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative"
    plain, related = alternative.get_payload()
    assert plain.get_content().replace("\r\n", "\n").startswith("Hej Karin!\n\nSå här ser det ut:\n\n[Inställningar]")
    assert related.get_content_type() == "multipart/related"
    html_part, inline = related.get_payload()
    html = html_part.get_content()
    assert f'<img src="cid:{image.content_id}" alt="Inställningar">' in html
    assert inline["Content-ID"] == f"<{image.content_id}>"
    assert inline.get_content_disposition() == "inline"
    assert inline.get_content_type() == "image/png"
    assert inline.get_content() == PNG
    attached = list(received.iter_attachments())
    assert [(p.get_filename(), p.get_content_disposition()) for p in attached] == [("villkor.txt", "attachment")]


def test_a_reply_without_images_is_as_before(smtp, case, agent):
    case_reply(
        case=case,
        author=agent,
        body="Se bilagan.",
        attachments=[AttachmentInput(filename="skarm-1.png", content_type="image/png", content=PNG)],
    )
    assert outbox_deliver_due() == {"sent": 1}
    [received] = smtp.messages
    assert "multipart/related" not in received.as_string()
    assert [p.get_filename() for p in received.iter_attachments()] == ["skarm-1.png"]


@pytest.mark.parametrize(
    ("files", "error"),
    [
        ([], "The image skarm-1.png is in the text but not attached"),
        (
            [AttachmentInput(filename="skarm-1.png", content_type="image/png", content=b"%PDF-1.4 not an image")],
            "skarm-1.png is shown as an image in the text, but it is not a PNG, JPEG, GIF or WebP image.",
        ),
        (
            [AttachmentInput(filename="skarm-1.png", content_type="image/svg+xml", content=b"<svg onload=alert(1)>")],
            "it is not a PNG, JPEG, GIF or WebP image",
        ),
        (
            [AttachmentInput(filename="other.png", content_type="image/png", content=PNG)],
            "The image skarm-1.png is in the text but not attached",
        ),
    ],
)
def test_an_image_that_is_not_there_or_no_image_sends_nothing(case, agent, files, error):
    with pytest.raises(ValidationFailed, match=error) as raised:
        case_reply(case=case, author=agent, body="Titta: ![x](cid:skarm-1.png)", attachments=files)
    assert raised.value.field == "body"
    assert not Message.objects.filter(case=case, direction="out").exists()
    assert not OutboxMessage.objects.exists()
    assert not Attachment.objects.exists()


def test_images_go_by_email_only(agent, team, customer):
    from lofte.cases.tests.factories import make_case

    sms_case = make_case(customer=customer, team=team, channel="sms", body="Hej via sms")
    with pytest.raises(ValidationFailed, match=r"Images in the text go with email replies only; attach a\.png"):
        case_reply(
            case=sms_case,
            author=agent,
            body="![a](cid:a.png)",
            attachments=[AttachmentInput(filename="a.png", content_type="image/png", content=PNG)],
        )
    assert not OutboxMessage.objects.exists()


def test_markdown_images_of_files():
    text = 'Ett ![första](cid:a.png) och ![](cid:b%20c.png "titel") och igen ![x](cid:a.png) och ![webb](https://x.se/y.png)'
    assert image_refs(text) == ["a.png", "b c.png"]
    assert images_as_text(text) == "Ett [första] och [b c.png] och igen [x] och ![webb](https://x.se/y.png)"
    html = markdown_html(text, images={"a.png": "/a?inline=1&b=2", "b c.png": 'x" onerror="alert(1)'})
    assert '<img src="/a?inline=1&amp;b=2" alt="första">' in html
    assert 'src="x&quot; onerror=&quot;alert(1)"' in html and 'onerror="' not in html
    assert markdown_html("![x](cid:zzz.png)", images={}) == '<p><img src="cid:zzz.png" alt="x"></p>'


def test_the_reply_page_sends_an_image_and_the_timeline_shows_it(smtp, case, agent):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(agent)
    url = reverse("cases:reply", args=[case.reference])
    response = client.post(
        url,
        {
            "body": "Här: ![skärmbild](cid:bild-1.png)",
            "attachments": [SimpleUploadedFile("bild-1.png", PNG, content_type="image/png")],
        },
    )
    assert response.status_code == 302
    image = Attachment.objects.get(filename="bild-1.png")
    page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    src = reverse("cases:attachment", args=[case.reference, image.pk]) + "?inline=1"
    assert f'<img src="{src}" alt="skärmbild">' in page
    assert "![skärmbild]" not in page


def test_the_reply_page_keeps_the_text_when_the_image_is_missing(case, agent):
    client = Client()
    client.force_login(agent)
    response = client.post(reverse("cases:reply", args=[case.reference]), {"body": "Här: ![x](cid:bild-1.png)"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "The image bild-1.png is in the text but not attached" in page
    assert "Här: ![x](cid:bild-1.png)</textarea>" in page
    assert not Message.objects.filter(case=case, direction="out").exists()
