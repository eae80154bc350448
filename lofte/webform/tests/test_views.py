"""The public contact form: a case from a submission, errors that keep the input, spam, floods, embedding, CSRF."""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import unquote, urlencode

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from lofte.cases.models import Attachment, Case, Message
from lofte.cases.tests.factories import CaseTypeFactory
from lofte.core import clock
from lofte.core.tests import samples
from lofte.customers.models import Customer, CustomerIdentity
from lofte.webform import files, tokens

pytestmark = pytest.mark.django_db

URL = "/contact"
HX = {"HTTP_HX_REQUEST": "true"}
PDF = samples.pdf()
PNG = samples.png()
EXE = samples.windows_exe()
NOON = datetime(2026, 3, 10, 11, 15, tzinfo=UTC)


@pytest.fixture
def invoice_type(db):
    return CaseTypeFactory(
        name="Invoice", is_public=True, public_names={"sv": "Faktura", "en": "Invoices and payments"}
    )


@pytest.fixture
def internal_type(db):
    return CaseTypeFactory(name="Internal escalation", is_public=False)


def started(seconds_ago: int = 10) -> str:
    return tokens.started_token(now=clock.now() - timedelta(seconds=seconds_ago))


def form_data(**overrides):
    data = {
        "name": "Karin Kund",
        "email": "karin@example.se",
        "phone": "",
        "subject": "Fel belopp",
        "message": "Hej! Fakturan för mars är för hög.",
        "started": started(),
        "homepage": "",
    }
    data.update(overrides)
    return data


def site_policy(frame_ancestors: str) -> str:
    """The site's whole Content-Security-Policy (config/settings.py), ending in this frame-ancestors directive."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
        f"object-src 'none'; base-uri 'self'; form-action 'self'; {frame_ancestors}"
    )


def page(response) -> str:
    return html.unescape(response.content.decode())


def counts() -> tuple[int, int, int, int]:
    return Case.objects.count(), Message.objects.count(), Customer.objects.count(), Attachment.objects.count()


class TestPage:
    def test_shows_the_form_with_public_case_types_only(self, client, invoice_type, internal_type):
        response = client.get(URL)
        text = page(response)
        assert response.status_code == 200
        assert response["X-Frame-Options"] == "DENY"
        assert response["Content-Security-Policy"] == site_policy("frame-ancestors 'none'")
        assert "no-store" in response["Cache-Control"]
        assert "Invoices and payments" in text and "Internal escalation" not in text and ">Invoice<" not in text
        assert 'autocomplete="email"' in text and 'autocomplete="tel"' in text and 'autocomplete="name"' in text
        assert 'name="started"' in text
        assert re.search(r'<div class="contact-hp" aria-hidden="true">', text)
        assert re.search(r'<input type="text" name="homepage" id="id_homepage" value="" tabindex="-1"', text)
        assert "only to answer you and handle your case" in text  # the privacy text, under the form
        assert 'hx-post="/contact"' in text and 'enctype="multipart/form-data"' in text
        assert 'class="public-header"' in text

    def test_language_from_the_query(self, client, invoice_type):
        response = client.get(URL, {"lang": "sv"})
        text = page(response)
        assert response["Content-Language"] == "sv"
        assert '<html lang="sv">' in text
        assert "Faktura" in text and "Invoices and payments" not in text
        assert 'action="/contact?lang=sv"' in text
        for code in ("sv", "da", "nb", "fi", "en"):
            assert f'hreflang="{code}"' in text
        assert 'href="/contact?lang=da"' in text

    def test_unknown_language_is_ignored(self, client):
        response = client.get(URL, {"lang": "xx"}, HTTP_ACCEPT_LANGUAGE="fi")
        assert response.status_code == 200
        assert response["Content-Language"] == "fi"

    def test_privacy_text_per_language(self, client, settings):
        settings.LOFTE_CONTACT_PRIVACY_TEXT = {"sv": "Vi sparar bara det vi behöver.", "en": "We keep what we need."}
        assert "Vi sparar bara det vi behöver." in page(client.get(URL, {"lang": "sv"}))
        assert "We keep what we need." in page(client.get(URL, {"lang": "da"}))

    def test_no_public_case_type_no_choice(self, client, internal_type):
        text = page(client.get(URL))
        assert 'name="case_type"' not in text

    def test_slash_redirects(self, client):
        response = client.get("/contact/", {"embed": "1"})
        assert response.status_code == 302 and response["Location"] == "/contact?embed=1"


class TestSubmit:
    def test_creates_one_web_case_for_the_existing_customer_with_attachments(self, client, customer, invoice_type):
        before = Customer.objects.count()
        files = [
            SimpleUploadedFile("faktura.pdf", PDF, content_type="application/octet-stream"),
            SimpleUploadedFile("../../skärmbild.png", PNG, content_type="image/png"),
        ]
        response = client.post(
            URL + "?lang=sv", form_data(email=" Karin@Example.se ", case_type=str(invoice_type.pk), attachments=files)
        )
        assert response.status_code == 302
        case = Case.objects.get()
        assert Customer.objects.count() == before
        assert case.customer_id == customer.pk
        assert (case.channel, case.case_type_id, case.subject, case.language) == (
            "web",
            invoice_type.pk,
            "Fel belopp",
            "sv",
        )
        message = case.messages.get()
        assert (message.channel, message.sender, message.body_text) == (
            "web",
            "karin@example.se",
            "Hej! Fakturan för mars är för hög.",
        )
        attachments = list(message.attachments.order_by("filename"))
        assert [(a.filename, a.content_type, a.size) for a in attachments] == [
            ("faktura.pdf", "application/pdf", len(PDF)),
            ("skärmbild.png", "image/png", len(PNG)),
        ]
        assert attachments[0].file.read() == PDF
        assert response["Location"].startswith(f"/contact/thanks/{case.reference}?k=")
        assert response["Location"].endswith("&lang=sv")

        thanks = client.get(response["Location"])
        text = page(thanks)
        assert thanks.status_code == 200
        assert case.reference in text
        assert "k•••@example.se" in text and "karin@example.se" not in text
        assert thanks["Cache-Control"] == "no-store" and thanks["Referrer-Policy"] == "no-referrer"

    @pytest.mark.parametrize(
        ("message", "written_in", "language"),
        [
            ("Hej! Fakturan för mars är för hög, kan ni titta på den?", "sv", "sv"),  # written in Swedish: Swedish
            ("Hei! Laskuni maaliskuulta on aivan liian suuri.", "fi", "fi"),
            ("Hej!", "", "da"),  # too short to tell: the page's language
            ("Guten Tag, meine Rechnung für März ist viel zu hoch.", "other", "da"),  # not a language Lofte writes
        ],
    )
    def test_the_language_written_in_wins_over_the_page(self, client, message, written_in, language):
        response = client.post(URL + "?lang=da", form_data(message=message))
        assert response.status_code == 302
        case = Case.objects.get()
        assert (case.language, case.customer.language) == (language, language)
        assert case.messages.get().language == written_in

    def test_new_customer_by_phone_in_e164(self, client, invoice_type):
        danish = "Hej! Min faktura for marts er alt for høj, kan I se på den?"
        response = client.post(
            URL + "?lang=da",
            form_data(email="", phone="070-765 43 21", case_type=str(invoice_type.pk), message=danish),
        )
        assert response.status_code == 302
        case = Case.objects.get()
        identity = CustomerIdentity.objects.get(customer=case.customer)
        assert (identity.kind, identity.value) == ("phone", "+46707654321")
        assert (case.customer.name, case.customer.language, case.language) == ("Karin Kund", "da", "da")
        assert case.messages.get().sender == "+46707654321"
        assert "+46 ••• 21" in page(client.get(response["Location"]))

    def test_without_public_case_types_no_type_is_needed(self, client):
        response = client.post(URL, form_data())
        assert response.status_code == 302
        assert Case.objects.get().case_type is None

    def test_a_case_type_is_required_when_there_are_some(self, client, invoice_type):
        response = client.post(URL, form_data())
        assert response.status_code == 422
        assert "Choose what your message is about." in page(response)
        assert Case.objects.count() == 0

    @pytest.mark.parametrize("case_type", ["internal", "inactive", "999999", "x"])
    def test_a_non_public_case_type_is_refused(self, client, invoice_type, internal_type, case_type):
        inactive = CaseTypeFactory(name="Old", is_public=True, is_active=False)
        value = {"internal": internal_type.pk, "inactive": inactive.pk}.get(case_type, case_type)
        response = client.post(URL, form_data(case_type=str(value)))
        assert response.status_code == 422
        assert "Choose one of the topics in the list." in page(response)
        assert Case.objects.count() == 0


class TestErrorsKeepTheInput:
    @pytest.mark.parametrize(
        ("changes", "field", "problem"),
        [
            ({"email": "", "phone": ""}, "email", "Give your email address or your phone number"),
            ({"email": "karin@"}, "email", "“karin@” is not an email address we can write to"),
            ({"email": "", "phone": "070-12"}, "phone", "“070-12” is not a phone number we can reach"),
            ({"message": "   "}, "message", "Write your message"),
            ({"name": ""}, "name", "Tell us your name."),
        ],
    )
    def test_the_problem_is_named_and_everything_typed_is_kept(self, client, invoice_type, changes, field, problem):
        before = counts()
        data = form_data(case_type=str(invoice_type.pk), **changes)
        response = client.post(URL, data)
        text = page(response)
        assert response.status_code == 422
        assert problem in text
        assert counts() == before
        for name in ("name", "email", "phone", "subject"):
            if data[name]:
                assert f'value="{data[name]}"' in text
        if data["message"].strip():
            assert data["message"] in text
        assert re.search(rf'<option value="{invoice_type.pk}" selected>', text)
        # the field says it is wrong, and points at its message
        assert re.search(rf'id="id_{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="id_{field}"', text)
        assert f'id="id_{field}_error"' in text
        assert re.search(rf'aria-describedby="[^"]*id_{field}_error', text)
        assert f'href="#id_{field}"' in text  # the summary links to the field

    def test_the_error_is_in_the_customers_language(self, client):
        response = client.post(URL + "?lang=sv", form_data(message=""))
        assert '<html lang="sv">' in page(response)
        assert response["Content-Language"] == "sv"

    def test_an_oversize_file_is_named_and_the_rest_kept(self, client, settings):
        settings.LOFTE_MAX_ATTACHMENT_BYTES = 4000
        big = SimpleUploadedFile("kontoutdrag.pdf", b"%PDF-" + b"0" * 9066, content_type="application/pdf")
        small = SimpleUploadedFile("kvitto.pdf", PDF, content_type="application/pdf")
        with mock.patch("lofte.webform.files.RefusedUpload", wraps=files.RefusedUpload) as refused:
            response = client.post(URL, form_data(attachments=[small, big]))
        assert refused.call_count == 1  # its bytes were dropped while the upload streamed
        text = page(response)
        assert response.status_code == 422
        assert "“kontoutdrag.pdf” is 8.9\xa0KB; each file may be at most 3.9\xa0KB." in text
        assert "kvitto.pdf" not in text  # the good file is not an error
        assert "please attach them again" in text
        assert 'value="Karin Kund"' in text and "Fakturan för mars" in text
        assert counts() == (0, 0, 0, 0)

    def test_files_together_over_the_total(self, client, settings):
        settings.LOFTE_MAX_ATTACHMENT_BYTES = 4000
        settings.LOFTE_CONTACT_MAX_TOTAL_BYTES = 6000
        one = SimpleUploadedFile("ett.pdf", samples.pdf(text="1" * 3000))
        two = SimpleUploadedFile("två.pdf", samples.pdf(text="2" * 3000))
        response = client.post(URL, form_data(attachments=[one, two]))
        assert response.status_code == 422
        assert "“två.pdf” was not accepted: all files together may be at most 5.9\xa0KB." in page(response)
        assert Case.objects.count() == 0

    def test_too_many_files(self, client, settings):
        settings.LOFTE_CONTACT_MAX_FILES = 1
        files = [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.pdf", PDF)]
        response = client.post(URL, form_data(attachments=files))
        assert "“b.pdf” was not accepted: you can attach at most 1 file." in page(response)
        assert Case.objects.count() == 0

    def test_a_refused_type_is_named(self, client):
        response = client.post(URL, form_data(attachments=[SimpleUploadedFile("faktura.exe", EXE)]))
        text = page(response)
        assert response.status_code == 422
        assert "“faktura.exe” was not accepted: we can take PDF, JPEG, PNG" in text
        assert Case.objects.count() == 0

    def test_a_pdf_that_is_not_a_pdf(self, client):
        fake = SimpleUploadedFile("faktura.pdf", b"<html><script>alert(1)</script>", content_type="application/pdf")
        response = client.post(URL, form_data(attachments=[fake]))
        assert response.status_code == 422
        assert "“faktura.pdf” was not accepted: its content is not a PDF file, although its name says so." in page(
            response
        )
        assert Case.objects.count() == 0

    @pytest.mark.parametrize(
        ("name", "content", "reason"),
        [
            ("faktura.pdf", EXE, "it is a Windows program, not a PDF file"),
            # an EXE with a PDF header in its first kilobyte: accepted as a PDF before
            ("faktura.pdf", EXE.replace(b"DOS mode", b"%PDF-1.7"), "it is a Windows program, not a PDF file"),
            ("faktura.pdf", PDF + EXE, "it has a Windows program appended after the end of the PDF file"),
            ("faktura.pdf", PDF + samples.jar(), "it has a ZIP archive appended after the end of the PDF file"),
            (
                "skärmbild.png",
                PNG + samples.zipped({"run.sh": samples.SCRIPT}),
                "it has a ZIP archive appended after the end of the PNG file",
            ),
            (
                "foto.jpg",
                samples.jpeg() + samples.linux_elf(),
                "it has a Linux program appended after the end of the JPEG file",
            ),
            ("anteckning.txt", samples.SCRIPT, "it is a script, not a TXT file"),
            (
                "brev.docx",
                samples.docx(**{"word/embeddings/setup.exe": EXE}),
                "it contains a program (word/embeddings/setup.exe)",
            ),
            (
                "brev.docx",
                samples.docx(**{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}),
                "it contains macros (word/vbaProject.bin)",
            ),
            (
                "brev.docx",
                samples.xlsx(),
                "it is not a complete Word (.docx) file: the part word/document.xml is missing",
            ),
        ],
    )
    def test_a_file_that_is_not_only_what_it_claims_is_refused_and_nothing_is_created(
        self, client, name, content, reason
    ):
        response = client.post(
            URL, form_data(attachments=[SimpleUploadedFile("kvitto.pdf", PDF), SimpleUploadedFile(name, content)])
        )
        text = page(response)
        assert response.status_code == 422
        assert f"“{name}” was not accepted: {reason}." in text
        assert "kvitto.pdf" not in text  # the good file is not an error
        assert 'value="Karin Kund"' in text and "Fakturan för mars" in text
        assert counts() == (0, 0, 0, 0)

    def test_real_files_of_every_kind_are_accepted(self, client):
        attachments = [
            SimpleUploadedFile(name, content)
            for name, content in [
                ("a.pdf", PDF),
                ("b.jpg", samples.jpeg(exif_thumbnail=True)),
                ("c.png", PNG),
                ("d.gif", samples.GIF),
                ("e.webp", samples.WEBP),
                ("f.heic", samples.heic()),
                ("g.txt", "Hej då".encode()),
                ("h.docx", samples.docx()),
                ("i.xlsx", samples.xlsx()),
                ("j.odt", samples.odf()),
            ]
        ]
        response = client.post(URL, form_data(attachments=attachments))
        assert response.status_code == 302
        assert Attachment.objects.count() == 10

    def test_an_image_that_is_not_an_image(self, client):
        response = client.post(URL, form_data(attachments=[SimpleUploadedFile("foto.jpg", b"<svg onload=alert(1)>")]))
        assert "“foto.jpg” was not accepted: its content is not a JPEG file" in page(response)
        assert Case.objects.count() == 0


class TestSpam:
    def test_honeypot_looks_like_success_and_creates_nothing(self, client, customer):
        before = counts()
        response = client.post(URL, form_data(homepage="http://cheap-pills.example"))
        assert response.status_code == 302
        thanks = client.get(response["Location"])
        text = page(thanks)
        assert thanks.status_code == 200
        assert re.search(r"Your case number is <strong class=\"ref\">LF-\d{4}-\d{6}</strong>", text)
        assert "k•••@example.se" in text
        assert counts() == before

    def test_too_fast_shows_the_form_again_then_accepts_it(self, client):
        with clock.at(NOON):
            token = started(seconds_ago=1)
            response = client.post(URL, form_data(started=token))
        text = page(response)
        assert response.status_code == 422
        assert "Please take a moment to check what you wrote, then send again." in text
        assert 'value="Karin Kund"' in text and "Fakturan för mars" in text
        assert f'value="{token}"' in text  # the same start time: waiting is enough
        assert Case.objects.count() == 0
        with clock.at(NOON + timedelta(seconds=3)):
            assert client.post(URL, form_data(started=token)).status_code == 302
        assert Case.objects.count() == 1

    @pytest.mark.parametrize("token", ["", "1700000000:forged", "garbage"])
    def test_a_missing_or_forged_start_time(self, client, token):
        response = client.post(URL, form_data(started=token))
        text = page(response)
        assert response.status_code == 422
        assert "Please check what you wrote, then send it again." in text
        assert 'value="Karin Kund"' in text
        fresh = re.search(r'name="started" value="([^"]+)"', text)
        assert fresh and tokens.started_age(fresh.group(1)) is not None
        assert Case.objects.count() == 0

    def test_a_start_time_older_than_a_day(self, client):
        with clock.at(NOON):
            response = client.post(URL, form_data(started=started(seconds_ago=25 * 3600)))
        assert response.status_code == 422
        assert Case.objects.count() == 0


class TestRateLimits:
    def test_per_ip(self, client, settings):
        settings.LOFTE_CONTACT_RATE_PER_IP = 2
        with clock.at(NOON):
            for n in range(2):
                response = client.post(URL, form_data(email=f"kund{n}@example.se"), REMOTE_ADDR="203.0.113.5")
                assert response.status_code == 302
            response = client.post(URL, form_data(email="kund9@example.se"), REMOTE_ADDR="203.0.113.5")
            text = page(response)
            assert response.status_code == 429
            assert response["Retry-After"] == str(45 * 60)
            assert "Too many requests" in text and "Please try again in 45 minutes." in text
            assert 'value="kund9@example.se"' in text and "Fakturan för mars" in text  # kept
            assert Case.objects.count() == 2
            assert client.post(URL, form_data(email="kund9@example.se"), REMOTE_ADDR="203.0.113.6").status_code == 302
        assert Case.objects.count() == 3

    def test_per_ip_counts_spam_too(self, client, settings):
        settings.LOFTE_CONTACT_RATE_PER_IP = 1
        client.post(URL, form_data(homepage="x"), REMOTE_ADDR="198.51.100.7")
        assert client.post(URL, form_data(), REMOTE_ADDR="198.51.100.7").status_code == 429
        assert Case.objects.count() == 0

    def test_ipv6_counts_per_64(self, client, settings):
        settings.LOFTE_CONTACT_RATE_PER_IP = 1
        assert client.post(URL, form_data(), REMOTE_ADDR="2001:db8:1:2::1").status_code == 302
        assert client.post(URL, form_data(email="b@example.se"), REMOTE_ADDR="2001:db8:1:2::ff").status_code == 429

    def test_per_email_address(self, client, settings):
        settings.LOFTE_CONTACT_RATE_PER_ADDRESS = 2
        with clock.at(NOON.replace(minute=59, second=30)):
            for n, email in enumerate(["karin@example.se", "KARIN@example.se"]):
                response = client.post(URL, form_data(email=email), REMOTE_ADDR=f"192.0.2.{n}")
                assert response.status_code == 302
            response = client.post(URL + "?lang=sv", form_data(), REMOTE_ADDR="192.0.2.9")
            text = page(response)
            assert response.status_code == 429
            assert response["Retry-After"] == "30"
            assert "Försök igen om 1 minut." in text  # the customer's language
            assert '<html lang="sv">' in text
            assert Case.objects.count() == 2
            assert client.post(URL, form_data(email="other@example.se"), REMOTE_ADDR="192.0.2.9").status_code == 302

    def test_htmx_gets_the_429_partial(self, client, settings):
        settings.LOFTE_CONTACT_RATE_PER_IP = 0
        response = client.post(URL, form_data(), **HX)
        assert response.status_code == 429
        assert "<html" not in page(response) and "Too many requests" in page(response)


class TestThanks:
    def submit(self, client) -> str:
        return client.post(URL, form_data())["Location"]

    def test_the_url_cannot_be_forged_or_enumerated(self, client, case, django_assert_num_queries):
        location = self.submit(client)
        mine = Case.objects.exclude(pk=case.pk).get()
        path, query = location.split("?")
        token = query.split("&")[0][2:]
        with django_assert_num_queries(0):  # the page reads nothing from the database
            assert client.get(location).status_code == 200
            assert client.get(path).status_code == 404
            assert client.get(f"/contact/thanks/{case.reference}").status_code == 404
            swapped = client.get(f"/contact/thanks/{case.reference}?k={token}")
            assert swapped.status_code == 404 and case.reference not in page(swapped)
            assert client.get(f"{path}?k={token[:-2]}xx").status_code == 404
            # the payload rewritten to another case, under the original signature
            payload, stamp, signature = unquote(token).split(":")
            data = json.loads(base64.urlsafe_b64decode(payload + "=="))
            assert data["r"] == mine.reference
            data["r"] = case.reference
            forged = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()
            url = f"/contact/thanks/{case.reference}?" + urlencode({"k": f"{forged}:{stamp}:{signature}"})
            assert client.get(url).status_code == 404
            # signed by Django, but for something else
            other = signing.TimestampSigner().sign_object({"r": case.reference, "to": "x"})
            assert client.get(f"/contact/thanks/{case.reference}?" + urlencode({"k": other})).status_code == 404
        assert "This page is no longer available" in page(client.get(path))

    def test_expires(self, client):
        location = self.submit(client)
        with mock.patch("django.core.signing.time.time", return_value=datetime.now(tz=UTC).timestamp() + 31 * 60):
            assert client.get(location).status_code == 404


class TestEmbed:
    def test_not_embeddable_unless_configured(self, client, settings):
        settings.LOFTE_CONTACT_FRAME_ANCESTORS = []
        response = client.get(URL, {"embed": "1"})
        assert response["X-Frame-Options"] == "DENY"
        assert response["Content-Security-Policy"] == site_policy("frame-ancestors 'none'")

    def test_framing_only_from_the_configured_sites(self, client, settings):
        allowed = ["https://www.shop.example", "https://*.shop.example"]
        settings.LOFTE_CONTACT_FRAME_ANCESTORS = [*allowed, "x; script-src *"]
        response = client.get(URL, {"embed": "1", "lang": "nb"})
        text = page(response)
        assert response["Content-Security-Policy"] == site_policy(
            "frame-ancestors https://www.shop.example https://*.shop.example"
        )
        assert "X-Frame-Options" not in response
        assert 'class="public-header"' not in text and 'class="public-footer"' in text
        assert 'action="/contact?embed=1&amp;lang=nb"' in response.content.decode()
        # the ordinary page is still not frameable
        ordinary = client.get(URL)
        assert ordinary["X-Frame-Options"] == "DENY"
        assert ordinary["Content-Security-Policy"] == site_policy("frame-ancestors 'none'")

    def test_the_thanks_page_stays_embedded(self, client, settings):
        settings.LOFTE_CONTACT_FRAME_ANCESTORS = ["https://www.shop.example"]
        response = client.post(URL + "?embed=1", form_data())
        assert response.status_code == 302 and response["Location"].endswith("&embed=1")
        thanks = client.get(response["Location"])
        assert thanks.status_code == 200
        assert thanks["Content-Security-Policy"] == site_policy("frame-ancestors https://www.shop.example")
        assert "X-Frame-Options" not in thanks


class TestHtmx:
    def test_errors_come_back_as_the_partial(self, client):
        response = client.post(URL, form_data(email="nope"), **HX)
        text = page(response)
        assert response.status_code == 422
        assert "<html" not in text and text.lstrip().startswith('<div id="contact-form">')
        assert "“nope” is not an email address" in text and 'value="Karin Kund"' in text

    def test_success_redirects_the_browser(self, client):
        response = client.post(URL, form_data(), **HX)
        assert response.status_code == 200
        case = Case.objects.get()
        assert response["HX-Redirect"].startswith(f"/contact/thanks/{case.reference}?k=")


class TestCsrf:
    def test_a_post_without_the_token_is_refused(self, customer):
        client = Client(enforce_csrf_checks=True)
        response = client.post(URL, form_data())
        assert response.status_code == 403
        assert Case.objects.count() == 0

    def test_a_post_with_the_token_is_accepted(self):
        client = Client(enforce_csrf_checks=True)
        text = client.get(URL).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)
        response = client.post(URL, form_data(csrfmiddlewaretoken=token))
        assert response.status_code == 302
        assert Case.objects.count() == 1

    def test_embedded_form_without_cookies_relies_on_the_browsers_fetch_headers(self):
        client = Client(enforce_csrf_checks=True)  # no cookie: a third-party frame
        same = client.post(URL + "?embed=1", form_data(), HTTP_SEC_FETCH_SITE="same-origin")
        assert same.status_code == 302
        cross = client.post(URL + "?embed=1", form_data(email="b@example.se"), HTTP_SEC_FETCH_SITE="cross-site")
        assert cross.status_code == 403
        origin = client.post(URL + "?embed=1", form_data(email="c@example.se"), HTTP_ORIGIN="https://evil.example")
        assert origin.status_code == 403
        # outside the frame, Django's own check applies whatever the headers say
        plain = client.post(URL, form_data(email="d@example.se"), HTTP_SEC_FETCH_SITE="same-origin")
        assert plain.status_code == 403
        assert Case.objects.count() == 1
