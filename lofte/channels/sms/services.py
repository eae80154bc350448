"""Writes for the sms channel: opting out and in, and delivery reports.

A delivery report is matched to the outbox row by the row id Lofte put in the
receipt URL (so a report that arrives before the worker has recorded the
provider's id still finds its row), else by the provider's id. "delivered"
is recorded on the row's SmsDelivery; "failed" marks the delivery failed on
the case's timeline and tells the case's owner, as a bounce does for email.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from lofte.cases.automatic import case_delivery_failed
from lofte.cases.models import Message
from lofte.channels.sms.models import FINAL_STATUSES, DeliveryStatus, SmsDelivery, SmsOptOut
from lofte.channels.sms.providers.base import Receipt
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.customers.identities import normalise_phone
from lofte.outbox.models import OutboxMessage
from lofte.outbox.services import outbox_mark_bounced

logger = logging.getLogger(__name__)


@transaction.atomic
def sms_opt_out(*, phone: str, keyword: str = "") -> SmsOptOut:
    """Nothing more is sent to this number by SMS (until sms_opt_in). Opting out twice keeps the first time."""
    phone = normalise_phone(phone, field="phone")
    opt_out, _created = SmsOptOut.objects.get_or_create(
        phone=phone, defaults={"keyword": keyword[:20], "opted_out_at": clock.now()}
    )
    return opt_out


@transaction.atomic
def sms_opt_in(*, phone: str) -> bool:
    """The number may get SMS again; True when it had opted out."""
    phone = normalise_phone(phone, field="phone")
    deleted, _detail = SmsOptOut.objects.filter(phone=phone).delete()
    return deleted > 0


def _outbox_row(*, receipt: Receipt) -> OutboxMessage | None:
    if receipt.outbox_id is not None:
        row = OutboxMessage.objects.filter(pk=receipt.outbox_id, channel="sms").first()
        if row is not None:
            return row
    return OutboxMessage.objects.filter(channel="sms", provider_id=receipt.provider_id).order_by("-id").first()


@transaction.atomic
def sms_receipt_record(*, provider: str, receipt: Receipt) -> SmsDelivery:
    """Record a delivery report; a final one (delivered, failed) is never replaced by a later report."""
    if receipt.status not in DeliveryStatus.values:
        raise ValidationFailed(
            _("'%(value)s' is not a delivery status; expected one of %(choices)s.")
            % {"value": receipt.status[:40], "choices": ", ".join(DeliveryStatus.values)},
            field="status",
        )
    now = clock.now()
    row = _outbox_row(receipt=receipt)
    delivery, created = SmsDelivery.objects.select_for_update().get_or_create(
        provider=provider,
        provider_id=receipt.provider_id,
        defaults={"status": receipt.status, "delivered_at": receipt.delivered_at, "updated_at": now},
    )
    fields: list[str] = []
    if not created and delivery.status not in FINAL_STATUSES and delivery.status != receipt.status:
        delivery.status = receipt.status
        delivery.delivered_at = receipt.delivered_at
        delivery.updated_at = now
        fields += ["status", "delivered_at", "updated_at"]
    changed = created or bool(fields)
    # one report per row on the timeline: a second provider id for the same row (a retried send) is kept unlinked
    if (
        row is not None
        and delivery.outbox_message_id is None
        and not SmsDelivery.objects.filter(outbox_message=row).exclude(pk=delivery.pk).exists()
    ):
        delivery.outbox_message = row
        fields.append("outbox_message")
    linked = "outbox_message" in fields
    if fields:
        delivery.save(update_fields=sorted(set(fields)))
    if (changed or linked) and delivery.status == DeliveryStatus.FAILED and delivery.outbox_message_id is not None:
        _failed(row_id=delivery.outbox_message_id, provider=provider)
    elif row is None:
        logger.info("SMS receipt %s (%s) matches no message Lofte sent", receipt.provider_id, receipt.status)
    return delivery


def _failed(*, row_id: int, provider: str) -> None:
    reason = _("The SMS could not be delivered (%(provider)s reported it failed).") % {"provider": provider}
    message = Message.objects.select_related("case").filter(outbox_message_id=row_id).first()
    if message is not None:
        case_delivery_failed(message=message, recipient="", reason=reason)
    else:
        outbox_mark_bounced(row_id=row_id, reason=reason)
