"""Notices and the admins' texts for them (lofte.cases.notices): the senders use the text for the customer's language,
else the built-in one, exactly as before there were texts; a text with a placeholder the notice does not offer, or
anything of Python's format language, is refused, and one that reached the database anyway is never filled.

The breach clock is that of lofte/promises/tests/test_breach_notices.py: Monday 16 November 2026, 09:00 in Stockholm;
the office is open Monday to Friday 08:00-17:00; a first response is due in 2 business hours; a breach notice
promises an answer within 4. The callback clock is lofte/callbacks/tests/conftest.py's: Monday 23 November 2026,
10:00 in Stockholm, 2 callbacks per 15-minute slot."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.utils import translation

from lofte.callbacks import services as callbacks
from lofte.callbacks.models import CallbackCapacity, Outcome
from lofte.cases import notices
from lofte.cases.breaches import case_breach_notices
from lofte.cases.models import Case, Message, NoticeKind, NoticeTemplate
from lofte.cases.tests.factories import CaseTypeFactory, make_case
from lofte.core import clock, placeholders
from lofte.core.errors import NotFound, ValidationFailed
from lofte.customers.services import customer_create
from lofte.outbox.models import OutboxMessage
from lofte.promises import calendars
from lofte.promises import services as promises
from lofte.promises.calendars import calendar_create
from lofte.promises.models import BusinessCalendar, Promise, PromiseKind, PromiseState
from lofte.promises.policies import policy_create
from lofte.promises.tasks import promise_tick

pytestmark = pytest.mark.django_db

MONDAY_9 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
CALLBACK_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 23 November 2026, 10:00 in Stockholm
SORRY_SV = "Vi har inte lyckats svara inom den tid vi lovade, och det beklagar vi. Du hör av oss senast "
FI_BREACH = "Anteeksi, {customer_name}! Asiasi {reference}: vastaamme viimeistään {when}."
EMAIL_ONLY = {"email": "lofte.channels.email.transport.EmailTransport"}
WITH_SMS = {**EMAIL_ONLY, "sms": "lofte.outbox.tests.transports.ScriptedTransport"}


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in November 2026 given in Stockholm (UTC+1)."""
    return datetime(2026, 11, day, hour - 1, minute, tzinfo=UTC)


def override(kind: str, language: str, body: str) -> NoticeTemplate:
    return NoticeTemplate.objects.create(kind=kind, language=language, body=body)


def sent(case: Case) -> list[str]:
    return list(Message.objects.filter(case=case, direction="out").order_by("id").values_list("body_text", flat=True))


# --- the built-in texts -------------------------------------------------------------------------------------------


def _old_values(kind: str) -> dict[str, object]:
    """The values each sender filled the catalogue's sentence with before ({count} was an int: %(count)d)."""
    return {
        "when": "måndag 16 november 16:00",
        "day": "tisdag 24 november",
        "start": "14:00",
        "end": "14:15",
        "number": "08-123 456 78",
        "tried": "10:35",
        "phone": "+46 70 123 45 67",
        "reference": "LF-2026-000042",
        "customer_name": "Karin {when} Kund",  # a value with braces is a value, never read as a placeholder
        "count": 3,
        "promise": "Vi återkommer senast på torsdag.",
        "link": "https://help.example.com/survey/abc:def",
        "good": "https://help.example.com/survey/abc:def?score=1",
        "not_good": "https://help.example.com/survey/abc:def?score=0",
        "until": "måndag 30 november 09:00",
    }


@pytest.mark.parametrize("language", ["en", "sv", "da", "nb", "fi"])
@pytest.mark.parametrize("kind", list(notices.NOTICES))
def test_the_built_in_text_filled_is_the_catalogues_sentence_as_it_was_sent_before(kind, language):
    values = _old_values(kind)
    with translation.override(language):
        before = notices.NOTICES[kind].builtin() % values
    assert notices.notice_text(kind=kind, language=language, values=values) == before
    template = notices.default_text(kind, language)
    assert "%(" not in template and notices.check(kind, template) == []
    assert placeholders.names(template) <= set(notices.NOTICES[kind].placeholders)


def test_the_built_in_texts_are_templates_with_the_notices_placeholders():
    assert notices.default_text(NoticeKind.BREACH, "en") == (
        "We have not managed to answer by the time we promised, and we are sorry. You will hear from us by {when}."
    )
    assert notices.default_text(NoticeKind.BREACH, "sv") == SORRY_SV + "{when}."
    assert notices.default_text(NoticeKind.CALLBACK_GAVE_UP, "en").startswith("We tried to call you {count} times")
    assert notices.as_template("100%% {sure} %(when)s") == "100% {{sure}} {when}"


def test_the_notices_are_the_kinds_and_each_offers_what_its_sender_fills():
    assert set(notices.NOTICES) == set(NoticeKind.values)
    assert notices.NOTICES[NoticeKind.BREACH].placeholders == ("reference", "customer_name", "when")
    assert notices.NOTICES[NoticeKind.CALLBACK_GAVE_UP].placeholders == ("count", "tried", "reference", "customer_name")
    # by email only: a wrong number reaches someone else; the survey's email text (its SMS text is its own)
    assert [k for k, n in notices.NOTICES.items() if not n.by_sms] == [
        NoticeKind.CALLBACK_WRONG_NUMBER,
        NoticeKind.SURVEY_CSAT,
    ]
    with pytest.raises(NotFound):
        notices.notice_get("portal_link")
    with pytest.raises(NotFound):
        notices.language_check("de")


# --- what a text may say --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "body", "problem"),
    [
        (NoticeKind.BREACH, "Hej {name}", "{name} is not a placeholder; use {reference}, {customer_name}, {when}."),
        (
            NoticeKind.BREACH,
            "Ring {number}",
            "{number} is not a placeholder; use {reference}, {customer_name}, {when}.",
        ),
        (NoticeKind.CALLBACK_CONFIRMATION, "{when}", "{when} is not a placeholder; use {day}, {start}, {end}"),
        (NoticeKind.CALLBACK_WRONG_NUMBER, "{count}", "{count} is not a placeholder; use {tried}, {phone}"),
        (NoticeKind.BREACH, "Senast {when.__class__}", "{when.__class__} is not a placeholder"),
        (NoticeKind.BREACH, "Senast {when[0]}", "{when[0]} is not a placeholder"),
        (
            NoticeKind.BREACH,
            "Senast {when:>99999}",
            "Write {when} alone, with nothing after the name inside the braces.",
        ),
        (NoticeKind.BREACH, "Senast {when!r}", "Write {when} alone, with nothing after the name inside the braces."),
        (NoticeKind.BREACH, "Senast {0}", "{0} is not a placeholder"),
        (NoticeKind.BREACH, "Senast {}", "{} is not a placeholder"),
        (NoticeKind.BREACH, "Senast {when", "The text has an unmatched brace"),
        (NoticeKind.BREACH, "x" * 2001, "The text is 2001 characters long; at most 2000 are allowed."),
    ],
)
def test_a_text_with_a_placeholder_the_notice_does_not_offer_or_a_format_spec_is_refused(kind, body, problem):
    found = notices.check(kind, body)
    assert len(found) == 1 and found[0].startswith(problem)
    with pytest.raises(ValidationFailed) as exc:
        notices.preview(kind=kind, body=body, language="sv", now=MONDAY_9)
    assert exc.value.message.startswith(problem) and exc.value.field == "body"


def test_literal_braces_and_every_offered_placeholder_pass():
    assert notices.check(NoticeKind.BREACH, "{{Lofte}} {reference} {customer_name} {when}") == []
    text = notices.preview(kind=NoticeKind.BREACH, body="{{Lofte}} {reference}: {when}", language="sv", now=MONDAY_9)
    assert text == "{Lofte} LF-2026-000123: tisdag 17 november 14:00"


def test_a_broken_text_that_reached_the_database_is_never_filled_and_the_built_in_one_is_sent(caplog):
    override(NoticeKind.BREACH, "sv", "Senast {when.__class__.__mro__}")
    values = {"reference": "LF-1", "customer_name": "Karin", "when": "måndag 16 november 16:00"}
    with caplog.at_level(logging.WARNING, logger="lofte.cases.notices"):
        text = notices.notice_text(kind=NoticeKind.BREACH, language="sv", values=values)
    assert text == SORRY_SV + "måndag 16 november 16:00."
    assert "The breach notice text in sv is broken; the built-in text is sent" in caplog.text


def test_the_text_for_the_language_is_used_and_no_other():
    override(NoticeKind.BREACH, "fi", FI_BREACH)
    override(NoticeKind.BREACH, "en", "Sorry, {customer_name}: by {when}.")
    values = {"reference": "LF-1", "customer_name": "Aino {reference}", "when": "maanantaina 16:00"}
    assert notices.notice_text(kind=NoticeKind.BREACH, language="fi", values=values) == (
        "Anteeksi, Aino {reference}! Asiasi LF-1: vastaamme viimeistään maanantaina 16:00."
    )
    # Swedish has no text of the admins': the built-in Swedish one, never the English or Finnish one
    assert notices.notice_text(kind=NoticeKind.BREACH, language="sv", values=values) == SORRY_SV + "maanantaina 16:00."


def test_the_list_reads_every_text_in_one_query(django_assert_num_queries):
    override(NoticeKind.BREACH, "fi", FI_BREACH)
    with django_assert_num_queries(1):
        items = notices.notice_items()
    assert len(items) == len(notices.NOTICES) * len(settings.LANGUAGES) == 50
    custom = [(i.kind, i.language, i.override) for i in items if i.override is not None]
    assert custom == [(NoticeKind.BREACH, "fi", FI_BREACH)]
    first = items[0]
    assert (first.kind, first.language, first.label, first.by_sms) == (
        "breach",
        "en",
        "Broken promise: a new time",
        True,
    )
    assert first.default.endswith("You will hear from us by {when}.")


# --- the breach notice, sent by the tick ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_schedule_cache():  # type: ignore[no-untyped-def]
    calendars.schedule_cache_clear()
    yield
    calendars.schedule_cache_clear()


@pytest.fixture
def office(db) -> BusinessCalendar:  # type: ignore[no-untyped-def]
    return calendar_create(name="Kontor", time_zone="Europe/Stockholm", country="SE")


@pytest.fixture
def policy(office):  # type: ignore[no-untyped-def]
    return policy_create(name="Standard", first_response_minutes=120, first_response_calendar=office)


@pytest.fixture
def invoices(db):  # type: ignore[no-untyped-def]
    return CaseTypeFactory(name="Faktura", breach_notice=True, breach_notice_hours=4)


def test_a_broken_promise_tells_a_finnish_customer_the_finnish_text_and_a_swedish_one_the_built_in_swedish(
    policy, invoices, team
):
    # given: the admins wrote the breach notice in Finnish and English, not in Swedish
    override(NoticeKind.BREACH, "fi", FI_BREACH)
    override(NoticeKind.BREACH, "en", "Sorry, {customer_name}: by {when}.")
    aino = customer_create(name="Aino Asiakas", email="aino@example.fi", language="fi", time_zone="Europe/Helsinki")
    karin = customer_create(name="Karin Kund", email="karin@example.se", language="sv", time_zone="Europe/Stockholm")
    with clock.at(MONDAY_9):
        finnish = make_case(customer=aino, team=team, case_type=invoices)
        swedish = make_case(customer=karin, team=team, case_type=invoices)

    # when: the tick at 12:00 finds both first responses broken
    with clock.at(local(16, 12)):
        assert promise_tick.call()["notices"] == 2

    # then: the Finnish customer gets the admins' Finnish text, in her time zone (16:00 in Stockholm is 17:00)
    assert sent(finnish) == [
        f"Anteeksi, Aino Asiakas! Asiasi {finnish.reference}: vastaamme viimeistään maanantai 16 marraskuu 17:00."
    ]
    row = OutboxMessage.objects.get(case_message__case=finnish)
    assert (row.channel, row.to, row.payload["text"]) == ("email", "aino@example.fi", sent(finnish)[0])
    renewed = Promise.objects.get(case=finnish, state=PromiseState.PENDING, renewal_of__isnull=False)
    assert renewed.customer_text == sent(finnish)[0]
    # and the Swedish one, with no Swedish text of the admins', the built-in Swedish text, as before
    assert sent(swedish) == [SORRY_SV + "måndag 16 november 16:00."]


def test_case_breach_notices_sends_the_admins_text_by_sms_to_a_customer_who_wrote_by_sms(
    policy, invoices, team, settings
):
    settings.LOFTE_TRANSPORTS = WITH_SMS
    override(NoticeKind.BREACH, "sv", "Förlåt {customer_name}! {reference}: svar senast {when}.")
    karin = customer_create(name="Karin", phone="+46701234567", language="sv")
    with clock.at(MONDAY_9):
        case = make_case(customer=karin, team=team, case_type=invoices, channel="sms")
    promise = Promise.objects.get(case=case, kind=PromiseKind.FIRST_RESPONSE)
    with clock.at(local(16, 12)):
        promises.promise_break(promise=promise, now=local(16, 12))
        assert case_breach_notices(promise_ids=[promise.pk], now=local(16, 12)) == 1
    row = OutboxMessage.objects.get(case_message__case=case)
    assert (row.channel, row.to) == ("sms", "+46701234567")
    assert row.payload["text"] == f"Förlåt Karin! {case.reference}: svar senast måndag 16 november 16:00."


# --- the callback texts, sent by the callback services ------------------------------------------------------------


@pytest.fixture
def capacity(team):  # type: ignore[no-untyped-def]
    hours = calendar_create(name="Support hours", time_zone="Europe/Stockholm")
    return CallbackCapacity.objects.create(team=team, per_slot=2, slot_minutes=15, calendar=hours)


@pytest.fixture
def callback_clock():  # type: ignore[no-untyped-def]
    with clock.at(CALLBACK_NOW) as moment:
        yield moment


def at(hour: int, minute: int = 0, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour - 1, minute, tzinfo=UTC)


def test_a_callback_booking_confirms_by_sms_with_the_finnish_text(capacity, callback_clock, settings):
    settings.LOFTE_TRANSPORTS = WITH_SMS
    settings.LOFTE_CALLBACK_FROM_NUMBER = "08-123 456 78"
    override(NoticeKind.CALLBACK_CONFIRMATION, "fi", "Soitamme {day} klo {start}-{end} numerosta {number}. {reference}")
    override(NoticeKind.CALLBACK_CONFIRMATION, "sv", "Vi ringer {day} {start}.")
    callbacks.callback_book(team=capacity.team, slot_start=at(14, 0), phone="+358 40 1234567", language="fi")
    case = Case.objects.get()
    row = OutboxMessage.objects.get()
    expected = f"Soitamme maanantai 23 marraskuu klo 14:00-14:15 numerosta 08-123 456 78. {case.reference}"
    assert (row.channel, row.to, row.payload["text"]) == ("sms", "+358401234567", expected)
    assert Promise.objects.get(kind=PromiseKind.CALLBACK).customer_text == expected


def test_a_callback_booking_confirms_by_email_with_the_built_in_swedish_text_when_only_finnish_is_written(
    capacity, callback_clock, customer, settings
):
    settings.LOFTE_TRANSPORTS = EMAIL_ONLY
    settings.LOFTE_CALLBACK_FROM_NUMBER = "08-123 456 78"
    override(NoticeKind.CALLBACK_CONFIRMATION, "fi", "Soitamme {day}.")
    callbacks.callback_book(team=capacity.team, slot_start=at(14, 0, day=24), phone="+46 70 123 45 67")
    row = OutboxMessage.objects.get()
    assert (row.channel, row.to) == ("email", "karin@example.se")
    assert row.payload["text"] == "Vi ringer dig tisdag 24 november mellan kl. 14:00 och 14:15 från 08-123 456 78."


def test_a_missed_call_and_giving_up_use_the_admins_texts(capacity, callback_clock, agent, settings):
    settings.LOFTE_TRANSPORTS = WITH_SMS
    settings.LOFTE_CALLBACK_FROM_NUMBER = "08-123 456 78"
    settings.LOFTE_CALLBACK_MAX_ATTEMPTS = 2
    override(NoticeKind.CALLBACK_RETRY, "en", "Missed you at {tried}. Next: {day} {start}-{end}, from {number}.")
    override(NoticeKind.CALLBACK_GAVE_UP, "en", "{count} tries, last at {tried}. {reference} is open, {customer_name}.")
    callback = callbacks.callback_book(
        team=capacity.team, slot_start=at(10, 30), phone="0701234567", name="Per", language="en"
    )
    with clock.at(at(10, 35)):
        callbacks.callback_attempt_log(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER)
    retry = OutboxMessage.objects.order_by("id")[1]
    assert (retry.channel, retry.payload["text"]) == (
        "sms",
        "Missed you at 10:35. Next: Monday 23 November 10:50-11:05, from 08-123 456 78.",
    )
    with clock.at(at(11, 10)):
        callbacks.callback_attempt_log(callback=callback, agent=agent, outcome=Outcome.NO_ANSWER)
    gave_up = OutboxMessage.objects.order_by("id")[2]
    reference = callback.case.reference
    assert (gave_up.channel, gave_up.payload["text"]) == ("sms", f"2 tries, last at 11:10. {reference} is open, Per.")


def test_a_wrong_number_goes_by_email_with_the_admins_text(capacity, callback_clock, agent, customer, settings):
    settings.LOFTE_TRANSPORTS = WITH_SMS
    customer.language = "en"
    customer.save(update_fields=["language"])
    override(NoticeKind.CALLBACK_WRONG_NUMBER, "en", "{phone} was wrong ({tried}). {reference} stays open.")
    callback = callbacks.callback_book(team=capacity.team, slot_start=at(10, 30), phone="+46 70 123 45 67")
    with clock.at(at(10, 35)):
        callbacks.callback_attempt_log(callback=callback, agent=agent, outcome=Outcome.WRONG_NUMBER)
    told = OutboxMessage.objects.order_by("id").last()
    assert told is not None
    assert (told.channel, told.payload["text"]) == (
        "email",
        f"+46 70 123 45 67 was wrong (10:35). {callback.case.reference} stays open.",
    )
