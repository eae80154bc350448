"""The customer's cases: labels and promises in the list, the public timeline only, and writing,
closing and reopening through the cases services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lofte.cases import automatic
from lofte.cases import services as cases
from lofte.cases.models import Case, CaseEvent, Direction, EventKind, Message, Status
from lofte.cases.services import AttachmentInput
from lofte.cases.tests.factories import make_case
from lofte.complaints.models import Complaint
from lofte.complaints.models import Source as ComplaintSource
from lofte.core import clock
from lofte.core.tests import samples
from lofte.promises.models import Promise, PromiseKind

pytestmark = pytest.mark.django_db

PDF = samples.pdf()
PNG = samples.png()


def detail(case: Case) -> str:
    return reverse("portal:case", args=[case.reference])


def set_status(case: Case, status: str) -> Case:
    return cases.case_transition(case=case, actor=None, status=status)


class TestList:
    def test_cases_newest_first_with_customer_facing_labels(self, portal, customer, team):
        made = {}
        for status in (Status.NEW, Status.OPEN, Status.WAITING_ON_CUSTOMER, Status.SOLVED, Status.CLOSED):
            case = make_case(customer=customer, team=team, subject=f"About {status}")
            if status != Status.NEW:
                set_status(case, status)
            made[status] = case
        html = portal.get("/portal/cases/").content.decode()
        positions = [html.index(f"About {s}") for s in reversed(list(made))]
        assert positions == sorted(positions)  # newest first
        for status, label in [
            (Status.NEW, "We are working on it"),
            (Status.OPEN, "We are working on it"),
            (Status.WAITING_ON_CUSTOMER, "Waiting for your reply"),
            (Status.SOLVED, "Solved"),
            (Status.CLOSED, "Closed"),
        ]:
            assert f'<span class="portal-status portal-status-{status}">{label}</span>' in html
        assert "Waiting on customer" not in html  # the agents' word is not used

    def test_the_next_promise_and_what_was_promised(self, portal, case, agent, settings):
        due = clock.now() + timedelta(days=2)
        cases.case_promise_make(case=case, author=agent, due_at=due, customer_text="We will call you on Friday.")
        cases.case_promise_make(case=case, author=agent, due_at=due + timedelta(days=1), customer_text="Later.")
        html = portal.get("/portal/cases/").content.decode()
        assert "We will call you on Friday." in html and "Later." not in html
        assert "We will get back to you by" in html

    def test_a_promise_without_a_sentence_shows_only_for_first_response_or_next_update(self, case, agent):
        from lofte.portal.selectors import portal_case_promise

        cases.case_promise_make(case=case, author=agent, due_at=clock.now() + timedelta(hours=3))
        assert portal_case_promise(case=case) is None  # an internal follow-up
        first = Promise.objects.create(
            kind=PromiseKind.FIRST_RESPONSE, case=case, due_at=clock.now() + timedelta(hours=5), origin="policy"
        )
        assert portal_case_promise(case=case) == first
        Promise.objects.filter(pk=first.pk).update(paused_at=clock.now())
        assert portal_case_promise(case=case) is None  # paused: waiting on the customer

    def test_twenty_a_page_then_older_cases(self, portal, customer):
        made = [make_case(customer=customer, subject=f"Case number {i:02d}") for i in range(25)]
        first = portal.get("/portal/cases/").content.decode()
        assert made[-1].reference in first and made[5].reference in first and made[4].reference not in first
        cursor = first.split("?cursor=")[1].split('"')[0]
        second = portal.get(f"/portal/cases/?cursor={cursor}").content.decode()
        assert all(c.reference in second for c in made[:5]) and made[5].reference not in second

    def test_a_bad_cursor_is_a_clear_page(self, portal):
        response = portal.get("/portal/cases/?cursor=%%%garbage")
        assert response.status_code == 400
        assert "start again from the first page" in response.content.decode()

    def test_no_cases(self, portal):
        assert "You have no cases with us." in portal.get("/portal/cases/").content.decode()

    def test_the_same_queries_for_5_and_50_cases(self, portal, customer, agent):
        def add(count: int, start: int) -> None:
            for i in range(start, start + count):
                case = make_case(customer=customer, subject=f"Q{i}")
                cases.case_promise_make(
                    case=case, author=agent, due_at=clock.now() + timedelta(hours=i + 1), customer_text=f"Promise {i}"
                )

        def queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert portal.get("/portal/cases/").status_code == 200
            return len(ctx)

        add(5, 0)
        five = queries()
        add(45, 5)
        assert queries() == five


class TestTimeline:
    def test_only_messages_never_notes_events_automatic_replies_or_the_agents_address(self, portal, case, agent):
        cases.case_note_add(case=case, author=agent, body="Internal: this customer is difficult")
        cases.case_assign(case=case, actor=agent, assignee=agent)
        automatic.case_add_automatic(case=case, body="I am out of office until Monday", channel="email")
        cases.case_reply(case=case, author=agent, body="Hello Karin, we are looking at the invoice.")
        html = portal.get(detail(case)).content.decode()
        assert "Hej! Fakturan är fel." in html  # the customer's message
        assert "Hello Karin, we are looking at the invoice." in html  # our reply
        assert "Internal: this customer is difficult" not in html
        assert "out of office" not in html
        assert "agent@example.com" not in html and "Alma Agent" not in html
        assert "assigned" not in html.lower() and "Internal note" not in html
        assert "<article" in html and html.count('class="portal-message ') == 2

    def test_the_new_words_of_an_email_and_attachments_with_their_names(self, portal, case):
        cases.case_add_inbound(
            case=case,
            body="Here it is\n\n> quoted history",
            visible_text="Here it is",
            channel="email",
            attachments=[AttachmentInput(filename="faktura.pdf", content_type="application/pdf", content=PDF)],
        )
        html = portal.get(detail(case)).content.decode()
        assert "Here it is" in html and "quoted history" not in html
        assert "faktura.pdf" in html

    def test_an_attachment_downloads(self, portal, case):
        message = cases.case_add_inbound(
            case=case,
            body="File",
            channel="email",
            attachments=[AttachmentInput(filename="faktura.pdf", content_type="application/pdf", content=PDF)],
        )
        attachment = message.attachments.get()
        response = portal.get(reverse("portal:attachment", args=[case.reference, attachment.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Disposition"].startswith("attachment;")
        assert 'filename="faktura.pdf"' in response["Content-Disposition"]

    def test_the_page_says_the_status_and_promise(self, portal, case, agent):
        cases.case_promise_make(
            case=case, author=agent, due_at=clock.now() + timedelta(days=1), customer_text="Tomorrow, by phone."
        )
        html = portal.get(detail(case)).content.decode()
        assert case.subject in html and case.reference in html
        assert "We are working on it" in html and "Tomorrow, by phone." in html

    def test_pages_speak_the_customers_language_without_agent_navigation(self, portal, customer, case):
        customer.language = "sv"
        customer.save(update_fields=["language"])
        response = portal.get(detail(case), HTTP_ACCEPT_LANGUAGE="en")
        html = response.content.decode()
        assert '<html lang="sv">' in html
        assert "Logga ut" in html  # translated already
        assert response["Content-Language"] == "sv"
        assert "/inbox/" not in html and "Inbox" not in html and 'id="shortcuts"' not in html


class TestWriting:
    def test_a_message_with_files_lands_on_the_timeline_as_web(self, portal, case, agent):
        set_status(case, Status.WAITING_ON_CUSTOMER)
        response = portal.post(
            reverse("portal:message", args=[case.reference]),
            {
                "body": "Here is the receipt.",
                "attachments": [
                    SimpleUploadedFile("kvitto.pdf", PDF, content_type="application/pdf"),
                    SimpleUploadedFile("photo.png", PNG, content_type="image/png"),
                ],
            },
        )
        assert response.status_code == 302 and response["Location"] == detail(case)
        message = Message.objects.filter(case=case).latest("id")
        assert (message.direction, message.channel, message.sender) == (Direction.IN, "web", "karin@example.se")
        assert message.body_text == "Here is the receipt."
        assert [(a.filename, a.content_type, a.size) for a in message.attachments.order_by("id")] == [
            ("kvitto.pdf", "application/pdf", len(PDF)),
            ("photo.png", "image/png", len(PNG)),
        ]
        assert CaseEvent.objects.filter(case=case, kind=EventKind.MESSAGE_IN, message=message).exists()
        case.refresh_from_db()
        assert case.status == Status.OPEN  # waiting on the customer: their message opens it
        page = portal.get(detail(case)).content.decode()
        assert "Thank you, we have received your message." in page and "Here is the receipt." in page

    def test_a_refused_file_is_named_with_the_reason_and_the_text_kept(self, portal, case):
        before = Message.objects.count()
        response = portal.post(
            reverse("portal:message", args=[case.reference]),
            {"body": "My typed words", "attachments": [SimpleUploadedFile("virus.exe", b"MZ...")]},
        )
        html = response.content.decode()
        assert response.status_code == 422
        assert "virus.exe was not sent: we accept only these file types:" in html
        assert ">My typed words</textarea>" in html
        assert Message.objects.count() == before

    def test_a_file_over_the_limit_is_refused(self, portal, case, settings):
        settings.LOFTE_MAX_ATTACHMENT_BYTES = 2**20
        big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 2**20)
        response = portal.post(reverse("portal:message", args=[case.reference]), {"body": "Big", "attachments": [big]})
        assert response.status_code == 422
        assert "big.pdf was not sent: it is larger than the limit of 1 MB." in response.content.decode()

    def test_a_file_whose_content_is_not_its_type_is_refused(self, portal, case):
        fake = SimpleUploadedFile("invoice.pdf", b"<html><script>alert(1)</script>", content_type="application/pdf")
        response = portal.post(reverse("portal:message", args=[case.reference]), {"body": "x", "attachments": [fake]})
        assert response.status_code == 422
        assert (
            "invoice.pdf was not sent: its content is not a PDF file, although its name says so."
            in response.content.decode()
        )

    @pytest.mark.parametrize(
        ("name", "content", "reason"),
        [
            (
                "invoice.pdf",
                PDF + samples.windows_exe(),
                "it has a Windows program appended after the end of the PDF file",
            ),
            (
                "invoice.pdf",
                samples.windows_exe().replace(b"DOS mode", b"%PDF-1.7"),
                "it is a Windows program, not a PDF file",
            ),
            ("photo.png", PNG + samples.jar(), "it has a ZIP archive appended after the end of the PNG file"),
            ("photo.jpg", samples.jpeg() + samples.SCRIPT, "it has a script appended after the end of the JPEG file"),
            (
                "letter.docx",
                samples.docx(**{"word/embeddings/setup.exe": samples.windows_exe()}),
                "it contains a program (word/embeddings/setup.exe)",
            ),
        ],
    )
    def test_a_file_with_a_program_or_archive_in_it_is_refused_and_nothing_is_written(
        self, portal, case, name, content, reason
    ):
        before = (Message.objects.count(), CaseEvent.objects.count())
        response = portal.post(
            reverse("portal:message", args=[case.reference]),
            {
                "body": "See attached",
                "attachments": [SimpleUploadedFile("kvitto.pdf", PDF), SimpleUploadedFile(name, content)],
            },
        )
        assert response.status_code == 422
        assert f"{name} was not sent: {reason}." in response.content.decode()
        assert ">See attached</textarea>" in response.content.decode()
        assert (Message.objects.count(), CaseEvent.objects.count()) == before

    def test_an_empty_message_is_refused(self, portal, case):
        response = portal.post(reverse("portal:message", args=[case.reference]), {"body": "   "})
        assert response.status_code == 422
        assert "Write your message." in response.content.decode()

    def test_a_closed_case_takes_no_messages(self, portal, case):
        set_status(case, Status.CLOSED)
        html = portal.get(detail(case)).content.decode()
        assert 'action="/portal/cases/' + case.reference + '/message"' not in html
        assert "This case is closed. If you need more help, please contact us again." in html
        before = Message.objects.count()
        response = portal.post(reverse("portal:message", args=[case.reference]), {"body": "Anyway"})
        assert response.status_code == 422
        assert "takes no more messages" in response.content.decode()
        assert Message.objects.count() == before and Case.objects.count() == 1

    def test_a_flood_of_messages_gets_429(self, portal, case, settings):
        settings.LOFTE_PORTAL_MESSAGES_PER_HOUR = 2
        url = reverse("portal:message", args=[case.reference])
        codes = [portal.post(url, {"body": f"Message {i}"}).status_code for i in range(3)]
        assert codes == [302, 302, 429]
        assert Message.objects.filter(case=case, channel="web").count() == 2


class TestNewCase:
    def post(self, portal, **data):  # type: ignore[no-untyped-def]
        return portal.post(reverse("portal:new"), {"subject": "Broken lamp", "body": "It arrived broken.", **data})

    def test_a_complaint_with_a_file_becomes_a_case_of_the_customer_on_the_web(self, portal, customer):
        page = portal.get(reverse("portal:new")).content.decode()
        assert "I want to make a complaint" in page and 'name="complaint"' in page

        response = self.post(
            portal,
            complaint="on",
            attachments=[SimpleUploadedFile("photo.png", PNG, content_type="image/png")],
        )

        case = Case.objects.get(subject="Broken lamp")
        assert response.status_code == 302 and response["Location"] == detail(case)
        assert (case.customer_id, case.channel) == (customer.pk, "web")
        message = case.messages.get()
        assert (message.direction, message.sender, message.body_text) == (
            Direction.IN,
            "karin@example.se",
            "It arrived broken.",
        )
        assert [a.filename for a in message.attachments.all()] == ["photo.png"]
        assert (case.complaint.is_active, case.complaint.source) == (True, ComplaintSource.CUSTOMER)
        assert Promise.objects.filter(case=case, subject_type="complaint").exists()  # the handling deadline
        page = portal.get(detail(case)).content.decode()
        assert "Thank you, we have received your message." in page and "It arrived broken." in page

    def test_without_the_box_it_is_no_complaint(self, portal, customer):
        assert self.post(portal, subject="Opening hours", body="When are you open?").status_code == 302

        case = Case.objects.get(subject="Opening hours")
        assert not Complaint.objects.filter(case=case).exists()

    def test_an_address_in_the_post_never_opens_a_case_for_someone_else(self, portal, customer, other_customer):
        self.post(portal, email="olle@example.com", customer=str(other_customer.pk))

        assert Case.objects.get(subject="Broken lamp").customer_id == customer.pk
        assert not other_customer.cases.exists()

    def test_without_a_portal_session_nothing_is_opened(self, client, customer):
        response = client.post(reverse("portal:new"), {"subject": "Broken lamp", "body": "It arrived broken."})

        assert (response.status_code, response["Location"]) == (302, reverse("portal:request"))
        assert not Case.objects.exists()

    def test_a_missing_subject_or_message_is_named_and_the_words_kept(self, portal):
        response = portal.post(reverse("portal:new"), {"subject": "", "body": "My typed words", "complaint": "on"})

        html = response.content.decode()
        assert response.status_code == 422
        assert "Write a subject: a few words on what it is about." in html
        assert (
            ">My typed words</textarea>" in html
            and 'id="id_complaint" aria-describedby="complaint-help" checked' in html
        )
        assert not Case.objects.exists()

    def test_a_refused_file_is_named_and_nothing_is_opened(self, portal):
        response = self.post(portal, attachments=[SimpleUploadedFile("virus.exe", b"MZ...")])

        assert response.status_code == 422
        html = response.content.decode()
        assert "virus.exe was not sent: we accept only these file types:" in html
        assert 'value="Broken lamp"' in html and "Files cannot be kept when the form comes back" in html
        assert not Case.objects.exists()

    def test_new_cases_and_messages_share_the_hourly_limit(self, portal, case, settings):
        settings.LOFTE_PORTAL_MESSAGES_PER_HOUR = 2
        assert portal.post(reverse("portal:message", args=[case.reference]), {"body": "One"}).status_code == 302
        assert self.post(portal).status_code == 302

        assert self.post(portal, subject="Another").status_code == 429
        assert not Case.objects.filter(subject="Another").exists()

    def test_a_closed_case_points_to_writing_anew(self, portal, case):
        set_status(case, Status.CLOSED)

        html = portal.get(detail(case)).content.decode()

        assert f'href="{reverse("portal:new")}"' in html


class TestCloseAndReopen:
    def test_the_customer_closes_a_case_it_becomes_solved(self, portal, case):
        response = portal.post(reverse("portal:close", args=[case.reference]))
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.status == Status.SOLVED and case.solved_at is not None
        event = CaseEvent.objects.filter(case=case, kind=EventKind.STATUS_CHANGED).latest("id")
        assert event.actor is None and event.data == {
            "from": Status.NEW,
            "to": Status.SOLVED,
            "reason": "customer_portal",
        }
        html = portal.get(detail(case)).content.decode()
        assert "We have marked the case as solved." in html
        assert "Reopen the case" in html and "Close the case" not in html

    def test_closing_a_solved_case_again_is_refused_with_a_message(self, portal, case):
        set_status(case, Status.SOLVED)
        response = portal.post(reverse("portal:close", args=[case.reference]))
        assert response.status_code == 422
        assert "This case is already solved or closed." in response.content.decode()

    def test_reopen_within_the_window(self, portal, case):
        set_status(case, Status.SOLVED)
        response = portal.post(reverse("portal:reopen", args=[case.reference]))
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.status == Status.OPEN and case.solved_at is None
        assert "The case is open again." in portal.get(detail(case)).content.decode()

    def test_reopen_refused_after_the_days(self, portal, case, settings):
        settings.LOFTE_PORTAL_REOPEN_DAYS = 14
        set_status(case, Status.SOLVED)
        Case.objects.filter(pk=case.pk).update(solved_at=clock.now() - timedelta(days=14, minutes=1))
        html = portal.get(detail(case)).content.decode()
        assert "Reopen the case" not in html and 'name="body"' not in html
        response = portal.post(reverse("portal:reopen", args=[case.reference]))
        assert response.status_code == 422
        assert "solved more than 14 days ago and can no longer be reopened" in response.content.decode()
        case.refresh_from_db()
        assert case.status == Status.SOLVED
        # and writing does not reopen it by the back door
        assert portal.post(reverse("portal:message", args=[case.reference]), {"body": "Hi"}).status_code == 422
        case.refresh_from_db()
        assert case.status == Status.SOLVED

    def test_a_message_on_a_recently_solved_case_reopens_it(self, portal, case):
        set_status(case, Status.SOLVED)
        portal.post(reverse("portal:message", args=[case.reference]), {"body": "It broke again"})
        case.refresh_from_db()
        assert case.status == Status.OPEN

    def test_reopening_an_open_case_is_refused(self, portal, case):
        response = portal.post(reverse("portal:reopen", args=[case.reference]))
        assert response.status_code == 422
        assert "Only a solved case can be reopened." in response.content.decode()


def test_an_image_in_a_reply_shows_from_the_portals_own_file_address(portal, customer, team, agent):
    from lofte.cases.models import Attachment
    from lofte.cases.services import AttachmentInput, case_reply
    from lofte.core.tests.samples import png

    case = cases.case_create(customer=customer, subject="Login", body="It fails", channel="email", team=team)
    case_reply(
        case=case,
        author=agent,
        body="Press **here**: ![the button](cid:knapp.png)",
        attachments=[AttachmentInput(filename="knapp.png", content_type="image/png", content=png())],
    )
    image = Attachment.objects.get(filename="knapp.png")
    page = portal.get(reverse("portal:case", args=[case.reference])).content.decode()
    src = reverse("portal:attachment", args=[case.reference, image.pk])
    assert f'<p>Press <strong>here</strong>: <img src="{src}" alt="the button"></p>' in page
    assert "cid:" not in page
    response = portal.get(src)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
