from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from lofte.notifications.selectors import notification_unread_count


def unread(request: HttpRequest) -> dict[str, Any]:
    """The unread count for the top bar (one indexed COUNT, only for logged-in pages, once per request: the
    panels other apps add to a page render with the same request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "htmx", False):
        return {}
    count = getattr(request, "_lofte_unread", None)
    if count is None:
        count = notification_unread_count(agent=user)  # type: ignore[arg-type]
        request._lofte_unread = count  # type: ignore[attr-defined]
    return {"unread_notifications": count}
