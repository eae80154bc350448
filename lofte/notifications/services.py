"""Notifying agents: an in-app notification, and optionally an email through the outbox."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from email.utils import make_msgid

from django.conf import settings
from django.utils import translation

from lofte.accounts.models import Agent
from lofte.notifications.models import Notification
from lofte.notifications.readers import reader_language
from lofte.notifications.selectors import admin_agents
from lofte.outbox.models import OutboxMessage
from lofte.outbox.services import outbox_enqueue_many

# (agent, kind, text, url, dedupe_key)
Item = tuple[Agent, str, str, str, str]


def notify_many(items: Iterable[Item], *, now: datetime, email: bool = False) -> int:
    """Create the notifications (a dedupe key already used is skipped) and email each agent once per item.

    Two queries for any number of items: one INSERT of notifications, one of outbox rows.
    """
    items = list(items)
    if not items:
        return 0
    keys = [key for *_rest, key in items]
    seen = set(Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    fresh = [i for i in items if i[4] not in seen]
    Notification.objects.bulk_create(
        [Notification(agent=a, kind=k, text=t[:500], url=u, dedupe_key=d, created_at=now) for a, k, t, u, d in fresh],
        ignore_conflicts=True,
    )
    if email:
        base = settings.LOFTE_BASE_URL.rstrip("/")
        outbox_enqueue_many(
            [
                OutboxMessage(
                    channel="email",
                    to=agent.email,
                    payload={"subject": f"[Lofte] {text[:120]}", "text": f"{text}\n\n{base}{url}" if url else text},
                    external_id=make_msgid(domain=settings.LOFTE_MESSAGE_ID_DOMAIN),
                )
                for agent, _kind, text, url, _key in fresh
                if agent.email
            ]
        )
    return len(fresh)


def notify_admins(
    *, kind: str, render: Callable[[Agent], str], url: str, dedupe_key: str, now: datetime, email: bool = True
) -> int:
    """Tell every admin (lofte.accounts.access decides who is one): `render(agent)` is called in the admin's
    own language, so the text reads in it. Each admin is told once per `dedupe_key`."""
    items: list[Item] = []
    for agent in admin_agents():
        with translation.override(reader_language(agent)):
            text = render(agent)
        items.append((agent, kind, text, url, f"{dedupe_key}:{agent.pk}"))
    return notify_many(items, now=now, email=email)


def notification_mark_read(*, agent: Agent, notification_id: int | None, now: datetime) -> int:
    """Mark one notification (or, with None, all) of the agent as read."""
    qs = Notification.objects.filter(agent=agent, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=now)
