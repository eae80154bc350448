from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from lofte.notifications.selectors import notification_unread_count


def unread(request: HttpRequest) -> dict[str, Any]:
    """The unread count for the top bar (one indexed COUNT, only for logged-in pages)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "htmx", False):
        return {}
    return {"unread_notifications": notification_unread_count(agent=user)}  # type: ignore[arg-type]
