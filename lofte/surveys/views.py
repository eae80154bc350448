"""The survey page a customer opens from the link, without logging in; the employee pulse's pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lofte.accounts import access
from lofte.accounts.decorators import forbidden
from lofte.accounts.models import Agent
from lofte.cases.delivery import customer_language
from lofte.core.errors import DomainError, PermissionDenied
from lofte.core.links import LinkClosed
from lofte.surveys import pulse, services
from lofte.surveys.models import PULSE_MIN_GROUP, SCORES, PulseRound, Reason, SurveyKind


def _closed(request: HttpRequest, exc: LinkClosed) -> HttpResponse:
    with translation.override(exc.language or translation.get_language()):
        return render(request, "surveys/survey_closed.html", {"reason": exc.message}, status=exc.status)


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The question (GET records nothing: mail scanners open links; the link's ?score= only pre-chooses) and the
    answer (POST), in the customer's language. A link that is altered, used or expired gets a friendly page and
    records nothing."""
    try:
        found = services.survey_for_token(token)
    except LinkClosed as exc:
        return _closed(request, exc)
    language = customer_language(found.case)
    error = ""
    data = request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        try:
            with translation.override(language):
                answered = services.survey_answer(
                    token=token,
                    score=data.get("score", ""),
                    helped=data.get("helped", ""),
                    reason=data.get("reason", ""),
                    comment=data.get("comment", ""),
                )
        except LinkClosed as exc:
            return _closed(request, exc)
        except DomainError as exc:
            error = exc.message
        else:
            with translation.override(language):
                return render(request, "surveys/survey_done.html", {"negative": answered.negative})
    low, high = SCORES[found.kind]
    with translation.override(language):
        return render(
            request,
            "surveys/survey.html",
            {
                "kind": found.kind,
                "reference": found.case.reference,
                "scale": list(range(low, high + 1)) if found.kind != SurveyKind.CSAT else [],
                "chosen": str(data.get("score", ""))[:2],
                "helped": str(data.get("helped", ""))[:8],
                "reason": str(data.get("reason", ""))[:16],
                "reasons": Reason.choices,
                "comment": request.POST.get("comment", "")[:2000],
                "error": error,
            },
            status=422 if error else 200,
        )


# --- the employee pulse ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pulse_page(request: HttpRequest) -> HttpResponse:
    """The open pulse for the agent to answer once, anonymously; or that they have, or that none is open."""
    agent: Agent = request.user  # type: ignore[assignment]
    current = pulse.pulse_current()
    error, field = "", ""
    if request.method == "POST" and current is not None:
        try:
            pulse.pulse_answer(
                agent=agent,
                pulse=current,
                enps=request.POST.get("enps", ""),
                equipped=request.POST.get("equipped", ""),
                workload=request.POST.get("workload", ""),
                comment=request.POST.get("comment", ""),
            )
        except DomainError as exc:
            error, field = exc.message, exc.field or ""
        else:
            messages.success(request, _("Thank you: your answer is stored without your name."))
            return redirect("surveys:pulse")
    answered = current is not None and pulse.has_answered(agent, current)
    return render(
        request,
        "surveys/pulse.html",
        {
            "pulse": current,
            "answered": answered,
            "enps_scale": list(range(0, 11)),
            "five": list(range(1, 6)),
            "posted": request.POST,
            "error": error,
            "field": field,
            "min_group": PULSE_MIN_GROUP,
        },
        status=422 if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def pulse_results_page(request: HttpRequest) -> HttpResponse:
    """Every round's figures (team leads and admins), never of a group below the smallest; admins open a round."""
    agent: Agent = request.user  # type: ignore[assignment]
    try:
        access.require(agent, access.Perm.PULSE_RESULTS)
        if request.method == "POST":
            access.require(agent, access.Perm.CONFIGURE)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    error = ""
    if request.method == "POST":
        try:
            days = int(request.POST.get("days", "") or 0)
        except ValueError:
            days = 0
        try:
            pulse.pulse_open(actor=agent, title=request.POST.get("title", ""), days=days)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, _("The pulse is open: every agent can answer it under Pulse."))
            return redirect("surveys:pulse_results")
    rounds = list(PulseRound.objects.all()[:12])
    invited = pulse.invited_count()
    return render(
        request,
        "surveys/pulse_results.html",
        {
            "results": [pulse.pulse_results(r, invited=invited) for r in rounds],
            "can_open": access.can(agent, access.Perm.CONFIGURE),
            "error": error,
            "posted": request.POST,
            "min_group": PULSE_MIN_GROUP,
        },
        status=422 if error else 200,
    )
