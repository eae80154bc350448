"""How a reply reaches the customer: which transport, which address, what payload.

A reply goes out on the case's channel when that channel can carry one;
channels without an outbound transport of their own (web form, phone, API,
webhooks) answer by email, the address customers leave there, else by SMS to
their number (a contact that left only a number).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import make_msgid
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _

from lofte.cases import notices
from lofte.cases.models import Case, Channel, Message, NoticeKind
from lofte.core.errors import ValidationFailed
from lofte.core.markdown import images_as_text, markdown_html
from lofte.customers.models import CustomerIdentity, IdentityKind
from lofte.outbox.transports import channel_on

# channel of the case -> transports to try, in order
ROUTES: dict[str, list[str]] = {
    Channel.EMAIL: [Channel.EMAIL],
    Channel.WEB: [Channel.EMAIL, Channel.SMS],
    Channel.API: [Channel.EMAIL, Channel.SMS],
    Channel.WEBHOOK: [Channel.EMAIL, Channel.SMS],
    Channel.PHONE: [Channel.SMS, Channel.EMAIL],
    Channel.SMS: [Channel.SMS, Channel.EMAIL],
    Channel.CHAT: [Channel.CHAT, Channel.EMAIL],
}
IDENTITY_FOR: dict[str, str] = {Channel.EMAIL: IdentityKind.EMAIL, Channel.SMS: IdentityKind.PHONE}


@dataclass(frozen=True)
class Route:
    channel: str
    to: str


def reply_route(*, case: Case, identities: list[CustomerIdentity]) -> Route:
    """The transport and address for a reply on this case, or a clear error when there is none."""
    for channel in ROUTES.get(case.channel, [Channel.EMAIL]):
        if not channel_on(channel):
            continue
        kind = IDENTITY_FOR.get(channel)
        candidates = [i for i in identities if i.kind == kind]
        candidates.sort(key=lambda i: (not i.is_primary, i.id))
        if candidates:
            return Route(channel=channel, to=candidates[0].value)
        if case.reply_to and _kind_of(case.reply_to) == kind:
            return Route(channel=channel, to=case.reply_to)
    raise ValidationFailed(
        _("The customer has no address this reply can be sent to; add an email address to the customer first."),
        field="body",
    )


def _kind_of(address: str) -> str:
    return IdentityKind.EMAIL if "@" in address else IdentityKind.PHONE if address.startswith("+") else ""


def reply_subject(case: Case) -> str:
    subject = case.subject
    if not subject.lower().startswith(("re:", "sv:", "vs:", "aw:")):
        subject = f"Re: {subject}"
    return f"{subject} [{case.reference}]"


def new_message_id() -> str:
    return make_msgid(domain=settings.LOFTE_MESSAGE_ID_DOMAIN)


def email_payload(
    *, case: Case, text: str, thread: list[Message], images: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Subject with the case reference, threading headers from the messages before it; `images` maps the names
    of the files the text shows as images to their parts' `cid:` (lofte.cases.inline_images)."""
    # only Message-IDs of email ("<...>"): other channels' ids (SMS, webhooks) are no email headers
    emails = [m for m in thread if m.external_id.startswith("<") and m.external_id.endswith(">")]
    ids = [m.external_id for m in emails][-10:]
    headers: dict[str, str] = {}
    inbound = [m.external_id for m in emails if m.direction == "in"]
    if inbound:
        headers["In-Reply-To"] = inbound[-1]
    if ids:
        headers["References"] = " ".join(ids)
    from_email = (
        case.inbox_address or (case.team.email if case.team and case.team.email else "") or settings.DEFAULT_FROM_EMAIL
    )
    return {
        "subject": reply_subject(case),
        "text": images_as_text(text) if images else text,
        "html": markdown_html(text, images=images),
        "from": from_email,
        "headers": headers,
    }


def customer_zone(case: Case) -> ZoneInfo:
    """The customer's time zone; a stored name that is no zone (old rows) reads as the site's."""
    try:
        return ZoneInfo(case.customer.time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def customer_zone_is_valid(case: Case) -> bool:
    """False when the customer's stored time zone is not one (times are then told in the site's)."""
    try:
        ZoneInfo(case.customer.time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _local_when(case: Case, when: datetime) -> str:
    return str(formats.date_format(when.astimezone(customer_zone(case)), "l j F H:i"))


def customer_language(case: Case) -> str:
    """The case's language, else the customer's, when Lofte has it; else the site's."""
    known = dict(settings.LANGUAGES)
    for language in (case.language, case.customer.language):
        if language and language in known:
            return language
    return settings.LANGUAGE_CODE


def _case_notice(case: Case, kind: str, *, when: datetime, **more: str) -> str:
    """A notice about `case` with a time in it, in the customer's language and time zone: the admins' text for
    that language, else the built-in one (lofte.cases.notices)."""
    language = customer_language(case)
    with translation.override(language):
        values = {
            "reference": case.reference,
            "customer_name": case.customer.name or _("customer"),
            "when": _local_when(case, when),
            **more,
        }
    return notices.notice_text(kind=kind, language=language, values=values)


def breach_notice_text(*, case: Case, when: datetime) -> str:
    """The honest message after a broken promise, with the new time."""
    return _case_notice(case, NoticeKind.BREACH, when=when)


def status_answer_text(*, case: Case, promise_text: str, when: datetime) -> str:
    """The answer to a customer who asks how their case is going: what they were promised and by when."""
    return _case_notice(case, NoticeKind.STATUS_ANSWER, when=when, promise=" ".join(promise_text.split()))


def customer_time_text(*, case: Case, when: datetime) -> str:
    """ "Thursday 26 November 14:00": a time as the customer reads it, in their language and time zone."""
    with translation.override(customer_language(case)):
        return _local_when(case, when)


def follow_up_sentence(*, case: Case, when: datetime) -> str:
    """ "I will get back to you by Thursday 26 November at 14:00." in the customer's language and time zone."""
    with translation.override(customer_language(case)):
        return _("I will get back to you by %(when)s.") % {"when": _local_when(case, when)}
