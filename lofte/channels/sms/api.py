"""SMS endpoints: the segment count for the reply box, and the provider's webhooks.

    GET  /api/v1/sms/segments?text=...                       (agents)
    POST /api/v1/inbound/sms/<provider>/<token>              inbound SMS (form post)
    POST /api/v1/inbound/sms/<provider>/<token>/receipt      delivery reports (form post)

The webhooks carry no session or API token: the provider authenticates them
(for 46elks, the secret token in the path and optionally the caller's
address). A refusal is 401 with a reason code (bad_token, ip_not_allowed,
webhooks_disabled) and is logged.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from lofte.channels.sms.inbound import sms_receive
from lofte.channels.sms.providers import SmsProvider, configured, get_provider
from lofte.channels.sms.schemas import ErrorOut, InboundSmsOut, ReceiptOut, SegmentsOut
from lofte.channels.sms.segments import segments
from lofte.channels.sms.services import sms_receipt_record
from lofte.core.errors import DomainError, NotFound

logger = logging.getLogger(__name__)

router = Router(tags=["sms"])

MAX_SEGMENT_TEXT = 5000


class WebhookRefused(DomainError):
    """The caller could not show that it is the provider."""

    code = "unauthorized"
    status = 401


REASONS = {
    "bad_token": "The token in the URL is not the one Lofte gave the provider.",
    "ip_not_allowed": "The request does not come from an address in LOFTE_SMS_ALLOWED_IPS.",
    "webhooks_disabled": "SMS webhooks are off: LOFTE_SMS_WEBHOOK_TOKEN is not set.",
}


def _authenticated(request: HttpRequest, provider: str, token: str) -> SmsProvider:
    adapter = get_provider(provider) if provider == configured() else None
    if adapter is None:
        raise NotFound(_("SMS provider %(name)s is not in use here.") % {"name": provider[:40]}, field="provider")
    reason = adapter.check(request, token=token)
    if reason:
        logger.warning(
            "SMS webhook refused (%s) from %s: %s", reason, request.META.get("REMOTE_ADDR", "?"), request.path[:60]
        )
        raise WebhookRefused(REASONS.get(reason, reason), code=reason)
    return adapter


@router.get(
    "/sms/segments",
    response=SegmentsOut,
    summary="How many SMS a text is, and in which encoding (GSM-7 or UCS-2)",
    description=f"Only the first {MAX_SEGMENT_TEXT} characters of `text` are counted.",
)
def sms_segments(request: HttpRequest, text: str = "") -> object:
    return segments(text[:MAX_SEGMENT_TEXT]).as_dict()


@router.post(
    "/inbound/sms/{provider}/{token}",
    auth=None,
    response={200: InboundSmsOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="An inbound SMS from the provider (its webhook)",
    include_in_schema=False,
)
def inbound_sms(request: HttpRequest, provider: str, token: str) -> object:
    adapter = _authenticated(request, provider, token)
    return sms_receive(provider=adapter.name, data=adapter.parse_inbound(request)).as_dict()


@router.post(
    "/inbound/sms/{provider}/{token}/receipt",
    auth=None,
    response={200: ReceiptOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="A delivery report from the provider (its webhook)",
    include_in_schema=False,
)
def sms_receipt(request: HttpRequest, provider: str, token: str) -> object:
    adapter = _authenticated(request, provider, token)
    delivery = sms_receipt_record(provider=adapter.name, receipt=adapter.parse_receipt(request))
    return {"id": delivery.provider_id, "status": delivery.status}
