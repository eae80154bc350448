"""Reads for notifications: an agent's own, and of those about a case only the ones whose case the agent may
still see (lofte.accounts.access): a case handed to another team takes its reminders and breaches with it."""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Length, Substr

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.notifications.models import Notification

# A notification about a case links to its page, /cases/<reference>/ (lofte.promises.services, lofte.cases.services).
CASE_URL_PREFIX = "/cases/"


def _visible(agent: Agent) -> QuerySet[Notification]:
    """The agent's notifications, without those about a case the agent may not see; per row two lookups on the
    case reference's unique index, so a page or the unread count costs the same however many cases there are."""
    own = Notification.objects.filter(agent=agent)
    if access.is_admin(agent):
        return own
    # The cases app sits above this one: its model is reached through the agent's relation, not imported.
    cases = Agent._meta.get_field("assigned_cases").related_model._default_manager  # type: ignore[union-attr]
    start = len(CASE_URL_PREFIX) + 1
    reference = Substr(F("url"), start, Length("url") - Value(start))  # between the prefix and the last "/"
    about = cases.filter(reference=OuterRef("case_reference"))
    hidden = (
        Q(url__startswith=CASE_URL_PREFIX, url__endswith="/")
        & Exists(about)
        & ~Exists(about.filter(access.case_scope_q(agent)))
    )
    return own.annotate(case_reference=reference).exclude(hidden)


def notification_list(*, agent: Agent, limit: int = 50) -> list[Notification]:
    return list(_visible(agent).order_by("-created_at", "-id")[:limit])


def notification_unread_count(*, agent: Agent) -> int:
    return _visible(agent).filter(read_at__isnull=True).count()
