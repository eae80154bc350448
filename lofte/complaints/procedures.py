"""Complaint procedures: the checklist of a complaint's category (and sub-category), done step by step, with who
did each and when; a step can require a role (a team lead's sign-off). A complaint whose checklist is not complete
cannot be solved by an agent (lofte.cases.guards): the case page and the API say which steps are left. The
customer may still say in the portal that their problem is solved; the procedure then goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lofte.accounts import access
from lofte.accounts.models import Agent, Role
from lofte.cases.models import Case
from lofte.cases.timeline import case_event_add
from lofte.complaints.models import Complaint, ProcedureStep, StepDone, StepRole
from lofte.core import clock
from lofte.core.errors import NotFound, PermissionDenied, ValidationFailed

EVENT_STEP = "complaint_step"


@dataclass(frozen=True)
class StepState:
    step: ProcedureStep
    done: StepDone | None

    @property
    def is_done(self) -> bool:
        return self.done is not None


def _steps_q(complaint: Complaint) -> Q:
    ids = [i for i in (complaint.category_id, complaint.subcategory_id) if i is not None]
    return Q(category_id__in=ids, is_active=True)


def checklist(*, complaint: Complaint) -> list[StepState]:
    """The complaint's steps in order (its category's, then its sub-category's), each with whether it is done:
    two queries."""
    if complaint.category_id is None:
        return []
    steps = list(ProcedureStep.objects.filter(_steps_q(complaint)).select_related("category"))
    steps.sort(key=lambda s: (s.category_id != complaint.category_id, s.order, s.pk))
    done = {d.step_id: d for d in StepDone.objects.filter(complaint=complaint).select_related("done_by")}
    return [StepState(step=s, done=done.get(s.pk)) for s in steps]


def steps_left(*, complaint: Complaint) -> list[ProcedureStep]:
    return [s.step for s in checklist(complaint=complaint) if not s.is_done]


def may_do(agent: Agent, step: ProcedureStep) -> bool:
    if not access.can(agent, access.Perm.CASE_WORK):
        return False
    role = access.role_of(agent)
    if step.required_role == StepRole.ADMIN:
        return role == Role.ADMIN
    if step.required_role == StepRole.TEAM_LEAD:
        return role in (Role.TEAM_LEAD, Role.ADMIN)
    return True


def _step_of(complaint: Complaint, step_id: int) -> ProcedureStep:
    step = ProcedureStep.objects.filter(_steps_q(complaint), pk=step_id).first()
    if step is None:
        raise NotFound(_("That step is not part of this complaint's procedure."))
    return step


@transaction.atomic
def step_done(*, complaint: Complaint, step_id: int, actor: Agent, now: datetime | None = None) -> StepDone:
    """Tick a step off. Idempotent: a step done already stays as it was (who did it first)."""
    access.require(actor, access.Perm.CASE_WORK)
    if not complaint.is_active:
        raise ValidationFailed(_("This case is not a complaint any more."))
    step = _step_of(complaint, step_id)
    if not may_do(actor, step):
        raise PermissionDenied(
            _("This step needs %(who)s: ask one to sign it off.") % {"who": StepRole(step.required_role).label.lower()}
        )
    existing = StepDone.objects.filter(complaint=complaint, step=step).first()
    if existing is not None:
        return existing
    now = now or clock.now()
    try:
        with transaction.atomic():
            done = StepDone.objects.create(complaint=complaint, step=step, done_by=actor, done_at=now)
    except IntegrityError:  # done at the same moment by someone else
        return StepDone.objects.get(complaint=complaint, step=step)
    case_event_add(case=complaint.case, kind=EVENT_STEP, actor=actor, data={"step": step.text, "done": True}, now=now)
    return done


@transaction.atomic
def step_undo(*, complaint: Complaint, step_id: int, actor: Agent) -> None:
    """Untick a step (by whoever may do it). Nothing happens when it was not done."""
    access.require(actor, access.Perm.CASE_WORK)
    step = _step_of(complaint, step_id)
    if not may_do(actor, step):
        raise PermissionDenied(
            _("This step needs %(who)s: ask one to sign it off.") % {"who": StepRole(step.required_role).label.lower()}
        )
    deleted, _rows = StepDone.objects.filter(complaint=complaint, step=step).delete()
    if deleted:
        case_event_add(
            case=complaint.case, kind=EVENT_STEP, actor=actor, data={"step": step.text, "done": False}, now=clock.now()
        )


def solve_check(case: Case, actor: Agent | None) -> None:
    """An agent may not solve a complaint whose procedure is not complete (lofte.cases.guards)."""
    if actor is None:
        return
    complaint = Complaint.objects.filter(case_id=case.pk, is_active=True).first()
    if complaint is None:
        return
    left = steps_left(complaint=complaint)
    if left:
        names = ", ".join(f"“{s.public_text()}”" for s in left)
        raise ValidationFailed(
            ngettext(
                "Complete the complaint's procedure before solving the case: %(count)s step is left (%(steps)s).",
                "Complete the complaint's procedure before solving the case: %(count)s steps are left (%(steps)s).",
                len(left),
            )
            % {"count": len(left), "steps": names},
            field="status",
        )
