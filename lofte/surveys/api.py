"""The surveys API: a case's surveys and their answers (as the case page shows them), and the employee pulse's
results (as its page shows them: through `pulse_results`, never a group below five answers). Thin handlers."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.cases.selectors import case_get_for_agent
from lofte.core.errors import NotFound
from lofte.core.schemas import ErrorOut, Id
from lofte.surveys import pulse
from lofte.surveys.models import PulseRound, Survey
from lofte.surveys.schemas import PulseResultsOut, SurveyOut

router = Router(tags=["surveys"])


@router.get(
    "/cases/{reference}/surveys",
    response={200: list[SurveyOut], 404: ErrorOut},
    summary="The case's surveys, newest first, with their answers",
)
def case_surveys(request: HttpRequest, reference: str) -> object:
    agent: Agent = request.auth  # type: ignore[attr-defined]
    case = case_get_for_agent(agent=agent, reference=reference)  # a case the agent cannot see is not found
    return list(Survey.objects.filter(case=case).order_by("-due_at", "-id")[:50])


@router.get(
    "/pulses",
    response={200: list[PulseResultsOut], 403: ErrorOut},
    summary="The employee pulses' results, newest first (never a group below five answers)",
)
def pulses(request: HttpRequest) -> object:
    agent: Agent = request.auth  # type: ignore[attr-defined]
    access.require(agent, access.Perm.PULSE_RESULTS)
    invited = pulse.invited_count()
    return [_results(r, invited=invited) for r in PulseRound.objects.all()[:12]]


@router.get(
    "/pulses/{pulse_id}",
    response={200: PulseResultsOut, 403: ErrorOut, 404: ErrorOut},
    summary="One employee pulse's results (never a group below five answers)",
)
def pulse_detail(request: HttpRequest, pulse_id: Id) -> object:
    agent: Agent = request.auth  # type: ignore[attr-defined]
    access.require(agent, access.Perm.PULSE_RESULTS)
    found = PulseRound.objects.filter(pk=pulse_id).first()
    if found is None:
        raise NotFound(_("There is no such pulse."))
    return _results(found)


def _results(found: PulseRound, *, invited: int | None = None) -> dict[str, object]:
    results = pulse.pulse_results(found, invited=invited)
    return {
        "id": found.pk,
        "title": found.title,
        "opened_at": found.opened_at,
        "closes_at": found.closes_at,
        "invited": results.invited,
        "answers": results.answers,
        "figures": results.figures,
        "teams": results.teams,
        "hidden_answers": results.hidden_answers,
        "comments": results.comments,
    }
