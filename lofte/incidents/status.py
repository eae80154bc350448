"""The status page's read model, and its cache.

What the public sees (components and their state, active incidents with their public updates, planned
maintenance, 90 days of history with uptime per component) is built by `page()` in a few queries and kept per
language in this process for LOFTE_STATUS_CACHE_SECONDS: with the cache warm a request costs no query, and an
update is visible within those seconds everywhere (at once in the process that wrote it: `status_changed`). An
expired page is rebuilt by a thread while visitors are still answered from the old one (`cached`).
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Prefetch, Q
from django.utils import translation

from lofte.core import clock
from lofte.incidents.models import (
    OUTAGES,
    STATE_ORDER,
    Affected,
    ComponentState,
    Incident,
    IncidentKind,
    IncidentUpdate,
    components_in_order,
)
from lofte.promises.models import Promise, PromiseKind, PromiseState

INCIDENT = "incident"  # the subject type of an incident's promises (lofte.promises.subjects)
HISTORY_DAYS = 90
FEED_ENTRIES = 50

_lock = threading.Lock()
_cache: dict[tuple[str, str], tuple[float, Any]] = {}
_refreshing: set[tuple[str, str]] = set()  # the entries a thread is rebuilding
_generation = 0  # counts the clears: a rebuild begun before one is not kept
_here = threading.local()  # .behind: this thread rebuilds for the requests (its own reads are never stale)
logger = logging.getLogger(__name__)


def cached[T](kind: str, build: Callable[[], T]) -> T:
    """`build()` at most once per LOFTE_STATUS_CACHE_SECONDS per kind and language, in this process. Each entry
    lives a random half to all of that time, so that a process's pages (a kind per language) do not expire
    together and rebuild back to back in the requests of one moment (measured: bench_status).

    With LOFTE_STATUS_REFRESH_BEHIND (the default), an expired entry is still answered for up to one more lifetime
    while a thread of its own rebuilds it: no visitor waits for the rebuild, only the first one after a start or
    a change (`status_changed`) does."""
    key = (kind, translation.get_language() or settings.LANGUAGE_CODE)
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None:
        expires, value = hit
        if expires > now:
            return value  # type: ignore[no-any-return]
        stale_for = now - expires
        if (
            settings.LOFTE_STATUS_REFRESH_BEHIND
            and not getattr(_here, "behind", False)
            and stale_for < settings.LOFTE_STATUS_CACHE_SECONDS
        ):
            _refresh_behind(key, build)
            return value  # type: ignore[no-any-return]
    with _lock:
        generation = _generation
    value = build()
    _keep(key, value, generation)
    return value


def _keep(key: tuple[str, str], value: Any, generation: int) -> None:
    lifetime = settings.LOFTE_STATUS_CACHE_SECONDS * random.uniform(0.5, 1.0)  # noqa: S311 - not security
    with _lock:
        if generation == _generation:  # nothing changed while it was built
            _cache[key] = (time.monotonic() + lifetime, value)


def _refresh_behind(key: tuple[str, str], build: Callable[[], Any]) -> None:
    with _lock:
        if key in _refreshing:
            return
        _refreshing.add(key)
        generation = _generation
    # a thread starts with a context of its own (its own database connection); only the clock is handed over
    threading.Thread(
        target=_refresh,
        args=(key, build, generation, clock.fixed()),
        name=f"lofte-status-{key[0]}-{key[1]}",
        daemon=True,
    ).start()


def _refresh(key: tuple[str, str], build: Callable[[], Any], generation: int, moment: datetime | None) -> None:
    _here.behind = True
    try:
        with translation.override(key[1]), clock.at(moment) if moment else contextlib.nullcontext():
            value = build()
        _keep(key, value, generation)
    except Exception:  # the next visitor after the stale lifetime rebuilds it in their request
        logger.exception("The status page's %s in %s could not be rebuilt", *key)
    finally:
        with _lock:
            _refreshing.discard(key)
        connections.close_all()  # this thread's own connections


def refreshes_running() -> int:
    """How many rebuilds are under way in this process (tests wait for them)."""
    with _lock:
        return len(_refreshing)


def status_changed() -> None:
    """Something on the status page changed: this process builds it anew at the next request; and again once the
    change commits (a request in between could have cached the state before it)."""
    cache_clear()
    transaction.on_commit(cache_clear)


def cache_clear() -> None:
    """This process's cached pages are gone, and a rebuild under way is not kept (no database access: tests clear
    it between tests)."""
    global _generation
    with _lock:
        _cache.clear()
        _generation += 1


_RANK = {str(state): i for i, state in enumerate(STATE_ORDER)}
# a state as the page's CSS names it
STATE_CLASS: dict[str, str] = {
    ComponentState.OPERATIONAL: "ok",
    ComponentState.MAINTENANCE: "maintenance",
    ComponentState.DEGRADED: "degraded",
    ComponentState.PARTIAL_OUTAGE: "partial",
    ComponentState.MAJOR_OUTAGE: "major",
}


def worst(states: list[str]) -> str:
    return max(states, key=lambda s: _RANK.get(s, 0), default=str(ComponentState.OPERATIONAL))


@dataclass
class ComponentRow:
    id: int
    name: str
    group: str
    state: str
    uptime: float  # per cent over the history, outages counted
    days: list[str] = field(default_factory=list)  # the worst state of each day, oldest first
    day_classes: list[str] = field(default_factory=list)  # the same as the page's CSS classes (no filter per day)


@dataclass
class UpdateRow:
    status: str
    text: str
    posted_at: datetime


@dataclass
class IncidentRow:
    id: int
    kind: str
    title: str
    severity: str
    status: str
    started_at: datetime
    resolved_at: datetime | None
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    components: list[tuple[str, str]]  # (name, state)
    updates: list[UpdateRow]
    next_update_by: datetime | None


@dataclass
class StatusPage:
    state: str  # the worst state of all components
    components: list[ComponentRow]
    active: list[IncidentRow]
    planned: list[IncidentRow]
    history: list[IncidentRow]  # resolved within the history, newest first
    days: list[date]
    built_at: datetime


def next_update_promises(incident_ids: list[int]) -> dict[int, Promise]:
    """Each incident's next-update promise, pending or broken and not yet followed: one query (none for none)."""
    if not incident_ids:
        return {}
    out: dict[int, Promise] = {}
    for promise in Promise.objects.filter(
        subject_type=INCIDENT,
        subject_id__in=incident_ids,
        kind=PromiseKind.INCIDENT_UPDATE,
        settled_at__isnull=True,
        state__in=[PromiseState.PENDING, PromiseState.BROKEN],
    ).order_by("-due_at", "-id"):
        if promise.subject_id is not None:
            out[promise.subject_id] = promise  # the earliest last
    return out


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _incident_row(incident: Incident, language: str, next_by: dict[int, datetime]) -> IncidentRow:
    return IncidentRow(
        id=incident.pk,
        kind=incident.kind,
        title=incident.public_title(language),
        severity=incident.severity,
        status=incident.status,
        started_at=incident.started_at,
        resolved_at=incident.resolved_at,
        scheduled_start=incident.scheduled_start,
        scheduled_end=incident.scheduled_end,
        components=[(a.component.public_name(language), a.state) for a in incident.affected.all()],
        updates=[
            UpdateRow(status=u.status, text=u.text(language), posted_at=u.posted_at)
            for u in sorted(incident.updates.all(), key=lambda u: (u.posted_at, u.pk), reverse=True)
        ],
        next_update_by=next_by.get(incident.pk),
    )


def _is_planned(incident: Incident, now: datetime) -> bool:
    return (
        incident.kind == IncidentKind.MAINTENANCE
        and incident.scheduled_start is not None
        and incident.scheduled_start > now
    )


def page(now: datetime | None = None) -> StatusPage:
    """The whole status page in the current language: five queries, whatever the history holds."""
    now = now or clock.now()
    language = translation.get_language() or settings.LANGUAGE_CODE
    since = now - timedelta(days=HISTORY_DAYS)
    components = list(components_in_order())

    incidents = list(
        Incident.objects.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=since))
        .prefetch_related(
            Prefetch(
                "affected",
                queryset=Affected.objects.select_related("component").order_by(
                    "component__position", "component__name"
                ),
            ),
            Prefetch("updates", queryset=IncidentUpdate.objects.filter(is_public=True)),
        )
        .order_by("-started_at", "-id")
    )
    active_ids = [i.pk for i in incidents if i.resolved_at is None]
    next_by = {pk: p.due_at for pk, p in next_update_promises(active_ids).items()}
    # now, each component's state: the worst its active (started) incidents give it
    current: dict[int, list[str]] = {}
    for incident in incidents:
        if incident.resolved_at is None and not _is_planned(incident, now):
            for affected in incident.affected.all():
                current.setdefault(affected.component_id, []).append(affected.state)
    # history: each day's worst state, and the outage minutes, per component (in the site's time zone)
    zone = _zone()
    today = now.astimezone(zone).date()
    days = [today - timedelta(days=HISTORY_DAYS - 1 - i) for i in range(HISTORY_DAYS)]
    day_index = {d: i for i, d in enumerate(days)}
    per_day: dict[int, list[str]] = {c.pk: [ComponentState.OPERATIONAL] * HISTORY_DAYS for c in components}
    outage: dict[int, float] = {c.pk: 0.0 for c in components}
    for incident in incidents:
        start = (
            incident.scheduled_start
            if incident.kind == IncidentKind.MAINTENANCE and incident.scheduled_start
            else incident.started_at
        )
        end = incident.resolved_at or now
        if start >= now or end <= since:
            continue
        start, end = max(start, since), min(end, now)
        for affected in incident.affected.all():
            if affected.component_id not in per_day:
                continue
            if affected.state in OUTAGES:
                outage[affected.component_id] += (end - start).total_seconds()
            day = start.astimezone(zone).date()
            last = end.astimezone(zone).date()
            while day <= last:
                i = day_index.get(day)
                if i is not None:
                    row = per_day[affected.component_id]
                    row[i] = worst([row[i], affected.state])
                day += timedelta(days=1)
    window = (now - since).total_seconds()
    rows = [
        ComponentRow(
            id=c.pk,
            name=c.public_name(language),
            group=c.group.public_name(language) if c.group else "",
            state=worst(current.get(c.pk, [])),
            uptime=round(100 * (1 - min(outage[c.pk], window) / window), 2),
            days=per_day[c.pk],
            day_classes=[STATE_CLASS[state] for state in per_day[c.pk]],
        )
        for c in components
    ]
    active = [i for i in incidents if i.resolved_at is None and not _is_planned(i, now)]
    overall = worst([r.state for r in rows])
    if overall == ComponentState.OPERATIONAL and active:  # an incident naming no component still is one
        maintenance_only = all(i.kind == IncidentKind.MAINTENANCE for i in active)
        overall = ComponentState.MAINTENANCE if maintenance_only else ComponentState.DEGRADED
    return StatusPage(
        state=overall,
        components=rows,
        active=[
            _incident_row(i, language, next_by) for i in incidents if i.resolved_at is None and not _is_planned(i, now)
        ],
        planned=sorted(
            (_incident_row(i, language, next_by) for i in incidents if i.resolved_at is None and _is_planned(i, now)),
            key=lambda r: r.scheduled_start or now,
        ),
        history=[_incident_row(i, language, next_by) for i in incidents if i.resolved_at is not None],
        days=days,
        built_at=now,
    )


def page_cached() -> StatusPage:
    """The page's read model, built once per language for the HTML and the JSON alike."""
    return cached("page", page)


def feed_entries() -> list[tuple[Incident, IncidentUpdate]]:
    """The newest public updates with their incidents, for the Atom feed: one query."""
    updates = list(
        IncidentUpdate.objects.filter(is_public=True)
        .select_related("incident")
        .order_by("-posted_at", "-id")[:FEED_ENTRIES]
    )
    return [(u.incident, u) for u in updates]


def active_summary() -> list[dict[str, Any]]:
    """The active incidents (not planned maintenance) for the outage banner: id, title and the worst state, in
    the current language. Cached like the page."""

    def build() -> list[dict[str, Any]]:
        now = clock.now()
        out = []
        for incident in Incident.objects.filter(resolved_at__isnull=True).prefetch_related(
            Prefetch("affected", queryset=Affected.objects.select_related("component"))
        ):
            if _is_planned(incident, now):
                continue
            out.append(
                {
                    "id": incident.pk,
                    "title": incident.public_title(),
                    "kind": incident.kind,
                    "state": worst([a.state for a in incident.affected.all()]),
                    "components": [a.component.public_name() for a in incident.affected.all()],
                    "component_ids": [a.component_id for a in incident.affected.all()],
                }
            )
        return out

    return cached("banner", build)
