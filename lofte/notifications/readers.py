"""The reader of a notification: their own time zone and language (Agent.time_zone / Agent.language), else the
site's. A stored value Lofte cannot use (an old row with a name that is no time zone) reads as the site's."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from lofte.accounts.models import Agent


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def reader_zone(agent: Agent) -> ZoneInfo:
    return _zone(agent.time_zone) or _zone(settings.TIME_ZONE) or ZoneInfo("UTC")


def reader_language(agent: Agent) -> str:
    return agent.language if agent.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def reader_time(agent: Agent, moment: datetime) -> str:
    """A moment as the agent reads it: "2026-11-16 12:00" in their time zone (digits only: no language needed)."""
    return moment.astimezone(reader_zone(agent)).strftime("%Y-%m-%d %H:%M")
