"""The SMS settings page's "send a test SMS": one short text to a number the admin gives, through the provider
in effect, at once, and exactly what happened.

    result = sms_test_send(actor=admin, to="+46701234567")
    result.outcome   # sent, off, opted_out, refused, failed, timeout
    result.message   # for the admin, translated; never the password

It goes straight to the provider, as the SMS transport would send it, but past the outbox: no case, no outbox
row, no delivery report (no receipt URL is given to the provider), nothing on any timeline. A number that sent
STOP gets no test either. Each admin may send TEST_LIMIT tests in TEST_WINDOW (SMS cost money, and the page
must not become a way to send texts).
"""

from __future__ import annotations

import logging
import urllib.error
from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.channels.sms.config import SmsConfig, sms_config
from lofte.channels.sms.providers import SmsDeferred, get_provider
from lofte.channels.sms.selectors import sms_opted_out
from lofte.core.errors import RateLimited
from lofte.core.ratelimit import ratelimit_hit
from lofte.customers.identities import normalise_phone
from lofte.outbox.transports import PermanentFailure

logger = logging.getLogger(__name__)

TEST_LIMIT = 10
TEST_WINDOW = timedelta(minutes=10)

# outcomes
SENT = "sent"
OFF = "off"
OPTED_OUT = "opted_out"
REFUSED = "refused"  # the provider said no (or a setting it needs is missing): sending again will not help
FAILED = "failed"  # the provider could not take it now (5xx, the network, a file that could not be written)
TIMED_OUT = "timeout"


@dataclass(frozen=True)
class SmsTestResult:
    outcome: str
    message: str
    to: str
    provider: str = ""
    provider_id: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == SENT


def probe_text() -> str:
    """The text of a test SMS, in the active language (the admin's)."""
    return _("A test message from Lofte: SMS works.")


def _redact(text: str, config: SmsConfig) -> str:
    for secret in (config.elks_password, config.webhook_token):
        if secret and len(secret) >= 4:
            text = text.replace(secret, "•" * 8)
    return text[:500]


def _timed_out(exc: BaseException) -> bool:
    cause = exc.__cause__
    if isinstance(cause, urllib.error.URLError) and isinstance(cause.reason, TimeoutError):
        return True
    return isinstance(cause, TimeoutError)


def sms_test_send(*, actor: Agent, to: str) -> SmsTestResult:
    """Send one test SMS to `to` now (ValidationFailed for a number that is not one; RateLimited over the limit)."""
    access.require(actor, access.Perm.CONFIGURE)
    number = normalise_phone((to or "").strip(), field="to")
    config = sms_config()
    provider = get_provider(config=config)
    if provider is None:
        return SmsTestResult(OFF, _("SMS is off: choose a provider and save the settings first."), to=number)
    if sms_opted_out(phone=number):
        return SmsTestResult(
            OPTED_OUT,
            _("%(number)s has opted out of SMS (it sent STOP): Lofte sends it nothing, not even a test.")
            % {"number": number},
            to=number,
            provider=provider.name,
        )
    hit = ratelimit_hit(f"configure:sms-test:{actor.pk}", limit=TEST_LIMIT, window=TEST_WINDOW)
    if not hit.allowed:
        raise RateLimited(
            _("Too many test messages; try again in %(seconds)s seconds.") % {"seconds": hit.retry_after},
            retry_after=hit.retry_after,
        )
    name = provider.name
    try:
        provider_id = provider.send(number, probe_text(), callback_url="")
    except PermanentFailure as exc:
        outcome, detail = REFUSED, _("Not sent: %(reason)s") % {"reason": _redact(str(exc), config)}
    except SmsDeferred as exc:
        if _timed_out(exc):
            outcome = TIMED_OUT
            detail = _("Not sent: %(provider)s did not answer in time (the limit is %(seconds)s s).") % {
                "provider": name,
                "seconds": config.timeout_seconds,
            }
        else:
            outcome, detail = FAILED, _("Not sent: %(reason)s") % {"reason": _redact(str(exc), config)}
    except OSError as exc:  # the console provider's file
        outcome, detail = FAILED, _("Not sent: %(reason)s") % {"reason": _redact(str(exc), config)}
    else:
        logger.info("Test SMS to %s sent by %s through %s: %s", number, actor.email, name, provider_id or "(no id)")
        if provider_id:
            message = _("Sent to %(number)s through %(provider)s: provider id %(id)s.") % {
                "number": number,
                "provider": name,
                "id": provider_id,
            }
        else:
            message = _("Sent to %(number)s through %(provider)s; the provider's answer had no id.") % {
                "number": number,
                "provider": name,
            }
        return SmsTestResult(SENT, message, to=number, provider=name, provider_id=provider_id)
    logger.info("Test SMS to %s by %s through %s: %s (%s)", number, actor.email, name, outcome, detail)
    return SmsTestResult(outcome, detail, to=number, provider=name)
