"""Checks other apps make before a case is solved, registered by the apps above cases (a complaint's procedure
must be complete): `solve_check(case, actor)` raises a ValidationFailed that says what is missing. The services
that solve a case (case_transition, case_update, case_reply) call it before they write anything, so a refused
solve changes nothing. The cases app imports none of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lofte.accounts.models import Agent
    from lofte.cases.models import Case

SolveCheck = Callable[["Case", "Agent | None"], object]

_registered: list[SolveCheck] = []


def register(fn: SolveCheck) -> None:
    if fn not in _registered:
        _registered.append(fn)


def solve_check(case: Case, actor: Agent | None) -> None:
    """Raise (ValidationFailed) when a registered check says the case may not be solved yet."""
    for fn in _registered:
        fn(case, actor)
