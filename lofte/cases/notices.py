"""The notices Lofte sends customers by itself, and the texts admins write for them.

A notice is one of NoticeKind: the honest message after a broken promise, with one new time (lofte.cases.breaches),
the answer to a status question (lofte.triage), the surveys after solving (lofte.surveys), and the callback
messages (lofte.callbacks.services): the booked time, the next try after a missed call, and giving up (a wrong
number, or no answer after every try). Each has
placeholders of its own (NOTICES) and a built-in text, translated into every language Lofte speaks. An admin may
write their own text for a notice in a language (a NoticeTemplate); the senders use it for a customer in that
language, and the built-in text otherwise. There is one text for every case type: whether a case type sends the
breach notice, and how far off its new time is, are the case type's settings.

The built-in texts are the catalogue's %-format sentences, shown and filled as templates ({when}, never %(when)s),
so a customer with no admin text gets exactly the sentence they got before the texts could be changed. Texts are
filled by lofte.core.placeholders: only the notice's own placeholders, nothing of Python's format language, so a
text cannot reach into the values (`{when.__class__}`) or grow without bound (`{when:>99999}`). A text that reached
the database some other way and does not pass is logged and the built-in text is sent instead.

How long a notice that may go by SMS is, is counted above this app (lofte.teams.services), where the SMS channel is.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _

from lofte.cases.models import NoticeKind, NoticeTemplate
from lofte.core import placeholders
from lofte.core.errors import NotFound, ValidationFailed
from lofte.customers.identities import format_phone

logger = logging.getLogger(__name__)

MAX_LENGTH = 2000  # characters of an admin's text: an email notice is a few sentences, an SMS one far fewer
# a name that is longer than most, so that the SMS count of the preview does not flatter a text
SAMPLE_NAME = "Karin Lindqvist-Johansson"
SAMPLE_PHONE = "+46701234567"
SAMPLE_LINK = settings.LOFTE_BASE_URL.rstrip("/") + "/survey/eyJjIjoxMjM0NSwibiI6ImFiY2RlZmdoaWprbG1ub3AifQ:" + "x" * 43


def _breach() -> str:
    return _(
        "We have not managed to answer by the time we promised, and we are sorry. You will hear from us by %(when)s."
    )


def _callback_confirmation() -> str:
    return _("We will call you on %(day)s between %(start)s and %(end)s from %(number)s.")


def _callback_retry() -> str:
    return _(
        "We tried to call you at %(tried)s but could not reach you. "
        "We will try again on %(day)s between %(start)s and %(end)s from %(number)s."
    )


def _callback_wrong_number() -> str:
    return _(
        "We tried to call you at %(tried)s, but the number %(phone)s did not reach you. "
        "We are sorry. Your case %(reference)s stays open: reply to this message or request a new call."
    )


def _callback_gave_up() -> str:
    return _(
        "We tried to call you %(count)d times, the last time at %(tried)s, but could not reach you. "
        "We are sorry. Your case %(reference)s stays open: reply to this message or request a new call."
    )


def _status_answer() -> str:
    return _(
        "You asked how your case %(reference)s is going. We have promised you this: %(promise)s "
        "That still stands: you will hear from us by %(when)s at the latest."
    )


def _survey_csat() -> str:
    return _(
        "Hello,\n\nYour case %(reference)s is solved. How did we do?\n\nGood: %(good)s\nNot good: %(not_good)s\n\n"
        "One click is enough; you can tell us more if you like. The link works until %(until)s."
    )


def _survey_csat_sms() -> str:
    return _("Case %(reference)s is solved. Did we help you? Good: %(good)s Not good: %(not_good)s")


def _survey_ces() -> str:
    return _(
        "Hello,\n\nYour case %(reference)s is solved. How easy was it to get help from us, from 1 (very hard) to 7 "
        "(very easy)?\n\n%(link)s\n\nThe link works until %(until)s."
    )


def _survey_nps() -> str:
    return _(
        "Hello,\n\nYou were recently in touch with us (case %(reference)s). How likely are you to recommend us to a "
        "friend or colleague, from 0 (not at all likely) to 10 (extremely likely)? And why?\n\n%(link)s\n\nThe "
        "link works until %(until)s."
    )


@dataclass(frozen=True)
class Notice:
    kind: str
    placeholders: tuple[str, ...]
    by_sms: bool  # may be sent as an SMS (then its length counts); False: by email only
    builtin: Callable[[], str]  # the catalogue's sentence, %-format, in the active language


NOTICES: dict[str, Notice] = {
    n.kind: n
    for n in (
        Notice(NoticeKind.BREACH, ("reference", "customer_name", "when"), True, _breach),
        Notice(
            NoticeKind.CALLBACK_CONFIRMATION,
            ("day", "start", "end", "number", "reference", "customer_name"),
            True,
            _callback_confirmation,
        ),
        Notice(
            NoticeKind.CALLBACK_RETRY,
            ("tried", "day", "start", "end", "number", "reference", "customer_name"),
            True,
            _callback_retry,
        ),
        # an SMS to a wrong number reaches someone else: this one goes by email only (lofte.callbacks.services)
        Notice(
            NoticeKind.CALLBACK_WRONG_NUMBER,
            ("tried", "phone", "reference", "customer_name"),
            False,
            _callback_wrong_number,
        ),
        Notice(NoticeKind.CALLBACK_GAVE_UP, ("count", "tried", "reference", "customer_name"), True, _callback_gave_up),
        # the answer to a customer who only asks how their case is going (lofte.triage): the open promise
        Notice(NoticeKind.STATUS_ANSWER, ("reference", "customer_name", "promise", "when"), True, _status_answer),
        # the surveys after solving (lofte.surveys): each link answers with one click
        Notice(
            NoticeKind.SURVEY_CSAT, ("reference", "customer_name", "good", "not_good", "until"), False, _survey_csat
        ),
        Notice(NoticeKind.SURVEY_CSAT_SMS, ("reference", "customer_name", "good", "not_good"), True, _survey_csat_sms),
        Notice(NoticeKind.SURVEY_CES, ("reference", "customer_name", "link", "until"), True, _survey_ces),
        Notice(NoticeKind.SURVEY_NPS, ("reference", "customer_name", "link", "until"), True, _survey_nps),
    )
}
LANGUAGES: tuple[str, ...] = tuple(code for code, _name in settings.LANGUAGES)

_PERCENT = re.compile(r"%\((\w+)\)[sd]|%%")


def notice_get(kind: str) -> Notice:
    """The notice of that kind, or 404 (a kind in a URL)."""
    notice = NOTICES.get(kind)
    if notice is None:
        raise NotFound(_("There is no such notice."))
    return notice


def language_check(language: str) -> str:
    """The language, or 404 when Lofte does not speak it (a language in a URL)."""
    if language not in LANGUAGES:
        raise NotFound(_("Lofte does not speak that language."))
    return language


def as_template(sentence: str) -> str:
    """A %-format sentence as a template: literal braces doubled, %(name)s and %(name)d as {name}, %% as %."""
    escaped = sentence.replace("{", "{{").replace("}", "}}")
    return _PERCENT.sub(lambda m: "{" + m.group(1) + "}" if m.group(1) else "%", escaped)


def default_text(kind: str, language: str) -> str:
    """The built-in text of the notice in the language, as a template."""
    with translation.override(language):
        return as_template(NOTICES[kind].builtin())


def check(kind: str, body: str) -> list[str]:
    """What is wrong with a text for the notice, one sentence each (empty when it is fine): a placeholder the notice
    does not offer, anything but a bare name in braces, an unmatched brace, a text too long."""
    found = placeholders.problems(body, NOTICES[kind].placeholders)
    if len(body) > MAX_LENGTH:
        found.append(
            _("The text is %(length)d characters long; at most %(max)d are allowed.")
            % {"length": len(body), "max": MAX_LENGTH}
        )
    return found


def _template(kind: str, language: str) -> str | None:
    return NoticeTemplate.objects.filter(kind=kind, language=language).values_list("body", flat=True).first()


def overrides() -> dict[tuple[str, str], NoticeTemplate]:
    """Every admin text, by (kind, language), with who changed it last: one query."""
    return {(t.kind, t.language): t for t in NoticeTemplate.objects.select_related("updated_by")}


@dataclass(frozen=True)
class NoticeItem:
    """One notice in one language, as the settings page and the API show it."""

    kind: str
    label: str
    language: str
    language_name: str
    placeholders: tuple[str, ...]
    by_sms: bool
    default: str
    template: NoticeTemplate | None

    @property
    def override(self) -> str | None:
        return self.template.body if self.template is not None else None

    @property
    def updated_at(self) -> datetime | None:
        return self.template.updated_at if self.template is not None else None

    @property
    def updated_by(self) -> str:
        who = self.template.updated_by if self.template is not None else None
        return who.display_name if who is not None else ""  # type: ignore[attr-defined]


def notice_item(
    kind: str, language: str, template: NoticeTemplate | None, *, defaults: dict[tuple[str, str], str] | None = None
) -> NoticeItem:
    notice = NOTICES[kind]
    default = defaults[(kind, language)] if defaults is not None else default_text(kind, language)
    return NoticeItem(
        kind=kind,
        label=str(NoticeKind(kind).label),
        language=language,
        language_name=str(dict(settings.LANGUAGES)[language]),
        placeholders=notice.placeholders,
        by_sms=notice.by_sms,
        default=default,
        template=template,
    )


def notice_items() -> list[NoticeItem]:
    """Every notice in every language, with the built-in text and the admins' text when there is one: one query."""
    saved = overrides()
    defaults = {(kind, language): default_text(kind, language) for kind in NOTICES for language in LANGUAGES}
    return [
        notice_item(kind, language, saved.get((kind, language)), defaults=defaults)
        for kind in NOTICES
        for language in LANGUAGES
    ]


def notice_template_get(kind: str, language: str) -> NoticeTemplate | None:
    """The admins' text for the notice in the language, with who changed it last (None: the built-in text)."""
    return NoticeTemplate.objects.select_related("updated_by").filter(kind=kind, language=language).first()


def notice_text(*, kind: str, language: str, values: Mapping[str, object]) -> str:
    """The notice for a customer in `language`: the admins' text for it when there is one, else the built-in text,
    filled with `values` (one for each of the notice's placeholders, already written in that language)."""
    notice = NOTICES[kind]
    filled = {name: str(values[name]) for name in notice.placeholders}
    body = _template(kind, language)
    if body is not None:
        try:
            return placeholders.fill(body, filled)
        except (ValidationFailed, KeyError, IndexError, ValueError):
            logger.warning("The %s notice text in %s is broken; the built-in text is sent", kind, language)
    return placeholders.fill(default_text(kind, language), filled)


def sample_values(kind: str, language: str, now: datetime) -> dict[str, str]:
    """Values like a real customer's, in the language, for the preview."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = (now + timedelta(days=1)).astimezone(zone).replace(hour=10, minute=30, second=0, microsecond=0)
    tried = now.astimezone(zone).replace(hour=9, minute=45, second=0, microsecond=0)
    with translation.override(language):
        values = {
            "reference": f"{settings.LOFTE_REFERENCE_PREFIX}-{now.year}-000123",
            "customer_name": SAMPLE_NAME,
            "when": str(formats.date_format(start.replace(hour=14, minute=0), "l j F H:i")),
            "day": str(formats.date_format(start, "l j F")),
            "start": start.strftime("%H:%M"),
            "end": (start + timedelta(minutes=15)).strftime("%H:%M"),
            "number": settings.LOFTE_CALLBACK_FROM_NUMBER,
            "tried": tried.strftime("%H:%M"),
            "phone": format_phone(SAMPLE_PHONE),
            "count": str(settings.LOFTE_CALLBACK_MAX_ATTEMPTS),
            "promise": _("I will get back to you by %(when)s.")
            % {"when": str(formats.date_format(start.replace(hour=14, minute=0), "l j F H:i"))},
            # a survey link as long as a real one (lofte.surveys: a signed id and nonce)
            "link": f"{SAMPLE_LINK}",
            "good": f"{SAMPLE_LINK}?score=1",
            "not_good": f"{SAMPLE_LINK}?score=0",
            "until": str(formats.date_format((start + timedelta(days=14)).replace(hour=14, minute=0), "l j F H:i")),
        }
    return {name: values[name] for name in NOTICES[kind].placeholders}


def preview(*, kind: str, body: str, language: str, now: datetime) -> str:
    """The text (the built-in one when empty) filled with sample values; ValidationFailed naming what is wrong."""
    body = body or default_text(kind, language)
    if found := check(kind, body):
        raise ValidationFailed(" ".join(found), field="body")
    return placeholders.fill(body, sample_values(kind, language, now))
