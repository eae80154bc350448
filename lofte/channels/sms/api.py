"""SMS endpoints: the segment count for the reply box, the provider's webhooks, and the SMS settings.

    GET  /api/v1/sms/segments?text=...                       (agents)
    POST /api/v1/inbound/sms/<provider>/<token>              inbound SMS (form post)
    POST /api/v1/inbound/sms/<provider>/<token>/receipt      delivery reports (form post)
    GET  /api/v1/settings/sms                                the SMS settings in effect (admins; no secrets)
    PUT  /api/v1/settings/sms                                change them (admins)
    POST /api/v1/settings/sms/test                           send a test SMS (admins)

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

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.channels.sms.config import sms_config
from lofte.channels.sms.inbound import sms_receive
from lofte.channels.sms.probe import sms_test_send
from lofte.channels.sms.providers import SmsProvider, configured, get_provider
from lofte.channels.sms.schemas import (
    ErrorOut,
    InboundSmsOut,
    ReceiptOut,
    SegmentsOut,
    SmsSettingsIn,
    SmsSettingsOut,
    SmsTestIn,
    SmsTestOut,
)
from lofte.channels.sms.segments import segments
from lofte.channels.sms.selectors import sms_settings_status
from lofte.channels.sms.services import sms_receipt_record
from lofte.channels.sms.settings_services import SmsSettingsValues, sms_settings_save
from lofte.core.errors import DomainError, NotFound
from lofte.core.schemas import ErrorOut as ApiErrorOut

logger = logging.getLogger(__name__)

router = Router(tags=["sms"])

MAX_SEGMENT_TEXT = 5000


class WebhookRefused(DomainError):
    """The caller could not show that it is the provider."""

    code = "unauthorized"
    status = 401


REASONS = {
    "bad_token": "The token in the URL is not the one Lofte gave the provider.",
    "ip_not_allowed": "The request does not come from an address the SMS settings allow.",
    "webhooks_disabled": "SMS webhooks are off: no webhook token is set.",
}


def _authenticated(request: HttpRequest, provider: str, token: str) -> SmsProvider:
    config = sms_config()  # one read of the settings for the whole check
    adapter = get_provider(provider, config=config) if provider == configured(config) else None
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


# --- settings (admins) ------------------------------------------------------------------------------------


def _admin(request: HttpRequest) -> Agent:
    agent: Agent = request.auth  # type: ignore[attr-defined]
    access.require(agent, access.Perm.CONFIGURE)  # before anything is read
    return agent


def _settings_out() -> dict[str, object]:
    status = sms_settings_status()
    config = status.config
    return {
        "provider": config.provider or "none",
        "on": config.on,
        "sending": status.sending,
        "sender": config.sender,
        "elks_username": config.elks_username,
        "elks_password_set": bool(config.elks_password),
        "webhook_token_set": bool(config.webhook_token),
        "allowed_ips": list(config.allowed_ips),
        "source": config.source,
        "updated_at": config.updated_at,
        "updated_by": config.updated_by_id,
    }


@router.get(
    "/settings/sms",
    response={200: SmsSettingsOut, 403: ApiErrorOut},
    tags=["settings"],
    summary="The SMS settings in effect (admins)",
    description="Never the 46elks password or the webhook token: only whether each is set. Until they are saved "
    "(here or on /configure/sms/), the environment's LOFTE_SMS_* settings apply (source: environment).",
)
def sms_settings_get(request: HttpRequest) -> object:
    _admin(request)
    return _settings_out()


@router.put(
    "/settings/sms",
    response={200: SmsSettingsOut, 403: ApiErrorOut},
    tags=["settings"],
    summary="Change the SMS settings (admins)",
    description="Replaces every setting but the secrets: elks_password and webhook_token left out (or null) keep "
    "the stored ones, an empty string clears one. The first save takes over the environment's settings. A "
    "wrong value is a 422 naming the field, and nothing is saved.",
)
def sms_settings_put(request: HttpRequest, data: SmsSettingsIn) -> object:
    actor = _admin(request)
    values = SmsSettingsValues(
        provider=data.provider,
        sender=data.sender,
        elks_username=data.elks_username,
        elks_password=data.elks_password or None,
        clear_elks_password=data.elks_password == "",
        webhook_token=data.webhook_token or None,
        clear_webhook_token=data.webhook_token == "",
        allowed_ips=tuple(data.allowed_ips),
    )
    sms_settings_save(actor=actor, values=values)
    return _settings_out()


@router.post(
    "/settings/sms/test",
    response={200: SmsTestOut, 403: ApiErrorOut, 429: ApiErrorOut},
    tags=["settings"],
    summary="Send a test SMS through the saved settings (admins)",
    description="One short text to `to`, now, past the outbox: no case, outbox row or delivery report. The answer "
    "says what happened (outcome sent with the provider's id, or off, opted_out, refused, failed, timeout, with "
    "the reason). At most 10 per admin in 10 minutes (429 with Retry-After).",
)
def sms_settings_test(request: HttpRequest, data: SmsTestIn) -> object:
    actor = _admin(request)
    result = sms_test_send(actor=actor, to=data.to)
    return {
        "outcome": result.outcome,
        "message": result.message,
        "to": result.to,
        "provider": result.provider,
        "provider_id": result.provider_id,
    }
