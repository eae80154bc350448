"""What a promise can be about: the subject types the apps register.

A promise belongs to a subject (`Promise.subject_type`, `Promise.subject_id`): a case, a callback, an incident,
a customer. The engine makes, keeps, pauses, cancels and ticks them all the same way; what it needs to know of a
subject, it asks the subject type its app registered (in AppConfig.ready()): how to name it in a notification
and where to link. The promises app imports none of those apps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.functional import Promise as LazyText

if TYPE_CHECKING:
    from lofte.promises.models import Promise

# (the promise) -> (the reference a notification names, the page it links to); ("", "") when there is none
Describe = Callable[["Promise"], tuple[str, str]]


@dataclass(frozen=True)
class SubjectType:
    name: str
    label: str | LazyText
    describe: Describe | None = None
    # A broken customer-facing promise about this subject, on a case, is told to the customer honestly with one
    # new time this many hours on, whether or not the case type asks for breach notices (0: as the case type says)
    breach_notice_hours: int = 0


_types: dict[str, SubjectType] = {}


def subject_type_register(subject: SubjectType) -> SubjectType:
    _types[subject.name] = subject
    return subject


def subject_type(name: str) -> SubjectType | None:
    return _types.get(name)


def subject_types() -> list[SubjectType]:
    return list(_types.values())


def breach_notice_hours() -> dict[str, int]:
    """The subject types whose broken promises are always told to the customer: name -> hours to the new time."""
    return {t.name: t.breach_notice_hours for t in _types.values() if t.breach_notice_hours > 0}


def describe(promise: Promise) -> tuple[str, str]:
    """The reference and link a notification about this promise gives (by its subject type's rule)."""
    known = _types.get(promise.subject_type)
    if known is None or known.describe is None:
        return "", ""
    return known.describe(promise)
