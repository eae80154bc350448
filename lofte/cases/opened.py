"""What else happens when a case is opened, registered by the apps above cases (routing gives the new case to an
agent): `case_open` calls `case_opened(case)` once, at its end, inside the transaction that created the case, so a
registered function's writes commit or roll back with the case. The cases app imports none of them.

Likewise `case_update` calls `case_type_changed(case, actor)` after it gave a case another case type (a complaint
case type makes the case a complaint)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lofte.accounts.models import Agent
    from lofte.cases.models import Case

CaseOpened = Callable[["Case"], object]
TypeChanged = Callable[["Case", "Agent | None"], object]

_registered: list[CaseOpened] = []
_type_changed: list[TypeChanged] = []


def register(fn: CaseOpened) -> None:
    """Call `fn(case)` for every case opened from now on (once per function, however often it is registered)."""
    if fn not in _registered:
        _registered.append(fn)


def case_opened(case: Case) -> None:
    """Called by lofte.cases.services.case_open, inside its transaction, with the case just created."""
    for fn in _registered:
        fn(case)


def type_changed_register(fn: TypeChanged) -> None:
    """Call `fn(case, actor)` whenever case_update gives a case another case type (once per function)."""
    if fn not in _type_changed:
        _type_changed.append(fn)


def case_type_changed(case: Case, actor: Agent | None) -> None:
    """Called by lofte.cases.services.case_update, inside its transaction, after the case was saved."""
    for fn in _type_changed:
        fn(case, actor)
