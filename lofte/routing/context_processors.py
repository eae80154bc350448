"""`my_status` in every page's context, for the status control in the page header (base.html): read only when a
template uses it (one query), never for anonymous visitors."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from lofte.routing.models import AgentStatus, Availability


def _status(agent_id: int) -> str:
    found = Availability.objects.filter(agent_id=agent_id).values_list("status", flat=True).first()
    return found or AgentStatus.OFFLINE


def my_status(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"my_status": SimpleLazyObject(lambda: _status(user.pk)), "agent_statuses": AgentStatus.choices}
