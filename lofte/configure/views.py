"""Settings pages for admins: business calendars, SLA policies, case types and mailboxes.

Only admins (lofte.accounts.access.Perm.CONFIGURE) may open them; everyone else gets 403 with the reason, for
any address here, before anything is looked up. Thin: each write is its app's service, each preview the
engine's own code (lofte.promises.configure), the connection test lofte.channels.email.probe.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lofte.accounts.decorators import admin_only
from lofte.accounts.models import Agent
from lofte.cases.case_types import case_type_create, case_type_remove, case_type_update
from lofte.cases.models import CaseType
from lofte.channels.email.probe import mailbox_connection_test
from lofte.channels.mailbox_settings import mailbox_create, mailbox_update
from lofte.channels.models import Mailbox
from lofte.configure.forms import (
    CALENDAR_ALIASES,
    CASE_TYPE_ALIASES,
    CalendarForm,
    CaseTypeForm,
    MailboxForm,
    PolicyForm,
    SampleCaseForm,
    apply_error,
    now_in_reader_zone,
)
from lofte.core import clock
from lofte.core.errors import NotFound, ValidationFailed
from lofte.core.htmx import is_htmx
from lofte.core.ratelimit import ratelimit_hit
from lofte.promises import calendars, policies
from lofte.promises.configure import Sample, calendar_preview, policy_preview
from lofte.promises.models import BusinessCalendar, SlaPolicy
from lofte.promises.selectors import calendar_get, policy_get

# The connection test opens connections to the mailbox's servers from the web process: a few per minute
# are enough to fix a setting, and keep the page from being used to knock on a server.
TEST_LIMIT = 10
TEST_WINDOW = timedelta(minutes=10)


def _agent(request: HttpRequest) -> Agent:
    return request.user  # type: ignore[return-value]


def _found(get: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return get(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@admin_only
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    counts = {
        "calendars": BusinessCalendar.objects.count(),
        "policies": SlaPolicy.objects.aggregate(all=Count("id"), active=Count("id", filter=Q(is_active=True))),
        "case_types": CaseType.objects.aggregate(all=Count("id"), active=Count("id", filter=Q(is_active=True))),
        "mailboxes": Mailbox.objects.aggregate(all=Count("id"), active=Count("id", filter=Q(is_active=True))),
    }
    return render(request, "configure/index.html", {"counts": counts})


# --- calendars ------------------------------------------------------------------------------------------------


@admin_only
@require_GET
def calendar_list(request: HttpRequest) -> HttpResponse:
    rows = BusinessCalendar.objects.order_by("name").annotate(teams=Count("team_links"))
    return render(request, "configure/calendar_list.html", {"rows": rows})


def _calendar_preview(values: dict[str, Any]) -> tuple[Any, str]:
    """The preview of unsaved calendar values, or the engine's reason they cannot be previewed."""
    try:
        fields = calendars.calendar_validate(**{k: v for k, v in values.items() if k != "name"})
    except ValidationFailed as exc:
        return None, exc.message
    language = translation.get_language() or "en"
    return calendar_preview(fields.schedule, now=clock.now(), language=language), ""


def _calendar_form(request: HttpRequest, calendar: BusinessCalendar | None) -> CalendarForm:
    if request.method == "POST":
        slots = max([2, *(int(k.rsplit("_", 1)[1]) + 1 for k in request.POST if k.rsplit("_", 1)[-1].isdigit())])
        return CalendarForm(request.POST, slots=min(slots, 12))
    if calendar is None:
        initial, slots = CalendarForm.initial_for(BusinessCalendar(name=""))
        initial.pop("name")
        return CalendarForm(initial=initial, slots=slots)
    initial, slots = CalendarForm.initial_for(calendar)
    return CalendarForm(initial=initial, slots=slots)


def _preview_context(form: CalendarForm, calendar: BusinessCalendar | None) -> dict[str, Any]:
    if form.is_bound:
        if not form.is_valid():
            return {"preview": None, "preview_error": _("Correct the marked fields to see the preview.")}
        preview, error = _calendar_preview(form.service_values())
        return {"preview": preview, "preview_error": error}
    if calendar is None:
        calendar = BusinessCalendar(name="")  # the defaults a new calendar starts from
    preview, error = _calendar_preview(
        {
            "time_zone": calendar.time_zone,
            "country": calendar.country,
            "always_open": calendar.always_open,
            "opening_hours": calendar.opening_hours,
            "closed_on_eves": calendar.closed_on_eves,
            "closed_days": calendar.closed_days,
            "special_hours": calendar.special_hours,
        }
    )
    return {"preview": preview, "preview_error": error}


@admin_only
@require_http_methods(["GET", "POST"])
def calendar_edit(request: HttpRequest, calendar_id: int | None = None) -> HttpResponse:
    """A new calendar or a saved one; "Preview" (or the page's script, as the form changes) shows the next days
    without saving."""
    calendar = _found(calendar_get, calendar_id=calendar_id) if calendar_id is not None else None
    form = _calendar_form(request, calendar)
    status = 200
    if request.method == "POST" and "preview" not in request.POST:
        if form.is_valid():
            values = form.service_values()
            try:
                if calendar is None:
                    calendar = calendars.calendar_create(**values)
                else:
                    calendars.calendar_update(calendar=calendar, **values)
            except ValidationFailed as exc:
                apply_error(form, exc, aliases=CALENDAR_ALIASES)
            else:
                messages.success(request, _("The calendar %(name)s is saved.") % {"name": calendar.name})
                return redirect("configure:calendar", calendar_id=calendar.pk)
        status = 422
    context = {"calendar": calendar, "form": form, **_preview_context(form, calendar)}
    if is_htmx(request) and "preview" in request.POST:
        return render(request, "configure/partials/_calendar_preview.html", context)
    return render(request, "configure/calendar_edit.html", context, status=status)


@admin_only
@require_http_methods(["GET", "POST"])
def calendar_preview_view(request: HttpRequest, calendar_id: int) -> HttpResponse:
    """The preview alone (HTMX) of the saved calendar (GET) or of the form's values (POST); never saves."""
    calendar = _found(calendar_get, calendar_id=calendar_id)
    form = _calendar_form(request, calendar)
    context = {"calendar": calendar, "form": form, **_preview_context(form, calendar)}
    if is_htmx(request):
        return render(request, "configure/partials/_calendar_preview.html", context)
    return render(request, "configure/calendar_edit.html", context)


# --- SLA policies ---------------------------------------------------------------------------------------------


@admin_only
@require_GET
def policy_list(request: HttpRequest) -> HttpResponse:
    rows = SlaPolicy.objects.order_by("order", "id").select_related(
        "case_type", "team", "first_response_calendar", "next_update_calendar", "resolution_calendar"
    )
    return render(request, "configure/policy_list.html", {"rows": rows})


def _sample_preview(request: HttpRequest, policy: SlaPolicy) -> dict[str, Any]:
    """The sample case asked for (a GET form), or at first one that meets the policy's own conditions."""
    data: Any = request.GET
    if "sample-channel" not in data:
        data = {
            "sample-channel": policy.channel or "email",
            "sample-priority": str(policy.priority or 2),
            "sample-tier": policy.tier or "C",
            "sample-case_type": policy.case_type_id or "",
            "sample-team": policy.team_id or "",
            "sample-now": now_in_reader_zone(),
        }
    sample_form = SampleCaseForm(data, prefix="sample")
    if not sample_form.is_valid():
        return {"sample_form": sample_form, "preview": None}
    data_ = sample_form.cleaned_data
    sample = Sample(
        channel=data_["channel"],
        priority=data_["priority"],
        tier=data_["tier"],
        case_type_id=data_["case_type"].pk if data_["case_type"] else None,
        team_id=data_["team"].pk if data_["team"] else None,
    )
    now = data_.get("now") or clock.now()
    return {"sample_form": sample_form, "preview": policy_preview(sample=sample, now=now, policy=policy)}


@admin_only
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    policy = _found(policy_get, policy_id=policy_id) if policy_id is not None else None
    status = 200
    if request.method == "POST":
        form = PolicyForm(request.POST, policy=policy)
        if form.is_valid():
            values = form.service_values()
            try:
                if policy is None:
                    policy = policies.policy_create(**values)
                else:
                    policies.policy_update(policy=policy, **values)
            except ValidationFailed as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _("The SLA policy %(name)s is saved.") % {"name": policy.name})
                return redirect("configure:policy", policy_id=policy.pk)
        status = 422
    else:
        form = PolicyForm(initial=PolicyForm.initial_for(policy) if policy else None, policy=policy)
    context: dict[str, Any] = {"policy": policy, "form": form}
    if policy is not None:
        context |= _sample_preview(request, policy)
    return render(request, "configure/policy_edit.html", context, status=status)


@admin_only
@require_GET
def policy_preview_view(request: HttpRequest, policy_id: int) -> HttpResponse:
    """Which active policy a sample case gets, and the due times (HTMX: the partial; else the page)."""
    policy = _found(policy_get, policy_id=policy_id)
    context = {"policy": policy, **_sample_preview(request, policy)}
    if is_htmx(request):
        return render(request, "configure/partials/_policy_preview.html", context)
    context["form"] = PolicyForm(initial=PolicyForm.initial_for(policy), policy=policy)
    return render(request, "configure/policy_edit.html", context)


# --- case types -----------------------------------------------------------------------------------------------


@admin_only
@require_GET
def case_type_list(request: HttpRequest) -> HttpResponse:
    rows = CaseType.objects.order_by("-is_active", "name").select_related("default_team").annotate(n=Count("cases"))
    return render(request, "configure/case_type_list.html", {"rows": rows})


def _case_type(case_type_id: int) -> CaseType:
    case_type = CaseType.objects.filter(pk=case_type_id).select_related("default_team").first()
    if case_type is None:
        raise Http404(_("Case type not found."))
    return case_type


@admin_only
@require_http_methods(["GET", "POST"])
def case_type_edit(request: HttpRequest, case_type_id: int | None = None) -> HttpResponse:
    case_type = _case_type(case_type_id) if case_type_id is not None else None
    status = 200
    if request.method == "POST":
        form = CaseTypeForm(request.POST)
        if form.is_valid():
            try:
                if case_type is None:
                    case_type = case_type_create(values=form.values())
                else:
                    case_type_update(case_type=case_type, values=form.values())
            except ValidationFailed as exc:
                apply_error(form, exc, aliases=CASE_TYPE_ALIASES)
            else:
                messages.success(request, _("The case type %(name)s is saved.") % {"name": case_type.name})
                return redirect("configure:case_types")
        status = 422
    else:
        form = CaseTypeForm(initial=CaseTypeForm.initial_for(case_type) if case_type else None)
    in_use = case_type is not None and case_type.cases.exists()  # type: ignore[attr-defined]
    context: dict[str, Any] = {"case_type": case_type, "form": form, "in_use": in_use}
    if case_type is not None:
        shown = form if form.is_bound else CaseTypeForm(_bound(CaseTypeForm.initial_for(case_type)))
        context |= _case_type_preview(shown)
    return render(request, "configure/case_type_edit.html", context, status=status)


def _case_type_preview(form: CaseTypeForm) -> dict[str, Any]:
    """The names customers would see in each language (the model's own fallbacks: the language, English, the
    name), from the form's values; nothing is saved."""
    if not form.is_valid():
        return {"names": None}
    values = form.values()
    unsaved = CaseType(
        name=" ".join(values.name.split()), public_names={k: v for k, v in (values.public_names or {}).items() if v}
    )
    names = [(str(language), unsaved.public_name(code)) for code, language in settings.LANGUAGES]
    return {"names": names, "shown": values.is_public and values.is_active}


@admin_only
@require_http_methods(["GET", "POST"])
def case_type_preview_view(request: HttpRequest, case_type_id: int) -> HttpResponse:
    """What customers see of the case type (HTMX: the partial; else the page), of the saved type or the form."""
    case_type = _case_type(case_type_id)
    if request.method == "POST":
        form = CaseTypeForm(request.POST)
    else:
        form = CaseTypeForm(_bound(CaseTypeForm.initial_for(case_type)))
    context = {"case_type": case_type, "form": form, **_case_type_preview(form)}
    if is_htmx(request):
        return render(request, "configure/partials/_case_type_preview.html", context)
    context["in_use"] = case_type.cases.exists()  # type: ignore[attr-defined]
    return render(request, "configure/case_type_edit.html", context)


@admin_only
@require_POST
def case_type_remove_view(request: HttpRequest, case_type_id: int) -> HttpResponse:
    """Delete an unused case type; one that cases, policies or templates use is deactivated instead."""
    case_type = _case_type(case_type_id)
    name = case_type.name
    if case_type_remove(case_type=case_type) == "deleted":
        messages.success(request, _("The case type %(name)s is deleted.") % {"name": name})
    else:
        messages.success(
            request,
            _("The case type %(name)s is in use, so it was deactivated instead: its cases keep it.") % {"name": name},
        )
    return redirect("configure:case_types")


# --- mailboxes ------------------------------------------------------------------------------------------------


@admin_only
@require_GET
def mailbox_list(request: HttpRequest) -> HttpResponse:
    rows = Mailbox.objects.order_by("name").select_related("team", "case_type")
    return render(request, "configure/mailbox_list.html", {"rows": rows})


def _mailbox(mailbox_id: int) -> Mailbox:
    mailbox = Mailbox.objects.filter(pk=mailbox_id).select_related("team", "case_type").first()
    if mailbox is None:
        raise Http404(_("Mailbox not found."))
    return mailbox


@admin_only
@require_http_methods(["GET", "POST"])
def mailbox_edit(request: HttpRequest, mailbox_id: int | None = None) -> HttpResponse:
    mailbox = _mailbox(mailbox_id) if mailbox_id is not None else None
    status = 200
    if request.method == "POST":
        form = MailboxForm(request.POST, mailbox=mailbox)
        if form.is_valid():
            try:
                if mailbox is None:
                    mailbox = mailbox_create(values=form.values())
                else:
                    mailbox_update(mailbox=mailbox, values=form.values())
            except ValidationFailed as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _("The mailbox %(name)s is saved.") % {"name": mailbox.name})
                return redirect("configure:mailbox", mailbox_id=mailbox.pk)
        status = 422
    else:
        form = MailboxForm(initial=MailboxForm.initial_for(mailbox) if mailbox else None, mailbox=mailbox)
    context: dict[str, Any] = {"mailbox": mailbox, "form": form}
    if mailbox is not None:
        shown = form if form.is_bound else MailboxForm(_bound(MailboxForm.initial_for(mailbox)), mailbox=mailbox)
        context |= _mailbox_preview(shown, mailbox)
    return render(request, "configure/mailbox_edit.html", context, status=status)


def _mailbox_preview(form: MailboxForm, mailbox: Mailbox) -> dict[str, Any]:
    """What the mailbox does with the form's values (never its passwords): the From header replies carry, where
    new cases go, what is fetched and how replies are sent; nothing is saved or checked against a server."""
    if not form.is_valid():
        return {"outline": None}
    data = form.cleaned_data
    unsaved = Mailbox(
        name=data["name"],
        address=(data["address"] or "").strip().lower(),
        display_name=data.get("display_name") or "",
        team=data.get("team"),
        case_type=data.get("case_type"),
        language=data.get("language") or "",
        imap_host=(data.get("imap_host") or "").strip(),
        imap_port=data.get("imap_port") or 993,
        imap_security=data.get("imap_security") or "",
        imap_user=data.get("imap_user") or "",
        imap_folder=data.get("imap_folder") or "INBOX",
        after_fetch=data.get("after_fetch") or "",
        processed_folder=data.get("processed_folder") or "",
        smtp_host=(data.get("smtp_host") or "").strip(),
        smtp_port=data.get("smtp_port") or 587,
        smtp_security=data.get("smtp_security") or "",
        smtp_user=data.get("smtp_user") or "",
    )
    return {"outline": unsaved}


@admin_only
@require_http_methods(["GET", "POST"])
def mailbox_preview_view(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """What the mailbox does, of the saved settings (GET) or the form's (POST) (HTMX: the partial)."""
    mailbox = _mailbox(mailbox_id)
    if request.method == "POST":
        form = MailboxForm(request.POST, mailbox=mailbox)
    else:
        form = MailboxForm(_bound(MailboxForm.initial_for(mailbox)), mailbox=mailbox)
    context = {"mailbox": mailbox, "form": form, **_mailbox_preview(form, mailbox)}
    if is_htmx(request):
        return render(request, "configure/partials/_mailbox_preview.html", context)
    return render(request, "configure/mailbox_edit.html", context)


def _bound(initial: dict[str, Any]) -> dict[str, Any]:
    """Initial values as form data (a checkbox that is off is left out; None is empty)."""
    return {k: v for k, v in initial.items() if v is not None and v is not False} | {
        k: "on" for k, v in initial.items() if v is True
    }


@admin_only
@require_POST
def mailbox_test(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    """Log in to the mailbox's saved IMAP and SMTP servers and say what failed (POST with CSRF; rate-limited)."""
    mailbox = _mailbox(mailbox_id)
    hit = ratelimit_hit(f"configure:mailbox-test:{_agent(request).pk}", limit=TEST_LIMIT, window=TEST_WINDOW)
    context: dict[str, Any] = {"mailbox": mailbox}
    status = 200
    if not hit.allowed:
        context["limited"] = _("Too many connection tests; try again in %(seconds)s seconds.") % {
            "seconds": hit.retry_after
        }
        status = 429
    else:
        context["report"] = mailbox_connection_test(mailbox)
    if is_htmx(request):  # htmx swaps no 4xx answer (base.html): the limit is told in a 200
        response = render(request, "configure/partials/_mailbox_test.html", context)
    else:
        context["form"] = MailboxForm(initial=MailboxForm.initial_for(mailbox), mailbox=mailbox)
        response = render(request, "configure/mailbox_edit.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(hit.retry_after)
    return response
