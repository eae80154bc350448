"""The allowed status changes, as a table. Anything not listed raises InvalidTransition."""

from __future__ import annotations

from django.utils.translation import gettext as _

from lofte.cases.models import Status
from lofte.core.errors import InvalidTransition

S = Status

ALLOWED: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.OPEN, S.WAITING_ON_CUSTOMER, S.WAITING_ON_THIRD_PARTY, S.SOLVED, S.CLOSED}),
    S.OPEN: frozenset({S.WAITING_ON_CUSTOMER, S.WAITING_ON_THIRD_PARTY, S.SOLVED, S.CLOSED}),
    S.WAITING_ON_CUSTOMER: frozenset({S.OPEN, S.WAITING_ON_THIRD_PARTY, S.SOLVED, S.CLOSED}),
    S.WAITING_ON_THIRD_PARTY: frozenset({S.OPEN, S.WAITING_ON_CUSTOMER, S.SOLVED, S.CLOSED}),
    S.SOLVED: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset(),
}


def allowed_targets(current: str) -> list[str]:
    """The statuses a case in `current` may move to, in the table's display order."""
    return [s for s in Status.values if s in ALLOWED[current]]


def check(current: str, target: str) -> None:
    if target not in Status.values:
        raise InvalidTransition(
            _("'%(value)s' is not a status.") % {"value": target}, field="status", code="unknown_status"
        )
    if target not in ALLOWED[current]:
        raise InvalidTransition(
            _("A case cannot go from %(old)s to %(new)s.")
            % {"old": Status(current).label, "new": Status(target).label},
            field="status",
        )
