"""The SMS provider settings page (/configure/sms/): the provider, the sender, 46elks' API login, the webhook token
and the addresses webhooks may come from; the webhook addresses to give the provider; a preview of what the form
would put in effect; "make a new token"; "send a test SMS".

Admins only (lofte.accounts.access.Perm.CONFIGURE): everyone else gets 403 with the reason before anything is
read. Thin: the writes are lofte.channels.sms.settings_services, the test lofte.channels.sms.probe, the reads
lofte.channels.sms.selectors. The password and the token are never rendered; the token appears in the webhook
addresses only on the answer to a POST that asks for them ("show the full addresses", or a new token).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from lofte.accounts.decorators import admin_only
from lofte.accounts.models import Agent
from lofte.channels.sms.config import SmsConfig, masked, webhook_url
from lofte.channels.sms.models import SmsProviderChoice
from lofte.channels.sms.probe import probe_text, sms_test_send
from lofte.channels.sms.segments import segments
from lofte.channels.sms.selectors import SmsSettingsStatus, sms_settings_status
from lofte.channels.sms.settings_services import sms_settings_preview, sms_settings_save, sms_webhook_token_new
from lofte.configure.sms_forms import SmsSettingsForm, SmsTestForm, apply_error
from lofte.core.errors import RateLimited, ValidationFailed
from lofte.core.htmx import is_htmx


def _agent(request: HttpRequest) -> Agent:
    return request.user  # type: ignore[return-value]


def webhook_addresses(config: SmsConfig, *, reveal: bool = False) -> dict[str, str]:
    """The inbound and receipt addresses of the configured provider, the token masked unless revealed; {} when
    webhooks are off (no token) or there is no provider."""
    if not config.webhook_token or not config.provider:
        return {}
    token = None if reveal else masked(config.webhook_token)
    return {
        "inbound": webhook_url(config, token=token),
        "receipt": webhook_url(config, receipt=True, token=token),
    }


def _label(provider: str) -> str:
    """The provider's name as the page shows it (an unknown one from the environment as it is named there)."""
    try:
        return str(SmsProviderChoice(provider or SmsProviderChoice.NONE).label)
    except ValueError:
        return provider


def _outline(form: SmsSettingsForm, current: SmsConfig) -> dict[str, Any]:
    """What the form's values would put in effect (validated as a save would be; never saved, never a secret)."""
    if not form.is_valid():
        return {"outline": None, "outline_error": _("Correct the marked fields to see the preview.")}
    try:
        config = sms_settings_preview(values=form.values(), current=current)
    except ValidationFailed as exc:
        return {"outline": None, "outline_error": exc.message}
    text = probe_text()
    count = segments(text)
    return {
        "outline": config,
        "outline_provider": _label(config.provider),
        "outline_webhooks": webhook_addresses(config),
        "probe_text": text,
        "probe_count": ngettext(
            "%(n)d SMS (%(encoding)s), %(left)d characters left in it",
            "%(n)d SMS (%(encoding)s), %(left)d characters left in the last",
            count.segments,
        )
        % {"n": count.segments, "encoding": count.encoding, "left": count.remaining},
    }


def _context(
    status: SmsSettingsStatus,
    form: SmsSettingsForm,
    *,
    reveal: bool = False,
    test_form: SmsTestForm | None = None,
    result: Any = None,
    limited: str = "",
) -> dict[str, Any]:
    config = status.config
    shown = form if form.is_bound else SmsSettingsForm(_bound(SmsSettingsForm.initial_for(config)), config=config)
    return {
        "status": status,
        "config": config,
        "provider_label": _label(config.provider),
        "form": form,
        "webhooks": webhook_addresses(config, reveal=reveal),
        "revealed": reveal,
        "test_form": test_form or SmsTestForm(),
        "result": result,
        "limited": limited,
        **_outline(shown, config),
    }


def _bound(initial: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in initial.items() if v is not None}


@admin_only
@require_http_methods(["GET", "POST"])
def sms_settings(request: HttpRequest) -> HttpResponse:
    status = sms_settings_status()
    code = 200
    if request.method == "POST":
        form = SmsSettingsForm(request.POST, config=status.config)
        if form.is_valid():
            try:
                sms_settings_save(actor=_agent(request), values=form.values())
            except ValidationFailed as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _("The SMS settings are saved."))
                return redirect("configure:sms")
        code = 422
    else:
        form = SmsSettingsForm(initial=SmsSettingsForm.initial_for(status.config), config=status.config)
    return render(request, "configure/sms.html", _context(status, form), status=code)


@admin_only
@require_http_methods(["GET", "POST"])
def sms_preview(request: HttpRequest) -> HttpResponse:
    """What the saved settings (GET) or the form's values (POST) put in effect (HTMX: the partial); never saves."""
    status = sms_settings_status()
    config = status.config
    if request.method == "POST":
        form = SmsSettingsForm(request.POST, config=config)
    else:
        form = SmsSettingsForm(_bound(SmsSettingsForm.initial_for(config)), config=config)
    context = _context(status, form)
    if is_htmx(request):
        return render(request, "configure/partials/_sms_preview.html", context)
    return render(request, "configure/sms.html", context)


@admin_only
@require_POST
@never_cache
def sms_webhooks(request: HttpRequest) -> HttpResponse:
    """The webhook addresses with the token in them (asked for with a POST, so no page a browser keeps has them)."""
    status = sms_settings_status()
    config = status.config
    form = SmsSettingsForm(initial=SmsSettingsForm.initial_for(config), config=config)
    context = _context(status, form, reveal=True)
    if is_htmx(request):
        return render(request, "configure/partials/_sms_webhooks.html", context)
    return render(request, "configure/sms.html", context)


@admin_only
@require_POST
@never_cache
def sms_token(request: HttpRequest) -> HttpResponse:
    """Make a new webhook token, and show the new addresses (once: afterwards "show the full addresses")."""
    sms_webhook_token_new(actor=_agent(request))
    messages.success(
        request,
        _("A new webhook token is saved: give the provider the new addresses now. The old one is refused from now on."),
    )
    status = sms_settings_status()
    form = SmsSettingsForm(initial=SmsSettingsForm.initial_for(status.config), config=status.config)
    return render(request, "configure/sms.html", _context(status, form, reveal=True))


@admin_only
@require_POST
def sms_test(request: HttpRequest) -> HttpResponse:
    """Send one test SMS through the saved settings and say exactly what happened (rate-limited)."""
    test_form = SmsTestForm(request.POST)
    result = None
    limited = ""
    code = 200
    retry_after = 0
    if test_form.is_valid():
        try:
            result = sms_test_send(actor=_agent(request), to=test_form.cleaned_data["to"])
        except ValidationFailed as exc:
            apply_error(test_form, exc)
            code = 422
        except RateLimited as exc:
            limited, code, retry_after = exc.message, 429, exc.retry_after
    else:
        code = 422
    if is_htmx(request):  # htmx swaps no 4xx answer (base.html): an error or the limit is told in a 200
        context = {"test_form": test_form, "result": result, "limited": limited, "partial": True}
        response = render(request, "configure/partials/_sms_test.html", context)
    else:
        status = sms_settings_status()
        form = SmsSettingsForm(initial=SmsSettingsForm.initial_for(status.config), config=status.config)
        context = _context(status, form, test_form=test_form, result=result, limited=limited)
        response = render(request, "configure/sms.html", context, status=code)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
