"""The example capability's API router: what an app adds to /api/v1, with access checked by the one access
module (a case the agent may not see is not found; a QA reviewer may read but not send)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.cases.models import CaseEvent
from lofte.cases.selectors import case_get_for_agent
from lofte.cases.timeline import case_event_add
from lofte.core import clock
from lofte.core.schemas import ErrorOut, InSchema
from tests.example_capability.seams import SURVEY_SENT

router = Router(tags=["example surveys"])


class SurveyIn(InSchema):
    questions: int = Field(ge=1, le=20)


class SurveysOut(Schema):
    reference: str
    sent: int


def _agent(request: HttpRequest) -> Agent:
    return request.auth  # type: ignore[attr-defined,no-any-return]


@router.get("/surveys/{reference}", response={200: SurveysOut, 404: ErrorOut})
def surveys_sent(request: HttpRequest, reference: str) -> SurveysOut:
    case = case_get_for_agent(agent=_agent(request), reference=reference)
    return SurveysOut(reference=case.reference, sent=CaseEvent.objects.filter(case=case, kind=SURVEY_SENT).count())


@router.post("/surveys/{reference}", response={201: SurveysOut, 403: ErrorOut, 404: ErrorOut})
def survey_send(request: HttpRequest, reference: str, data: SurveyIn) -> Status:
    agent = _agent(request)
    case = case_get_for_agent(agent=agent, reference=reference)
    access.require(agent, access.Perm.CASE_WORK)
    case_event_add(case=case, kind=SURVEY_SENT, actor=agent, data={"questions": data.questions}, now=clock.now())
    sent = CaseEvent.objects.filter(case=case, kind=SURVEY_SENT).count()
    return Status(201, SurveysOut(reference=case.reference, sent=sent))
