"""Subscribers of the status page, by email or SMS, per component (none chosen: all).

- Sign-up is rate-limited per client and per address and sends one confirmation link (double opt-in): nothing
  else is sent until it is confirmed. A second sign-up of a confirmed address sends nothing and says so; one of
  an address still unconfirmed sends the link again at most once per RESEND.
- Links (confirm, unsubscribe) are signed over (subscriber, nonce) with no time in them: the same subscriber
  always has the same links; a new sign-up after unsubscribing makes a new nonce, voiding the old ones. Opening a
  link records nothing (mail scanners open links): the page's button does, and the unsubscribe link also takes
  the RFC 8058 one-click POST.
- Each public update reaches every confirmed subscriber of its components once: one outbox row per subscriber,
  written with the update (lofte.incidents.services), each message with its unsubscribe link.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from lofte.core import clock
from lofte.core.errors import DomainError, NotFound, ValidationFailed
from lofte.core.ratelimit import client_key, ratelimit_hit
from lofte.customers.identities import normalise_email, normalise_phone
from lofte.incidents.models import Component, Incident, IncidentStatus, IncidentUpdate, Subscriber, SubscriberKind
from lofte.outbox.models import OutboxMessage
from lofte.outbox.services import outbox_enqueue, outbox_enqueue_many

SALT = "lofte.incidents.subscriber"
HOUR = timedelta(hours=1)
RESEND = timedelta(minutes=10)
CONFIRM_DAYS = 7


class TooManySignups(DomainError):
    code = "rate_limited"
    status = 429


def token(subscriber: Subscriber) -> str:
    return signing.Signer(salt=SALT).sign(f"{subscriber.pk}:{subscriber.nonce}")


def from_token(value: str) -> Subscriber:
    """The subscriber a link names; NotFound for a forged link or one a newer sign-up voided."""
    try:
        pk, nonce = signing.Signer(salt=SALT).unsign(value).split(":", 1)
        subscriber = Subscriber.objects.get(pk=int(pk))
    except (signing.BadSignature, ValueError, Subscriber.DoesNotExist):
        raise NotFound(_("This link is not valid.")) from None
    if not secrets.compare_digest(subscriber.nonce, nonce):
        raise NotFound(_("This link is not valid any more."))
    return subscriber


def _url(name: str, subscriber: Subscriber) -> str:
    return settings.LOFTE_BASE_URL.rstrip("/") + reverse(name, kwargs={"token": token(subscriber)})


def confirm_url(subscriber: Subscriber) -> str:
    return _url("incidents:confirm", subscriber)


def unsubscribe_url(subscriber: Subscriber) -> str:
    return _url("incidents:unsubscribe", subscriber)


def _normalise(kind: str, address: str) -> str:
    if kind == SubscriberKind.EMAIL:
        return normalise_email(address, field="address")
    if kind == SubscriberKind.SMS:
        return normalise_phone(address, field="address")
    raise ValidationFailed(
        _("'%(value)s' is not a way to follow the page; use email or sms.") % {"value": str(kind)[:20]}, field="kind"
    )


def _confirmation(subscriber: Subscriber) -> None:
    with translation.override(subscriber.language):
        link = confirm_url(subscriber)
        if subscriber.kind == SubscriberKind.SMS:
            payload = {"text": _("Confirm that you want status updates by SMS: %(link)s") % {"link": link}}
        else:
            text = _(
                "Confirm that you want status updates by email:\n\n%(link)s\n\nIf you did not ask for this, ignore "
                "this message: nothing more will be sent."
            ) % {"link": link}
            payload = {"subject": _("Confirm your status updates"), "text": text}
    outbox_enqueue(channel=subscriber.kind, to=subscriber.address, payload=payload, requested=True)


@transaction.atomic
def subscribe(
    *, kind: str, address: str, language: str, components: Iterable[int] = (), remote_addr: str = ""
) -> tuple[Subscriber, str]:
    """Sign up for status updates. Returns the subscriber and what happened: "sent" (a confirmation link went
    out), "pending" (one went out a moment ago; nothing sent), "already" (already confirmed; nothing sent)."""
    value = _normalise(kind, str(address or "")[:254])
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    wanted = sorted({int(c) for c in components})
    found = list(Component.objects.filter(pk__in=wanted, is_active=True))
    if len(found) != len(wanted):
        raise ValidationFailed(_("Choose among the components shown."), field="components")
    now = clock.now()
    refused = [
        r
        for r in (
            ratelimit_hit(
                f"status:signup:ip:{client_key(remote_addr)}", limit=settings.LOFTE_STATUS_SIGNUPS_PER_IP, window=HOUR
            ),
            ratelimit_hit(f"status:signup:to:{value}", limit=settings.LOFTE_STATUS_SIGNUPS_PER_ADDRESS, window=HOUR),
        )
        if not r.allowed
    ]
    if refused:
        raise TooManySignups(_("Too many sign-ups; please try again later."))
    subscriber = Subscriber.objects.select_for_update().filter(kind=kind, address=value).first()
    if subscriber is not None and subscriber.is_active:
        subscriber.components.set(found)
        return subscriber, "already"
    if subscriber is not None and subscriber.unsubscribed_at is None and now - subscriber.created_at < RESEND:
        return subscriber, "pending"
    if subscriber is None:
        subscriber = Subscriber.objects.create(
            kind=kind, address=value, language=language, nonce=secrets.token_hex(8), created_at=now
        )
    else:  # unconfirmed for a while, or unsubscribed: a new link, the old ones void
        subscriber.nonce, subscriber.created_at, subscriber.language = secrets.token_hex(8), now, language
        subscriber.confirmed_at = subscriber.unsubscribed_at = None
        subscriber.save(update_fields=["nonce", "created_at", "language", "confirmed_at", "unsubscribed_at"])
    subscriber.components.set(found)
    _confirmation(subscriber)
    return subscriber, "sent"


@transaction.atomic
def confirm(*, value: str) -> Subscriber:
    subscriber = from_token(value)
    if subscriber.unsubscribed_at is not None:
        raise ValidationFailed(_("You have unsubscribed; sign up again to get updates."))
    if subscriber.confirmed_at is None:
        if clock.now() - subscriber.created_at > timedelta(days=CONFIRM_DAYS):
            raise ValidationFailed(_("This link has expired; sign up again to get a new one."))
        subscriber.confirmed_at = clock.now()
        subscriber.save(update_fields=["confirmed_at"])
    return subscriber


@transaction.atomic
def unsubscribe(*, value: str) -> Subscriber:
    subscriber = from_token(value)
    if subscriber.unsubscribed_at is None:
        subscriber.unsubscribed_at = clock.now()
        subscriber.save(update_fields=["unsubscribed_at"])
    return subscriber


def _message(subscriber: Subscriber, incident: Incident, update: IncidentUpdate) -> dict[str, object]:
    language = subscriber.language
    with translation.override(language):
        title = incident.public_title(language)
        text = update.text(language)
        stop = unsubscribe_url(subscriber)
        page = settings.LOFTE_BASE_URL.rstrip("/") + "/status/"
        if subscriber.kind == SubscriberKind.SMS:
            return {"text": f"{title}: {text} {page} " + _("Stop: %(link)s") % {"link": stop}}
        status = str(dict(_statuses()).get(update.status, update.status))
        body = f"{title}\n{status}\n\n{text}\n\n{page}\n\n" + _("Unsubscribe with one click: %(link)s") % {"link": stop}
        headers = {"List-Unsubscribe": f"<{stop}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        return {"subject": f"[{status}] {title}", "text": body, "headers": headers}


def _statuses() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in IncidentStatus.choices]


def update_fan_out(*, update: IncidentUpdate) -> int:
    """Queue the public update for every confirmed subscriber of the incident's components (or of all): one
    INSERT, in the update's transaction, so it is sent once or not at all."""
    incident = update.incident
    components = list(incident.affected.values_list("component_id", flat=True))
    subscribers = list(
        Subscriber.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .filter(Q(components__isnull=True) | Q(components__in=components))
        .distinct()
        .order_by("pk")
    )
    rows = [
        OutboxMessage(channel=s.kind, to=s.address, payload={**_message(s, incident, update), "automatic": True})
        for s in subscribers
    ]
    outbox_enqueue_many(rows)
    return len(rows)
