"""One intake: every inbound contact becomes a customer and a message on a case here, by one rule.

The API, the contact form, the portal, email, SMS, logged calls, callback requests and signed webhooks (chat
later) describe what arrived as a `Contact` and call `intake_receive`; none of them matches customers,
threads or deduplicates on its own. In one transaction:

1. **Dedupe**: a contact whose `external_id` was already filed from the same `source` is that message again.
   External ids are scoped to their source (`api:<id>`, `webhook:<source>:<id>`, `sms:<provider>:<id>`; an
   email's Message-ID is kept as it is), so an API client cannot claim a Message-ID that an email will bring.
2. **Customer**: by the identity rule of `lofte.customers.services.customer_for_contact`: proven addresses
   find and join, claimed ones find but never join; what did not join becomes a suggestion for an agent.
3. **Thread**: onto the case the channel found (an email's Message-ID, a webhook's thread id, the portal's
   case), else the case the contact names by reference when the customer was found by a proven address and
   owns it, else (SMS) the customer's open or recently solved case, else a new case.
4. **Language**: each inbound message's language is detected from its words (lofte.core.language: a language,
   "other", or "don't know" for a few words or an unclear text) and kept on the message. A new case is in the
   language the contact states (the API's `language`), else the customer's known language, else the detected
   one, else the channel's (the form's page, the mailbox's, the number's country), else LOFTE_CUSTOMER_LANGUAGE.
   A customer without a language takes the first one detected (or stated) from an address they proved.
5. **After**: a message in the customer's own words goes to the functions registered with lofte.cases.arrived
   (text understanding suggests a case type, spots a complaint or a status question).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from lofte.accounts.models import Agent, Team
from lofte.cases import arrived, services
from lofte.cases.arrived import Arrival
from lofte.cases.models import ACTIVE_STATUSES, Case, CaseType, Message, Status
from lofte.cases.references import reference_in_subject, reference_whole
from lofte.cases.services import AttachmentInput
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.core.language import UNKNOWN, Detected, language_detect
from lofte.customers.models import Customer, CustomerIdentity, IdentityKind
from lofte.customers.services import (
    ContactCustomer,
    Identifier,
    Pending,
    customer_for_contact,
    customer_update,
    identity_suggest,
)

Outcome = Literal["created", "appended", "duplicate"]


@dataclass(frozen=True)
class Contact:
    """One inbound contact, as its channel knows it."""

    channel: str
    body: str
    identifiers: Sequence[Identifier] = ()
    customer: Customer | None = None  # already known (a portal session, an agent posting on a case)
    name: str = ""
    subject: str = ""
    language: str = ""  # the contact's own: the API's `language`
    language_hint: str = ""  # the channel's: the form's page, the mailbox's language, the number's country
    # False when the words are not the customer's (an agent's notes of a call, a request Lofte wrote for them):
    # their language says nothing of the customer's
    customers_words: bool = True
    sender: str = ""
    source: str = ""  # where external_id is unique: "email", "api", "webhook:<name>", "sms:<provider>"
    external_id: str = ""
    body_html: str = ""
    visible_text: str = ""
    attachments: Sequence[AttachmentInput] = ()
    thread: Case | None = None  # the case the channel found for it
    thread_internal: bool = False  # it answers a forward to an outside party: on the thread's case, never public
    reference_text: str = ""  # where a case reference may be written: a subject ("[LF-...]") or a thread field
    reference_whole: bool = False  # the text is a reference and nothing else (a webhook's thread)
    recent_days: int | None = None  # onto the customer's active case, or one solved within this many days (SMS)
    deduplicated: bool = False  # the channel has already looked for this external id (email: by Message-ID)
    # for a new case
    case_type: CaseType | None = None
    team: Team | None = None
    priority: int | None = None
    assignee: Agent | None = None
    tags: Iterable[str] = ()
    inbox_address: str = ""
    actor: Agent | None = None


@dataclass(frozen=True)
class Received:
    case: Case  # the case the message is on (a follow-up when the contact named a closed case)
    message: Message
    customer: Customer
    outcome: Outcome
    customer_created: bool = False


def scoped_external_id(source: str, external_id: str) -> str:
    """The id as stored on the message: an email's Message-ID as it is, any other source's under its name."""
    external_id = (external_id or "").strip()
    if not external_id:
        return ""
    if source == "email":
        return external_id[:255]
    return f"{source or 'api'}:{external_id}"[:255]


def external_id_for_display(stored: str) -> str:
    """What the sender called the message: the stored id without the API's own scope."""
    return stored[4:] if stored.startswith("api:") else stored


@transaction.atomic
def intake_receive(*, contact: Contact) -> Received:
    """File one inbound contact (see the module's docstring). Raises ValidationFailed (naming the field) for
    what cannot be filed; nothing is written then."""
    stored_id = scoped_external_id(contact.source, contact.external_id)
    if stored_id and not contact.deduplicated and (earlier := _filed(stored_id)) is not None:
        return Received(case=earlier.case, message=earlier, customer=earlier.case.customer, outcome="duplicate")
    now = clock.now()
    detected = (
        language_detect(f"{contact.subject}\n{contact.visible_text or contact.body}")
        if contact.customers_words
        else UNKNOWN
    )
    who = _customer(contact, now, detected)
    customer = who.customer
    case = contact.thread or _named_case(contact, who) or _recent_case(contact, who)
    if case is not None:
        message = services.case_add_inbound(
            internal=contact.thread_internal and contact.thread is not None,
            case=case,
            body=contact.body,
            channel=contact.channel,
            sender=contact.sender,
            subject=contact.subject,
            body_html=contact.body_html,
            visible_text=contact.visible_text,
            external_id=stored_id,
            attachments=contact.attachments,
            actor=contact.actor,
            message_language=detected.language,
        )
        outcome: Outcome = "appended" if message.case_id == case.pk else "created"
        filed_on = message.case
    else:
        filed_on, message = services.case_open(
            customer=customer,
            subject=contact.subject,
            body=contact.body,
            channel=contact.channel,
            case_type=contact.case_type,
            priority=contact.priority,
            team=contact.team,
            assignee=contact.assignee,
            tags=contact.tags,
            language=case_language(contact, customer, detected),
            sender=contact.sender,
            body_html=contact.body_html,
            visible_text=contact.visible_text,
            external_id=stored_id,
            attachments=contact.attachments,
            actor=contact.actor,
            inbox_address=contact.inbox_address,
            reply_to=_reply_to(customer, who.pending) if who.created and who.pending else "",
            message_language=detected.language,
        )
        outcome = "created"
    if who.pending:
        identity_suggest(
            customer=customer, pending=who.pending, channel=contact.channel, reference=filed_on.reference, now=now
        )
    if contact.customers_words and not message.internal:
        arrived.message_arrived(
            Arrival(
                message=message,
                opened=outcome == "created",  # a new case, or the follow-up of a closed one
                proven=who.matched_by_proof and not who.created,
            )
        )
    return Received(case=filed_on, message=message, customer=customer, outcome=outcome, customer_created=who.created)


def _filed(stored_id: str) -> Message | None:
    return (
        Message.objects.filter(external_id=stored_id).select_related("case", "case__customer").order_by("-id").first()
    )


def _customer(contact: Contact, now: datetime, detected: Detected) -> ContactCustomer:
    if contact.customer is not None:
        return ContactCustomer(customer=contact.customer, created=False, matched_by_proof=True)
    if contact.thread is not None:
        # on a thread the channel found (a reply to a Message-ID, a webhook thread): the case's customer, whoever
        # wrote (a colleague copied in makes no customer of their own); a proven sender of theirs is proven now
        _prove_on(contact.thread.customer, contact.identifiers, now)
        return ContactCustomer(customer=contact.thread.customer, created=False, matched_by_proof=False)
    if not contact.identifiers:
        raise ValidationFailed("A contact needs an email address or a phone number.", field="customer")
    stated = contact.language or (detected.language if detected.known else "")
    who = customer_for_contact(
        identifiers=contact.identifiers,
        name=contact.name,
        language=stated or contact.language_hint,
        now=now,
    )
    if who.matched_by_proof and not who.created and stated and not who.customer.language:
        customer_update(customer=who.customer, language=stated)
    return who


def _prove_on(customer: Customer, identifiers: Sequence[Identifier], now: datetime) -> None:
    for given in identifiers:
        if given.proven:
            CustomerIdentity.objects.filter(
                customer=customer, kind=given.kind, value=given.value, proven_at__isnull=True
            ).update(proven_at=now, proof=given.proof)


def _named_case(contact: Contact, who: ContactCustomer) -> Case | None:
    """The case the contact names by reference, if the customer was found through an address the contact proved
    and the case is theirs: a typed reference, from a typed address, proves nothing."""
    if not contact.reference_text or not who.matched_by_proof or who.created:
        return None
    text = contact.reference_text
    reference = reference_whole(text) if contact.reference_whole else reference_in_subject(text)
    if reference is None:
        return None
    return Case.objects.filter(reference=reference, customer=who.customer).select_related("customer").first()


def _recent_case(contact: Contact, who: ContactCustomer) -> Case | None:
    """The customer's newest active case, else one solved within `recent_days` (for SMS)."""
    if contact.recent_days is None or not who.matched_by_proof or who.created:
        return None
    since = clock.now() - timedelta(days=contact.recent_days)
    return (
        Case.objects.filter(customer=who.customer)
        .filter(Q(status__in=[s.value for s in ACTIVE_STATUSES]) | Q(status=Status.SOLVED, solved_at__gte=since))
        .select_related("customer")
        .order_by("-updated_at", "-id")
        .first()
    )


def case_language(contact: Contact, customer: Customer, detected: Detected = UNKNOWN) -> str:
    """The language of a new case (see the module's docstring)."""
    known = [code for code, _name in settings.LANGUAGES]
    candidates = (
        contact.language,
        customer.language,
        detected.language,
        contact.language_hint,
        settings.LOFTE_CUSTOMER_LANGUAGE,
    )
    for candidate in candidates:
        if candidate in known:
            return candidate
    return settings.LANGUAGE_CODE


def _reply_to(customer: Customer, pending: list[Pending]) -> str:
    """For a customer this contact created: an address it gave that nobody has, of a kind the customer has none
    of. The case may be answered there (a webhook's sender email next to a handle), though it joins nobody and
    opens no portal. Never for a customer who existed before: their cases are answered at their own addresses
    only, so a claim cannot draw replies about somebody else's matters."""
    have = {i.kind for i in customer.identities.all()}
    for item in pending:
        if item.owner_id is None and item.kind in (IdentityKind.EMAIL, IdentityKind.PHONE) and item.kind not in have:
            return item.value
    return ""
