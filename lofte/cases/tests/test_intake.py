"""The one intake: language of a new case, deduplication by source, and what each channel proves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lofte.cases.acknowledgements import acknowledge_new_cases
from lofte.cases.intake import Contact, intake_receive, scoped_external_id
from lofte.cases.models import Case
from lofte.channels.email.ingest import email_ingest
from lofte.channels.models import Mailbox
from lofte.core import clock
from lofte.customers.models import CustomerIdentity, IdentitySuggestion, Proof
from lofte.customers.services import Identifier, customer_create
from lofte.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)  # a Monday morning in Stockholm


def mail(sender: str, to: str, subject: str = "Fakturan", body: str = "Hej, fakturan är fel.") -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{abs(hash((sender, subject)))}@x>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


class TestLanguage:
    def test_a_swedish_mailbox_acknowledges_a_stranger_in_swedish(self, settings):
        settings.LOFTE_CUSTOMER_LANGUAGE = "en"  # the site's default would be English
        Mailbox.objects.create(name="kundtjanst", address="kundtjanst@lofte.localhost", language="sv")
        with clock.at(T0):
            result = email_ingest(raw=mail("ny@example.se", "kundtjanst@lofte.localhost"))
        case = Case.objects.get(reference=result.case)
        assert (case.language, case.customer.language) == ("sv", "sv")
        acknowledge_new_cases(now=T0 + timedelta(seconds=10))
        assert "Tack för att du kontaktade oss." in OutboxMessage.objects.get().payload["text"]

    def test_the_customers_known_language_wins_over_the_mailboxs(self, settings):
        customer_create(email="fi@example.fi", language="fi")
        Mailbox.objects.create(name="kundtjanst", address="kundtjanst@lofte.localhost", language="sv")
        result = email_ingest(raw=mail("fi@example.fi", "kundtjanst@lofte.localhost"))
        assert Case.objects.get(reference=result.case).language == "fi"

    def test_without_a_hint_the_site_customer_language_is_used(self, settings):
        settings.LOFTE_CUSTOMER_LANGUAGE = "da"
        result = email_ingest(raw=mail("ny@example.dk", "support@lofte.localhost"))
        assert Case.objects.get(reference=result.case).language == "da"

    def test_an_sms_from_a_finnish_number_is_finnish(self):
        received = intake_receive(
            contact=Contact(
                channel="sms",
                body="Hei",
                identifiers=[Identifier(kind="phone", value="+358401234567", proof=Proof.MESSAGE)],
                language_hint="fi",
            )
        )
        assert (received.case.language, received.customer.language) == ("fi", "fi")


class TestWrittenIn:
    """The language a message is written in: kept on the message, the language of a stranger's case and of a
    customer who had none, and never above what the customer or the API said."""

    FINNISH = "Hei, en ole saanut laskua marraskuulta. Voitteko lähettää sen uudelleen?"

    def test_a_finnish_mail_to_a_swedish_mailbox_is_answered_in_finnish(self, settings):
        Mailbox.objects.create(name="kundtjanst", address="kundtjanst@lofte.localhost", language="sv")
        with clock.at(T0):
            result = email_ingest(raw=mail("uusi@example.fi", "kundtjanst@lofte.localhost", "Lasku", self.FINNISH))
        case = Case.objects.get(reference=result.case)
        assert (case.language, case.customer.language, case.messages.get().language) == ("fi", "fi", "fi")
        acknowledge_new_cases(now=T0 + timedelta(seconds=10))
        assert "Kiitos yhteydenotostasi." in OutboxMessage.objects.get().payload["text"]

    def test_a_few_words_keep_the_mailboxs_language(self):
        Mailbox.objects.create(name="kundservice", address="kundeservice@lofte.localhost", language="da")
        result = email_ingest(raw=mail("ny@example.dk", "kundeservice@lofte.localhost", "Hej", "Tak!"))
        case = Case.objects.get(reference=result.case)
        assert (case.language, case.customer.language, case.messages.get().language) == ("da", "da", "")

    def test_the_customers_known_language_stands(self):
        customer_create(email="sv@example.se", language="sv")
        result = email_ingest(raw=mail("sv@example.se", "support@lofte.localhost", "Lasku", self.FINNISH))
        case = Case.objects.get(reference=result.case)
        assert (case.language, case.customer.language, case.messages.get().language) == ("sv", "sv", "fi")

    def test_what_the_api_says_stands(self):
        received = intake_receive(
            contact=Contact(
                channel="api",
                body=self.FINNISH,
                identifiers=[Identifier(kind="email", value="api@example.fi")],
                language="en",
            )
        )
        assert (received.case.language, received.message.language) == ("en", "fi")

    def test_a_known_customer_without_a_language_takes_the_one_they_wrote_in(self):
        customer = customer_create(email="kaisa@example.fi")
        assert customer.language == ""
        email_ingest(raw=mail("kaisa@example.fi", "support@lofte.localhost", "Lasku", self.FINNISH))
        customer.refresh_from_db()
        assert customer.language == "fi"

    def test_a_claimed_address_does_not_set_a_customers_language(self, customer):
        """Anyone can type an address into a form: what they write in says nothing about that customer."""
        customer.language = ""
        customer.save(update_fields=["language"])
        claimed = [Identifier(kind="email", value=customer.identities.get(kind="email").value)]
        intake_receive(contact=Contact(channel="web", body=self.FINNISH, identifiers=claimed, language_hint="sv"))
        customer.refresh_from_db()
        assert customer.language == ""

    def test_a_reply_keeps_the_cases_language_and_notes_its_own(self):
        Mailbox.objects.create(name="kundtjanst", address="kundtjanst@lofte.localhost", language="sv")
        first = email_ingest(
            raw=mail(
                "ny@example.se",
                "kundtjanst@lofte.localhost",
                "Fakturan",
                "Hej, fakturan för november är fel, den är alldeles för hög.",
            )
        )
        case = Case.objects.get(reference=first.case)
        reply = mail("ny@example.se", "kundtjanst@lofte.localhost", f"Re: Fakturan [{case.reference}]", self.FINNISH)
        email_ingest(raw=reply)
        case.refresh_from_db()
        assert case.language == "sv"
        assert [m.language for m in case.messages.order_by("id")] == ["sv", "fi"]

    @pytest.mark.parametrize(
        ("body", "written_in"),
        [
            ("x" * 1_000_000, ""),  # a megabyte of one letter: no language, filed as usual
            ("-- \nKarin Karlsson\n070-123 45 67\nkarin@example.se", ""),  # only a signature
            ("مرحبا، لم أستلم فاتورة شهر نوفمبر. هل يمكنكم إرسالها مرة أخرى؟", "other"),
            ("Hej! Jag har inte fått fakturan. Hei! En ole saanut laskua. Hi! I did not get the invoice.", ""),
        ],
    )
    def test_any_text_is_filed_in_the_mailboxs_language_when_its_own_is_not_clear(self, body, written_in):
        Mailbox.objects.create(name="kundtjanst", address="kundtjanst@lofte.localhost", language="sv")
        result = email_ingest(raw=mail("ny@example.se", "kundtjanst@lofte.localhost", "", body))
        case = Case.objects.get(reference=result.case)
        assert (case.language, case.messages.get().language) == ("sv", written_in)


class TestDedupe:
    def test_the_same_external_id_from_one_source_is_a_duplicate_and_from_another_is_not(self):
        def receive(source: str):  # type: ignore[no-untyped-def]
            return intake_receive(
                contact=Contact(
                    channel="api",
                    body="Hej",
                    identifiers=[Identifier(kind="email", value="k@example.se")],
                    source=source,
                    external_id="42",
                )
            )

        first = receive("api")
        again = receive("api")
        other = receive("webhook:shop")
        assert (first.outcome, again.outcome, other.outcome) == ("created", "duplicate", "created")
        assert again.message == first.message
        assert Case.objects.count() == 2
        assert [scoped_external_id("api", "42"), scoped_external_id("email", "<a@b>")] == ["api:42", "<a@b>"]


class TestProofs:
    def test_an_email_proves_its_sender_and_a_claimed_address_becomes_proven(self):
        intake_receive(
            contact=Contact(channel="web", body="Hej", identifiers=[Identifier(kind="email", value="k@example.se")])
        )
        assert CustomerIdentity.objects.get().proven_at is None
        email_ingest(raw=mail("k@example.se", "support@lofte.localhost"))
        identity = CustomerIdentity.objects.get()
        assert (identity.proof, identity.proven_at is not None) == ("message", True)
        assert Case.objects.values("customer").distinct().count() == 1

    def test_a_reference_in_the_subject_from_a_claim_does_not_thread(self, customer, case):
        """The form's email is a claim: with the case's reference typed into the subject it must not reach into
        the customer's case."""
        intake_receive(
            contact=Contact(
                channel="web",
                body="Jag vill ha pengarna till mitt konto 1234",
                subject=f"[{case.reference}]",
                identifiers=[Identifier(kind="email", value="karin@example.se")],
                reference_text=f"[{case.reference}]",
            )
        )
        assert case.messages.count() == 1
        assert Case.objects.count() == 2

    def test_the_public_callback_form_finds_by_number_but_joins_nothing(self, customer):
        received = intake_receive(
            contact=Contact(
                channel="phone",
                body="Ring mig",
                name="Mallory",
                identifiers=[
                    Identifier(kind="phone", value="+46701234567"),
                    Identifier(kind="email", value="mallory@example.net"),
                ],
            )
        )
        assert received.customer == customer
        customer.refresh_from_db()
        assert customer.name == "Karin Kund"
        assert not CustomerIdentity.objects.filter(value="mallory@example.net").exists()
        assert IdentitySuggestion.objects.get().value == "mallory@example.net"


def test_a_contact_with_only_a_phone_number_is_acknowledged_by_sms(settings):
    """The thanks page says "we are sending a confirmation to +46 … 33": it must be sent."""
    from lofte.webform.services import ContactSubmission, contact_submit

    settings.LOFTE_TRANSPORTS = {**settings.LOFTE_TRANSPORTS, "sms": "lofte.channels.sms.transport.SmsTransport"}
    with clock.at(T0):
        case = contact_submit(
            submission=ContactSubmission(
                name="Nils", email="", phone="+46701112233", subject="Hej", message="Ring mig", language="sv"
            )
        )
    assert acknowledge_new_cases(now=T0 + timedelta(seconds=10)) == {"sent": 1, "skipped": 0}
    row = OutboxMessage.objects.get()
    assert (row.channel, row.to) == ("sms", "+46701112233")
    assert case.reference in row.payload["text"]
    text = row.payload["text"]
    assert "ämnesrad" not in text  # the SMS text: no subject line to keep the number in
    assert text.startswith(f"Tack för att du kontaktade oss. Ditt ärendenummer är {case.reference}."), text
