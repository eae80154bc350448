"""The example capability's periodic job: a satisfaction survey to every solved case that has none yet, and a
promise about each survey (an answer is read within three days), owned by the case's team."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task

from lofte.cases.models import Case, CaseEvent, Status
from lofte.cases.timeline import case_event_add
from lofte.core import clock
from lofte.promises.models import PromiseKind
from lofte.promises.services import promise_make_about
from tests.example_capability.seams import SURVEY, SURVEY_SENT


@task()
def surveys_due() -> dict[str, int]:
    now = clock.now()
    surveyed = CaseEvent.objects.filter(kind=SURVEY_SENT).values("case_id")
    sent = 0
    for case in Case.objects.filter(status=Status.SOLVED).exclude(pk__in=surveyed):
        event = case_event_add(case=case, kind=SURVEY_SENT, data={"questions": 3}, now=now)
        promise_make_about(
            subject_type=SURVEY,
            subject_id=event.pk,
            kind=PromiseKind.FOLLOW_UP,
            due_at=now + timedelta(days=3),
            now=now,
            owner_team_id=case.team_id,
            owner_agent_id=case.assignee_id,
            case_id=case.pk,
        )
        sent += 1
    return {"surveys": sent}
