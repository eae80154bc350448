"""The customer portal's pages: ask for a link, use it, see and act on one's own cases. Thin views.

Customers are not Django users (agents are): a portal session holds the
customer's id and when they logged in, set only after a magic link was used,
with a new session key. Every page after that reloads the customer and looks
the case up through the portal selectors, which only ever find the
customer's own cases; anything else is the same 404 as a case that does not
exist. Pages speak the customer's language and time zone. Every POST is CSRF
protected by Django's middleware.
"""

from __future__ import annotations

import ipaddress
import math
import zoneinfo
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lofte.cases.models import Case
from lofte.core import clock
from lofte.core.errors import DomainError, NotFound, ValidationFailed
from lofte.customers.models import Customer
from lofte.portal import selectors, services, uploads
from lofte.portal.forms import LinkRequestForm, MessageForm, NewCaseForm

SESSION_CUSTOMER = "portal_customer_id"
SESSION_SINCE = "portal_since"

CustomerView = Callable[..., HttpResponseBase]


def _ip(request: HttpRequest) -> str:
    """The client's address as the server saw it ("" when it is not an IP address)."""
    value = request.META.get("REMOTE_ADDR", "") or ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return ""


def _too_many(request: HttpRequest, exc: services.TooManyRequests, *, back: str = "") -> HttpResponse:
    retry_at = clock.now() + timedelta(seconds=exc.retry_after)
    context = {
        "minutes": max(1, math.ceil(exc.retry_after / 60)),
        "retry_at": retry_at,
        "back": back or reverse("portal:request"),
    }
    response = render(request, "portal/too_many.html", context, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def _link_invalid(request: HttpRequest) -> HttpResponse:
    response = render(request, "portal/link_invalid.html", status=410)
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- the session ----------------------------------------------------------------


def _forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_CUSTOMER, None)
    request.session.pop(SESSION_SINCE, None)


def _session_customer(request: HttpRequest) -> Customer | None:
    customer_id = request.session.get(SESSION_CUSTOMER)
    since = request.session.get(SESSION_SINCE)
    if not isinstance(customer_id, int) or not isinstance(since, str):
        return None
    try:
        started = datetime.fromisoformat(since)
    except ValueError:
        started = None
    if started is None or clock.now() - started > timedelta(hours=settings.LOFTE_PORTAL_SESSION_HOURS):
        _forget(request)
        return None
    try:
        return selectors.portal_customer_get(customer_id=customer_id)
    except NotFound:
        _forget(request)
        return None


def _zone(customer: Customer) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(customer.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def customer_required(view: CustomerView) -> Callable[..., HttpResponseBase]:
    """The logged-in customer as the view's second argument, the page in their language and time zone;
    without a portal session, back to the page that sends links."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        customer = _session_customer(request)
        if customer is None:
            return redirect("portal:request")
        language = customer.language or translation.get_language() or settings.LANGUAGE_CODE
        with translation.override(language), timezone.override(_zone(customer)):
            request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
            response = view(request, customer, *args, **kwargs)
        response["Content-Language"] = language
        return response

    return wrapper


# --- links ----------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def link_request(request: HttpRequest) -> HttpResponse:
    """Ask for a link. The answer to a POST is the same page whether the address is known or not."""
    if request.method == "GET":
        if _session_customer(request) is not None:
            return redirect("portal:cases")
        return render(request, "portal/request.html", {"form": LinkRequestForm()})
    form = LinkRequestForm(request.POST)
    if form.is_valid():
        try:
            services.portal_link_request(
                address=form.cleaned_data["address"], ip=_ip(request), language=translation.get_language()
            )
        except services.TooManyRequests as exc:
            return _too_many(request, exc)
        except ValidationFailed as exc:
            form.add_error("address", exc.message)
        else:
            return render(request, "portal/sent.html", {"link_minutes": settings.LOFTE_PORTAL_LINK_MINUTES})
    return render(request, "portal/request.html", {"form": form}, status=422)


@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest, secret: str) -> HttpResponse:
    """GET shows a "Continue" button and uses nothing (mail scanners follow links); POST uses the link."""
    if request.method == "GET":
        if not selectors.portal_token_is_valid(secret=secret, now=clock.now()):
            return _link_invalid(request)
        response = render(request, "portal/login.html")
        # the secret is in this page's address: never sent to another site. (Not "no-referrer": then the
        # browser sends "Origin: null" with the Continue button's POST and the CSRF check refuses it.)
        response["Referrer-Policy"] = "same-origin"
        return response
    ip = _ip(request)
    try:
        services.portal_login_check_rate(ip=ip or "unknown")
        customer = services.portal_token_consume(secret=secret, ip=ip)
    except services.TooManyRequests as exc:
        return _too_many(request, exc)
    except services.LinkInvalid:
        return _link_invalid(request)
    request.session.cycle_key()
    request.session[SESSION_CUSTOMER] = customer.pk
    request.session[SESSION_SINCE] = clock.now().isoformat()
    return redirect("portal:cases")


@never_cache
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    _forget(request)
    request.session.cycle_key()
    messages.info(request, _("You have logged out."))
    return redirect("portal:request")


# --- cases ----------------------------------------------------------------------


def _case(customer: Customer, reference: str) -> Case:
    try:
        return selectors.portal_case_get(customer=customer, reference=reference)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@never_cache
@require_GET
@customer_required
def case_list(request: HttpRequest, customer: Customer) -> HttpResponse:
    cursor = request.GET.get("cursor") or None
    try:
        page = selectors.portal_case_list(customer=customer, cursor=cursor)
    except ValidationFailed as exc:
        context = {"customer": customer, "rows": [], "error": exc.message, "is_first_page": True}
        return render(request, "portal/case_list.html", context, status=400)
    context = {
        "customer": customer,
        "rows": page.rows,
        "next_cursor": page.next_cursor,
        "is_first_page": cursor is None,
    }
    return render(request, "portal/case_list.html", context)


def _uploads_context() -> dict[str, Any]:
    return {
        "accept": uploads.accept_attribute(),
        "types": ", ".join(uploads.allowed_types()),
        "max_mb": settings.LOFTE_MAX_ATTACHMENT_BYTES // 2**20,
    }


@never_cache
@require_http_methods(["GET", "POST"])
@customer_required
def case_new(request: HttpRequest, customer: Customer) -> HttpResponse:
    """The customer writes about something new. A refused file or too long a text: the page again, every word
    kept, the reason said (files cannot come back with the page: they are asked for again)."""
    form = NewCaseForm(request.POST or None)
    error = ""
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise ValidationFailed(_("Please check what is marked below."))
            files = uploads.check_uploads(request.FILES.getlist("attachments"))
            data = form.cleaned_data
            case = services.portal_case_open(
                customer=customer,
                subject=data["subject"],
                body=data["body"],
                complaint=data["complaint"],
                attachments=files,
            )
        except services.TooManyRequests as exc:
            return _too_many(request, exc, back=reverse("portal:new"))
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("Thank you, we have received your message."))
            return redirect("portal:case", reference=case.reference)
    context = {"customer": customer, "form": form, "error": error, **_uploads_context()}
    return render(request, "portal/case_new.html", context, status=422 if error else 200)


def _detail(request: HttpRequest, customer: Customer, case: Case, *, status: int = 200, **extra: Any) -> HttpResponse:
    context: dict[str, Any] = {
        "customer": customer,
        "case": case,
        "label": selectors.status_label(case.status),
        "promise": selectors.portal_case_promise(case=case),
        "timeline": selectors.portal_timeline(case=case),
        "actions": selectors.case_actions(case=case, now=clock.now()),
        "form": MessageForm(),
        **_uploads_context(),
        "reopen_days": settings.LOFTE_PORTAL_REOPEN_DAYS,
    }
    context.update(extra)
    return render(request, "portal/case_detail.html", context, status=status)


@never_cache
@require_GET
@customer_required
def case_detail(request: HttpRequest, customer: Customer, reference: str) -> HttpResponse:
    return _detail(request, customer, _case(customer, reference))


@never_cache
@require_POST
@customer_required
def case_message(request: HttpRequest, customer: Customer, reference: str) -> HttpResponse:
    """Write on the case. A refused file or a closed case: the page again, the text kept, the reason said."""
    case = _case(customer, reference)
    form = MessageForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed(str(form.errors["body"][0]), field="body")
        files = uploads.check_uploads(request.FILES.getlist("attachments"))
        message = services.portal_message_add(
            customer=customer, case=case, body=form.cleaned_data["body"], attachments=files
        )
    except services.TooManyRequests as exc:
        return _too_many(request, exc, back=reverse("portal:case", kwargs={"reference": case.reference}))
    except DomainError as exc:
        return _detail(request, customer, case, status=exc.status, form=form, message_error=exc.message)
    messages.success(request, _("Thank you, we have received your message."))
    return redirect("portal:case", reference=message.case.reference)


def _act(
    request: HttpRequest, customer: Customer, reference: str, perform: Callable[[Case], Any], done: str
) -> HttpResponse:
    case = _case(customer, reference)
    try:
        perform(case)
    except DomainError as exc:
        return _detail(request, customer, case, status=exc.status, action_error=exc.message)
    messages.success(request, done)
    return redirect("portal:case", reference=case.reference)


@never_cache
@require_POST
@customer_required
def case_close(request: HttpRequest, customer: Customer, reference: str) -> HttpResponse:
    return _act(
        request,
        customer,
        reference,
        lambda case: services.portal_case_close(customer=customer, case=case),
        _("Thank you. We have marked the case as solved."),
    )


@never_cache
@require_POST
@customer_required
def case_reopen(request: HttpRequest, customer: Customer, reference: str) -> HttpResponse:
    return _act(
        request,
        customer,
        reference,
        lambda case: services.portal_case_reopen(customer=customer, case=case),
        _("The case is open again. Tell us what you need in a message."),
    )


@never_cache
@require_GET
@customer_required
def attachment(request: HttpRequest, customer: Customer, reference: str, attachment_id: int) -> HttpResponseBase:
    """A file from the case's public timeline, always as a download."""
    case = _case(customer, reference)
    try:
        found = selectors.portal_attachment_get(case=case, attachment_id=attachment_id)
        handle = found.file.open("rb")
    except (NotFound, FileNotFoundError) as exc:
        raise Http404(_("Not found.")) from exc
    return FileResponse(handle, as_attachment=True, filename=found.filename, content_type=found.content_type)
