"""The survey page a customer opens from the link, without logging in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from lofte.cases.delivery import customer_language
from lofte.core.errors import DomainError
from lofte.surveys import services
from lofte.surveys.models import SCORES, Reason, SurveyKind


def _closed(request: HttpRequest, exc: services.LinkClosed) -> HttpResponse:
    with translation.override(exc.language or translation.get_language()):
        return render(request, "surveys/survey_closed.html", {"reason": exc.message}, status=exc.status)


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The question (GET records nothing: mail scanners open links; the link's ?score= only pre-chooses) and the
    answer (POST), in the customer's language. A link that is altered, used or expired gets a friendly page and
    records nothing."""
    try:
        found = services.survey_for_token(token)
    except services.LinkClosed as exc:
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
        except services.LinkClosed as exc:
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
