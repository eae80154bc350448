from __future__ import annotations

from lofte.accounts.models import Agent
from lofte.notifications.models import Notification


def notification_list(*, agent: Agent, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.filter(agent=agent).order_by("-created_at", "-id")[:limit])


def notification_unread_count(*, agent: Agent) -> int:
    return Notification.objects.filter(agent=agent, read_at__isnull=True).count()
