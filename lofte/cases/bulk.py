"""Bulk work: one change (status, assignee, team, tags) over the cases an agent selected, in one transaction.

Each case goes through the same service as one changed on its own page (`services.case_update`: the transition
table, one timeline event per change, the promises paused or moved along), in a savepoint of its own, so a case
that cannot take the change (closed, or a status it cannot go to from where it is) is skipped with the reason and
the others are changed. A case the agent may not see is "not found", like one that does not exist, so a selection
cannot probe references. The result says what happened to each: updated, unchanged (it already was so), skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.accounts.selectors import team_get
from lofte.cases import services
from lofte.cases.models import Case, Status, normalise_tag
from lofte.cases.selectors import assignee_get
from lofte.core.errors import DomainError, ValidationFailed

MAX_CASES = 500
KEEP: Any = object()  # a property the change leaves as it is


@dataclass(frozen=True)
class BulkChange:
    """What to do to each selected case; KEEP leaves a property alone (None is "no team" / "nobody")."""

    status: str | None = None
    assignee: Any = KEEP  # Agent | None
    team: Any = KEEP  # Team | None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return (
            not self.status
            and self.assignee is KEEP
            and self.team is KEEP
            and not self.add_tags
            and not self.remove_tags
        )


@dataclass
class BulkResult:
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (reference, why)


def _who(agent: Agent, value: str | int | None, field: str) -> Any:
    match value:
        case None | "":
            return KEEP
        case "me":
            return assignee_get(agent_id=agent.pk, field=field)
        case "none":
            return None
        case int() | str() if str(value).isdigit() and len(str(value)) < 19:
            return assignee_get(agent_id=int(value), field=field)
    raise ValidationFailed(_("Assign to is 'me', 'none' or an agent's id."), field=field)


def _which_team(value: str | int | None, field: str) -> Any:
    match value:
        case None | "":
            return KEEP
        case "none":
            return None
        case int() | str() if str(value).isdigit() and len(str(value)) < 19:
            return team_get(team_id=int(value), field=field)
    raise ValidationFailed(_("Team is 'none' or a team's id."), field=field)


def bulk_change(
    *,
    agent: Agent,
    status: str | None = None,
    assignee: str | int | None = None,
    team: str | int | None = None,
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
    field_prefix: str = "",
) -> BulkChange:
    """A change as a form or the API sends it: the assignee 'me', 'none' or an agent's id, the team 'none' or a
    team's id, empty or None to keep either; an error names the field with `field_prefix` (the form's set_)."""
    return BulkChange(
        status=status or None,
        assignee=_who(agent, assignee, f"{field_prefix}assignee"),
        team=_which_team(team, f"{field_prefix}team"),
        add_tags=tuple(add_tags),
        remove_tags=tuple(remove_tags),
    )


def _references(references: Sequence[str]) -> list[str]:
    clean = list(dict.fromkeys(r.strip().upper() for r in references if r and r.strip()))
    if not clean:
        raise ValidationFailed(_("Select at least one case."), field="cases")
    if len(clean) > MAX_CASES:
        raise ValidationFailed(_("Select at most %(max)d cases at a time.") % {"max": MAX_CASES}, field="cases")
    return clean


def _tags(names: Sequence[str]) -> set[str]:
    return {normalise_tag(n) for n in names if n and n.strip()}


def _changes(case: Case, change: BulkChange, add: set[str], remove: set[str]) -> dict[str, Any]:
    """What case_update must do to this case for the change (nothing it already is)."""
    kwargs: dict[str, Any] = {}
    if change.status and change.status != case.status:
        kwargs["status"] = change.status
    if change.assignee is not KEEP and change.assignee != case.assignee:
        kwargs["assignee"] = change.assignee
    if change.team is not KEEP and change.team != case.team:
        kwargs["team"] = change.team
    if add or remove:
        old = {t.name for t in case.tags.all()}
        new = (old | add) - remove
        if new != old:
            kwargs["tags"] = sorted(new)
    return kwargs


def cases_bulk_update(*, agent: Agent, references: Sequence[str], change: BulkChange) -> BulkResult:
    """Apply `change` to each case in `references` the agent may see; see the module's docstring."""
    access.require(agent, access.Perm.CASE_WORK)
    if change.is_empty():
        raise ValidationFailed(_("Choose what to change: a status, an assignee, a team or tags."), field="cases")
    if change.status and change.status not in Status.values:
        raise ValidationFailed(_("'%(value)s' is not a status.") % {"value": change.status}, field="status")
    wanted = _references(references)
    add, remove = _tags(change.add_tags), _tags(change.remove_tags)
    if add & remove:
        raise ValidationFailed(
            _("A tag cannot be both added and removed: %(tags)s.") % {"tags": ", ".join(sorted(add & remove))},
            field="remove_tags",
        )
    result = BulkResult()
    with transaction.atomic():
        cases = {
            c.reference: c
            for c in Case.objects.filter(access.case_scope_q(agent), reference__in=wanted)
            .select_for_update(of=("self",))  # what is decided below is what each case is until the commit
            .select_related("team", "assignee", "customer")
            .prefetch_related("tags")
        }
        for reference in wanted:
            case = cases.get(reference)
            if case is None:
                result.skipped.append((reference, str(_("not found"))))
                continue
            if case.status == Status.CLOSED:
                result.skipped.append((reference, str(_("closed"))))
                continue
            kwargs = _changes(case, change, add, remove)
            if not kwargs:
                result.unchanged.append(reference)
                continue
            try:
                services.case_update(case=case, actor=agent, **kwargs)  # a savepoint of its own
            except DomainError as exc:
                result.skipped.append((reference, str(exc.message)))
            else:
                result.updated.append(reference)
    return result
