from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from lofte.accounts import access


def roles(request: HttpRequest) -> dict[str, Any]:
    """What the top bar offers the reader (no queries: the role is on the user row)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "can_manage_teams": access.can(user, access.Perm.TEAM_SETTINGS),  # type: ignore[arg-type]
        "can_work_cases": access.can(user, access.Perm.CASE_WORK),  # type: ignore[arg-type]
        "undo_seconds": settings.LOFTE_UNDO_SECONDS,  # a reply, a bulk change, a merge wait to be undone
    }
