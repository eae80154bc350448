"""Inbound SMS into cases.

The sender is normalised to E.164 first: a number that is not one is refused
with the reason and nothing is stored. The provider's id makes a retried
webhook a duplicate, answered with the original's outcome (a unique
constraint, so two deliveries racing file it once). A whole message that is a
stop word (STOP, STOPP, AVSLUTA ...) opts the number out, a start word opts it
in again; each is confirmed by one SMS and opens no case. Any other message
finds the customer by the number (or makes one) and goes onto their newest
active case, else one solved within LOFTE_SMS_THREAD_SOLVED_DAYS (which opens
again), else a new case on the sms channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from lofte.cases.intake import Contact, intake_receive
from lofte.cases.models import Case, Channel, Message
from lofte.channels.sms.config import sms_config, sms_transport_installed
from lofte.channels.sms.models import InboundSms, InboundSmsOutcome
from lofte.channels.sms.providers.base import InboundSmsData
from lofte.channels.sms.services import sms_opt_in, sms_opt_out
from lofte.channels.sms.transport import OPT_OUT_CONFIRMATION
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.core.inserts import insert
from lofte.customers.identities import language_for_phone, normalise_phone
from lofte.customers.models import CustomerIdentity, IdentityKind, Proof
from lofte.customers.services import Identifier
from lofte.outbox.services import AutomaticLimitReached, outbox_enqueue

logger = logging.getLogger(__name__)

DUPLICATE = "duplicate"


@dataclass(frozen=True)
class ReceiveResult:
    outcome: str  # an InboundSmsOutcome, or "duplicate"
    case: str | None
    inbound_id: int

    def as_dict(self) -> dict[str, object]:
        return {"outcome": self.outcome, "case": self.case, "inbound_id": self.inbound_id}


def keyword(text: str) -> str:
    """The message as a keyword: trimmed, upper case, without trailing punctuation."""
    return " ".join(text.split()).rstrip(".!").strip().upper()


def sms_receive(*, provider: str, data: InboundSmsData) -> ReceiveResult:
    """File one inbound SMS (one transaction); a duplicate by provider id changes nothing."""
    sender = normalise_phone(data.sender, field="from")
    provider_id = data.provider_id.strip()
    if not provider_id:
        raise ValidationFailed(_("The message has no id."), field="id")
    if len(provider_id) > 255:
        raise ValidationFailed(_("The message id is longer than 255 characters."), field="id")
    with transaction.atomic():
        if (original := _original(provider, provider_id)) is not None:
            return original
        try:
            with transaction.atomic():
                row = insert(
                    InboundSms(
                        provider=provider,
                        provider_id=provider_id,
                        sender=sender,
                        recipient=data.recipient[:32],
                        text=data.text,
                        sent_at=data.sent_at,
                        received_at=clock.now(),
                    )
                )
        except IntegrityError:
            # the same message, filed by a concurrent delivery of the webhook that committed first
            if (original := _original(provider, provider_id)) is not None:
                return original
            raise
        word = keyword(data.text)
        case: Case | None = None
        if word in {w.upper() for w in settings.LOFTE_SMS_STOP_WORDS}:
            sms_opt_out(phone=sender, keyword=word)
            row.outcome = InboundSmsOutcome.OPT_OUT
            _confirm(sender, opted_out=True)
        elif word in {w.upper() for w in settings.LOFTE_SMS_START_WORDS}:
            sms_opt_in(phone=sender)
            row.outcome = InboundSmsOutcome.OPT_IN
            _confirm(sender, opted_out=False)
        else:
            message, row.outcome = _file(sender=sender, text=data.text, provider=provider, provider_id=provider_id)
            row.message = message
            row.case = case = message.case
        row.save(update_fields=["outcome", "case", "message"])
    logger.info("Inbound SMS %s from %s: %s", provider_id, sender, row.outcome)
    return ReceiveResult(outcome=row.outcome, case=case.reference if case else None, inbound_id=row.pk)


def _original(provider: str, provider_id: str) -> ReceiveResult | None:
    row = (
        InboundSms.objects.filter(provider=provider, provider_id=provider_id)
        .select_related("case")
        .only("id", "case__reference")
        .first()
    )
    if row is None:
        return None
    return ReceiveResult(outcome=DUPLICATE, case=row.case.reference if row.case else None, inbound_id=row.pk)


def _file(*, sender: str, text: str, provider: str, provider_id: str) -> tuple[Message, str]:
    """Through the one intake: the number is proven (the message came from it); onto the customer's newest
    active case, else one solved within LOFTE_SMS_THREAD_SOLVED_DAYS, else a new case."""
    received = intake_receive(
        contact=Contact(
            channel=Channel.SMS,
            body=text.strip() or str(_("(empty SMS)")),
            identifiers=[Identifier(kind=IdentityKind.PHONE, value=sender, proof=Proof.MESSAGE)],
            language_hint=language_for_phone(sender),
            sender=sender,
            source=f"sms:{provider}",
            external_id=provider_id,
            recent_days=settings.LOFTE_SMS_THREAD_SOLVED_DAYS,
        )
    )
    outcome = InboundSmsOutcome.CREATED if received.outcome == "created" else InboundSmsOutcome.APPENDED
    return received.message, outcome


def _language(phone: str) -> str:
    identity = CustomerIdentity.objects.filter(kind=IdentityKind.PHONE, value=phone).select_related("customer").first()
    known = identity.customer.language if identity else ""
    return known or language_for_phone(phone) or settings.LOFTE_CUSTOMER_LANGUAGE


def _confirm(phone: str, *, opted_out: bool) -> None:
    """One SMS saying what happened, in the customer's language, when SMS can be sent at all."""
    if not sms_transport_installed() or not sms_config().on:
        return
    with translation.override(_language(phone)):
        if opted_out:
            text = _("You will get no more text messages from us. Reply START to get them again.")
        else:
            text = _("You will get text messages from us again. Reply STOP to stop them.")
    payload = {"text": text, "kind": OPT_OUT_CONFIRMATION} if opted_out else {"text": text}
    try:
        with transaction.atomic():
            outbox_enqueue(channel="sms", to=phone, payload=payload, automatic=True)
    except AutomaticLimitReached:
        logger.info(
            "No opt-%s confirmation to %s: the hourly limit of automatic messages", "out" if opted_out else "in", phone
        )
