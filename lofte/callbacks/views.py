"""Callback pages. Thin: parse, check, call a selector or service, render.

/callback is public: a number, a name and a free slot, one click to book. A
slot taken between showing and booking answers the page again (409) with a
clear message and the next free slots. Per-hour limits per client address
and per number (429). The confirmation page is reached through a signed,
short-lived link.

/callbacks/ is the agents' queue: due now, upcoming and overdue callbacks,
each with a tel: link and a one-form outcome log, the callbacks kept on time
per team, and forms to book a callback and log a call.
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.callbacks import selectors, services
from lofte.callbacks.forms import AgentBookForm, AttemptForm, CallbackRequestForm, CallForm
from lofte.callbacks.models import Outcome, Source
from lofte.cases.selectors import case_get_for_agent
from lofte.core import clock
from lofte.core.errors import DomainError, NotFound, ValidationFailed
from lofte.core.ratelimit import RateResult, client_key, ratelimit_hit
from lofte.customers.identities import normalise
from lofte.customers.models import IdentityKind

RATE_WINDOW = timedelta(hours=1)
CONFIRMATION_SALT = "lofte.callbacks.booked"
CONFIRMATION_MAX_AGE = 3600
KEPT_DAYS = 30


def _agent(request: HttpRequest) -> Agent:
    return request.user  # type: ignore[return-value]


def _language(request: HttpRequest) -> str:
    wanted = request.GET.get("lang", "")[:16]
    if wanted:
        try:
            chosen = translation.get_supported_language_variant(wanted)
        except LookupError:
            chosen = ""
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen  # type: ignore[attr-defined]
    return translation.get_language() or settings.LANGUAGE_CODE


def _public_team(value: Any) -> Team | None:
    teams = {t.pk: t for t in selectors.callback_teams()}
    if value not in (None, "") and str(value).isdigit() and int(value) in teams:
        return teams[int(value)]
    return selectors.default_callback_team()


def _days(slots: list[selectors.FreeSlot], zone: str) -> list[dict[str, Any]]:
    """Slots grouped by local day, for the picker."""
    tz = ZoneInfo(zone)
    days: list[dict[str, Any]] = []
    for slot in slots:
        local = slot.start.astimezone(tz)
        if not days or days[-1]["date"] != local.date():
            days.append({"date": local.date(), "slots": []})
        days[-1]["slots"].append(
            {
                "value": local.isoformat(),
                "start": local.strftime("%H:%M"),
                "end": slot.end.astimezone(tz).strftime("%H:%M"),
                "free": slot.free,
            }
        )
    return days


def _render_request(
    request: HttpRequest,
    *,
    team: Team | None,
    form: CallbackRequestForm,
    language: str,
    notice: str = "",
    slots: list[selectors.FreeSlot] | None = None,
    status: int = 200,
) -> HttpResponse:
    days: list[dict[str, Any]] = []
    if team is not None:
        capacity = selectors.capacity_for(team=team)
        if slots is None:
            slots = selectors.callback_slots(team=team, start=clock.now(), days=settings.LOFTE_CALLBACK_DAYS)
        days = _days(slots, capacity.calendar.time_zone)
    languages = [
        {
            "code": code,
            "name": translation.get_language_info(code)["name_local"],
            "url": f"{request.path}?lang={code}" + (f"&team={team.pk}" if team else ""),
            "current": code == language,
        }
        for code, _name in settings.LANGUAGES
    ]
    context = {
        "form": form,
        "team": team,
        "days": days,
        "notice": notice,
        "chosen": str(form.data.get("slot", "")) if form.is_bound else "",
        "page": {"embed": False},
        "languages": languages,
        "action": f"{request.path}?lang={language}",
    }
    response = render(request, "callbacks/request.html", context, status=status)
    add_never_cache_headers(response)
    return response


def _client_key(request: HttpRequest) -> str:
    """The client address, or for IPv6 its /64 (one household or host), as the contact form counts it."""
    return client_key(request.META.get("REMOTE_ADDR") or "")


def _too_many(request: HttpRequest, team: Team | None, form: CallbackRequestForm, language: str, result: RateResult):  # type: ignore[no-untyped-def]
    minutes = max(1, math.ceil(result.retry_after / 60))
    notice = ngettext(
        "Too many requests: please try again in %(minutes)d minute.",
        "Too many requests: please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    response = _render_request(request, team=team, form=form, language=language, notice=notice, status=429)
    response["Retry-After"] = str(result.retry_after)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def callback_request(request: HttpRequest) -> HttpResponse:
    language = _language(request)
    if request.method != "POST":
        team = _public_team(request.GET.get("team"))
        form = CallbackRequestForm(initial={"team": team.pk if team else None})
        return _render_request(request, team=team, form=form, language=language)
    form = CallbackRequestForm(request.POST)
    team = _public_team(request.POST.get("team"))
    ip = ratelimit_hit(
        f"callback:ip:{_client_key(request)}", limit=settings.LOFTE_CALLBACK_RATE_PER_IP, window=RATE_WINDOW
    )
    if not ip.allowed:
        return _too_many(request, team, form, language, ip)
    if team is None or not form.is_valid():
        return _render_request(request, team=team, form=form, language=language, status=422)
    try:
        number = normalise(IdentityKind.PHONE, form.cleaned_data["phone"], field="phone")
    except ValidationFailed as exc:
        form.add_error("phone", exc.message)
        return _render_request(request, team=team, form=form, language=language, status=422)
    digest = hashlib.sha256(number.encode()).hexdigest()[:32]
    per_number = ratelimit_hit(
        f"callback:to:{digest}", limit=settings.LOFTE_CALLBACK_RATE_PER_NUMBER, window=RATE_WINDOW
    )
    if not per_number.allowed:
        return _too_many(request, team, form, language, per_number)
    try:
        callback = services.callback_book(
            team=team,
            slot_start=form.cleaned_data["slot"],
            phone=number,
            name=form.cleaned_data["name"],
            source=Source.WEB,
            language=language,
        )
    except services.SlotFull as exc:
        return _render_request(
            request, team=team, form=form, language=language, notice=exc.message, slots=exc.next_slots, status=409
        )
    except DomainError as exc:
        field = "slot" if exc.field == "slot_start" else exc.field
        form.add_error(field if field in form.fields else None, exc.message)
        return _render_request(request, team=team, form=form, language=language, status=422)
    token = signing.dumps({"id": callback.pk}, salt=CONFIRMATION_SALT)
    return redirect(f"{reverse('callbacks:booked')}?k={token}&lang={language}")


@require_GET
def callback_booked(request: HttpRequest) -> HttpResponse:
    _language(request)
    try:
        data = signing.loads(request.GET.get("k", ""), salt=CONFIRMATION_SALT, max_age=CONFIRMATION_MAX_AGE)
        callback = selectors.callback_get(callback_id=int(data["id"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, NotFound):
        raise Http404(_("This confirmation link has expired.")) from None
    context = {
        "callback": callback,
        "text": callback.promise.customer_text if callback.promise else "",
        "page": {"embed": False},
        "languages": [],
    }
    response = render(request, "callbacks/booked.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- agents ---------------------------------------------------------------------------


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    now = clock.now()
    team = request.GET.get("team", "")
    data = selectors.callback_queue(agent=agent, now=now, team=int(team) if team.isdigit() else None)
    kept = selectors.callbacks_kept_on_time(agent=agent, since=now - timedelta(days=KEPT_DAYS))
    teams = selectors.callback_teams()
    default = selectors.default_callback_team()
    slots: list[selectors.FreeSlot] = []
    if default is not None:
        slots = selectors.callback_slots(team=default, start=now, days=settings.LOFTE_CALLBACK_DAYS, limit=40)
    context = {
        "queue": data,
        "kept": kept,
        "kept_days": KEPT_DAYS,
        "attempt_form": AttemptForm(),
        "call_form": CallForm(initial={"next": reverse("callbacks:queue")}),
        "book_form": AgentBookForm(initial={"team": default.pk if default else None}),
        "teams": teams,
        "slots": slots,
        "now": now,
    }
    return render(request, "callbacks/queue.html", context)


@login_required
@require_POST
def attempt(request: HttpRequest, callback_id: int) -> HttpResponse:
    agent = _agent(request)
    try:
        callback = selectors.callback_get_for_agent(agent=agent, callback_id=callback_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    form = AttemptForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what happened."))
        return redirect("callbacks:queue")
    try:
        access.require(agent, access.Perm.CASE_WORK)
        services.callback_attempt_log(
            callback=callback, agent=agent, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("callbacks:queue")
    outcome = Outcome(form.cleaned_data["outcome"]).label
    messages.success(
        request, _("%(reference)s: %(outcome)s logged.") % {"reference": callback.case.reference, "outcome": outcome}
    )
    return redirect("callbacks:queue")


@login_required
@require_POST
def book(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    form = AgentBookForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("callbacks:queue")
    try:
        access.require(agent, access.Perm.CASE_WORK)
        team_id = form.cleaned_data["team"]
        team = next((t for t in selectors.callback_teams() if t.pk == team_id), None)
        if team is None:
            raise ValidationFailed(_("Choose a team that takes callbacks."), field="team")
        case = None
        if form.cleaned_data["case"]:
            case = case_get_for_agent(agent=agent, reference=form.cleaned_data["case"].strip())
        callback = services.callback_book(
            team=team,
            slot_start=form.cleaned_data["slot"],
            phone=form.cleaned_data["phone"],
            name=form.cleaned_data["name"],
            case=case,
            source=Source.AGENT,
            actor=agent,
        )
    except services.SlotFull as exc:
        times = ", ".join(s.start.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%a %H:%M") for s in exc.next_slots)
        messages.error(request, f"{exc.message} {_('Next free:')} {times or '—'}")
        return redirect("callbacks:queue")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("callbacks:queue")
    messages.success(request, _("Callback booked on %(reference)s.") % {"reference": callback.case.reference})
    return redirect("callbacks:queue")


def _safe_next(request: HttpRequest, value: str, fallback: str) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return value
    return fallback


@login_required
@require_POST
def call_new(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    form = CallForm(request.POST)
    fallback = reverse("callbacks:queue")
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(_safe_next(request, request.POST.get("next", ""), fallback))
    data = form.cleaned_data
    back = _safe_next(request, data["next"], fallback)
    try:
        access.require(agent, access.Perm.CASE_WORK)
        case = case_get_for_agent(agent=agent, reference=data["case"].strip()) if data["case"] else None
        minutes: Decimal | None = data["duration_minutes"]
        logged = services.call_log(
            case=case,
            agent=agent,
            direction=data["direction"],
            number=data["number"],
            duration_seconds=int((minutes or 0) * 60),
            notes=data["notes"],
            outcome=data["outcome"],
            acknowledge=bool(data.get("acknowledge")),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    text = _("Call logged on %(reference)s.") % {"reference": logged.case.reference}
    if logged.kept:
        text += " " + _("The callback promise is kept.")
    messages.success(request, text)
    return redirect(back)


@login_required
@require_GET
def kept_json(request: HttpRequest) -> JsonResponse:
    """Callbacks kept on time per team over the last 30 days, as JSON."""
    rows = selectors.callbacks_kept_on_time(agent=_agent(request), since=clock.now() - timedelta(days=KEPT_DAYS))
    return JsonResponse(
        {
            "days": KEPT_DAYS,
            "teams": [
                {
                    "team": r.team_id,
                    "name": r.team_name,
                    "on_time": r.on_time,
                    "late": r.late,
                    "broken": r.broken,
                    "percent_on_time": r.percent,
                }
                for r in rows
            ],
        }
    )
