"""The status page's benchmark behind `lofte bench_status`: /status/ and /status.json from the production server.

`run_benchmark` creates a fresh database of its own (`benchmarks.database`, never the user's data) and seeds
what a bank's status page shows on a bad day, through the product's own services (lofte.incidents.services,
each write placed in time with `lofte.core.clock.at`) as an admin made for the run:

* three component groups with four components each, every group and component named in all five languages;
* one active critical incident, opened three hours ago, affecting two components (a major and a partial
  outage), with ten public updates (every other one in Swedish as well) and one internal note;
* one planned maintenance of two components, two days ahead;
* sixty resolved incidents spread over the last ninety days, each with two to four public updates and one to
  three components, so that the history and each component's days and uptime have work to do;
* a model of each of triage's fields, marked as never trained: a fresh database's first worker round would
  otherwise train triage's starting models (some forty seconds of both cores, once in an instance's life, and
  nothing to do with the status page).

First, in this process and not over HTTP, the status page and its JSON are requested through Django's test
client on the benchmark's database, a few times each to warm the page's cache (lofte.incidents.status, kept in
the process), then QUERY_SAMPLES times each inside `CaptureQueriesContext`: `queries_per_request` is the
average number of queries those requests ran (0 when the cache serves them, as it should).

Then the server starts as the docs say, `lofte start --workers W` (uvicorn and the task worker; W one per
core), in a subprocess whose DATABASE_URL names the benchmark's database, on a free loopback port
(`benchmarks.http.server_running`: stopped at the end, on an error or Ctrl-C as well). Once the worker's first
round is done, the clients of `benchmarks.http` (asyncio, httptools' parser, one keep-alive connection each)
warm the cache of every web process with a few requests of each page, then measure:

* closed loop: N requests to GET /status/, then N to GET /status.json, each by C concurrent clients that send
  the next request when the last one's answer is in; requests per second (N over the wall time until the last
  answer) and p50/p95/p99 of the time from writing a request to its whole response. Every request asks for
  the page in a language (`Accept-Language`), by default Swedish, or in turn each of `--languages`: the cache
  holds a page per language, so each language is one more page to rebuild per process;
* open loop, with `--rate R --seconds S`: R requests a second started on a fixed schedule for S seconds,
  /status/ and /status.json in turn, over a pool of keep-alive connections (a new one when none is idle, at
  most OPEN_CONNECTIONS at once). The latency of each is counted from when it was scheduled to start, not from
  when it was written, so a server that falls behind (or a request that waits for a connection, or for one to
  be opened) shows as queueing, as it would to a visitor; a schedule this client could not keep is warned of.
  The issue's load test, 500 requests a second for 20 seconds with p95 under TARGET_P95_MS on two cores with
  one web process per core, is `--rate 500 --seconds 20`; `held` says whether p95 stayed under it with no
  errors.

Every response's status must be 200; any other (or a failed connection) counts as an error, the first few
distinct ones are shown on stderr, and the command fails after printing its figures. The CPU the server's
processes, this client and the whole machine used is shown per phase on stderr, as bench_http shows it.

What the figures include: the page's cache lives LOFTE_STATUS_CACHE_SECONDS (this process's setting, handed to
the server; 5 s by default) per web process, language and format, so a run longer than that includes its
rebuilds (a few queries and a render, in the process's one request thread, the requests behind it waiting):
"cache warm" is the steady state of a busy status page, not a cache that never expires. The closed loop's
latencies leave out opening a connection (as bench_http's do); the open loop's include it. The task worker runs
as in production (its promise tick every 30 s over the active incident's promises, its other periodic jobs).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httptools
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from benchmarks.command import percentile
from benchmarks.database import bench_database
from benchmarks.http import (
    CLIENT_TIMEOUT,
    HOST,
    Progress,
    Server,
    _Driver,
    _Endpoint,
    _free_port,
    _get,
    _interrupted_by_sigterm,
    _loop_factory,
    _Protocol,
    _release_connection,
    _Tally,
    _wait_for_worker,
    cpu_breakdown,
    cpu_seconds,
    figures,
    machine_cpu,
    server_environment,
    server_running,
)
from lofte.accounts.models import Agent, Role
from lofte.core import clock
from lofte.incidents import services
from lofte.incidents.models import Component, ComponentGroup, Incident, IncidentKind, IncidentUpdate, Severity
from lofte.triage.models import ModelState, TriageModel
from lofte.triage.services import SEEDS

HTML_PATH = "/status/"
JSON_PATH = "/status.json"
ACCEPT = {"html": "text/html", "json": "application/json"}
LANGUAGES = ["sv"]  # the visitors' languages by default: one page of each format per web process to rebuild
TARGET_P95_MS = 50.0  # the bound, at 500 requests a second
WARM_ROUNDS = 3  # warm-up requests per client and page, not counted
QUERY_WARM = 3  # in-process requests per page before the query count
QUERY_SAMPLES = 5  # in-process requests per page whose queries are counted
OPEN_CONNECTIONS = 128  # the open loop's connections at most
MAX_REQUESTS = 1_000_000
MAX_CONCURRENCY = 256
MAX_RATE = 5_000.0
MAX_SECONDS = 300.0
MAX_SCHEDULED = 300_000  # rate x seconds at most
HISTORY_INCIDENTS = 60
HISTORY_DAYS = 90


# --- the seed ---------------------------------------------------------------------------------------------------

NAME_LANGUAGES = ("sv", "da", "nb", "fi")  # after English, the name of the row
# three groups of four components: the group's names in English, Swedish, Danish, Norwegian and Finnish, then its
# components' names in the same order
GROUPS: list[tuple[tuple[str, ...], list[tuple[str, ...]]]] = [
    (
        ("Online banking", "Internetbanken", "Netbank", "Nettbank", "Verkkopankki"),
        [
            ("Log-in", "Inloggning", "Log ind", "Innlogging", "Kirjautuminen"),
            ("Payments", "Betalningar", "Betalinger", "Betalinger", "Maksut"),
            ("Transfers", "Överföringar", "Overførsler", "Overføringer", "Tilisiirrot"),
            ("E-invoices", "E-fakturor", "E-fakturaer", "E-fakturaer", "E-laskut"),
        ],
    ),
    (
        ("Cards", "Kort", "Kort", "Kort", "Kortit"),
        [
            ("Card payments", "Kortbetalningar", "Kortbetalinger", "Kortbetalinger", "Korttimaksut"),
            ("ATMs", "Uttagsautomater", "Pengeautomater", "Minibanker", "Pankkiautomaatit"),
            ("Online card purchases", "Kortköp på nätet", "Kortkøb på nettet", "Kortkjøp på nett", "Verkko-ostokset"),
            ("Blocking a card", "Spärra kort", "Spærring af kort", "Sperring av kort", "Kortin sulkeminen"),
        ],
    ),
    (
        ("Apps and contact", "Appar och kontakt", "Apps og kontakt", "Apper og kontakt", "Sovellukset ja yhteys"),
        [
            ("Mobile app", "Mobilappen", "Mobilappen", "Mobilappen", "Mobiilisovellus"),
            ("Phone", "Telefon", "Telefon", "Telefon", "Puhelin"),
            ("Chat", "Chatt", "Chat", "Chat", "Chat"),
            ("Secure messages", "Säkra meddelanden", "Sikre beskeder", "Sikre meldinger", "Suojatut viestit"),
        ],
    ),
]

ACTIVE_TITLE = ("Log-in to online banking fails", "Inloggningen till internetbanken fungerar inte")
# the active incident's ten public updates: (status, English, Swedish or None), oldest first
ACTIVE_UPDATES: list[tuple[str, str, str | None]] = [
    ("investigating", "Many customers cannot log in to online banking. We are investigating.",
     "Många kunder kan inte logga in i internetbanken. Vi felsöker."),
    ("investigating", "Payments made after 14:00 may be delayed as well. Still investigating.", None),
    ("investigating", "We are working with our identity provider to find the cause.",
     "Vi arbetar med vår leverantör av inloggning för att hitta orsaken."),
    ("identified", "The cause is a certificate that expired at the identity provider.", None),
    ("identified", "A new certificate is being rolled out. Log-in works for some customers again.",
     "Ett nytt certifikat rullas ut. Inloggningen fungerar igen för en del kunder."),
    ("identified", "The roll-out is halfway. Payments already sent are not lost.", None),
    ("identified", "Log-in works again for most customers; payments are being processed in turn.",
     "Inloggningen fungerar igen för de flesta; betalningarna behandlas i tur och ordning."),
    ("identified", "A few banks' customers still get an error when they sign with the app.", None),
    ("identified", "We are restarting the last log-in servers. No estimate yet.",
     "Vi startar om de sista inloggningsservrarna. Ingen tidsuppskattning ännu."),
    ("identified", "Still working on it; the next update follows within thirty minutes.", None),
]  # fmt: skip
MAINTENANCE_TITLE = ("Planned maintenance of card payments", "Planerat underhåll av kortbetalningar")
# the history's incidents: (English, Swedish) titles, drawn in turn
HISTORY_TITLES = [
    ("Card payments are slow", "Kortbetalningar går långsamt"),
    ("The mobile app cannot log in", "Det går inte att logga in i mobilappen"),
    ("Transfers are delayed", "Överföringar är försenade"),
    ("Long waiting times on the phone", "Långa väntetider i telefon"),
    ("E-invoices are not shown", "E-fakturor visas inte"),
    ("Chat is unavailable", "Chatten är inte tillgänglig"),
    ("ATMs out of service in some places", "Uttagsautomater ur funktion på vissa platser"),
    ("Secure messages cannot be sent", "Det går inte att skicka säkra meddelanden"),
]
HISTORY_UPDATES: list[tuple[str, str, str | None]] = [
    ("identified", "We have found the cause and are fixing it.", "Vi har hittat orsaken och åtgärdar den."),
    ("monitoring", "A fix is in place; we are watching that it holds.", "En åtgärd är på plats; vi följer upp."),
    ("identified", "The supplier is restarting the affected systems.", "Leverantören startar om de drabbade systemen."),
]
OUTAGE_STATES = ["degraded", "degraded", "partial_outage", "major_outage"]


@dataclass
class Seeded:
    components: int
    incidents: int  # in all: the active one, the maintenance and the history
    public_updates: int


def seed(*, now: datetime, progress: Progress) -> Seeded:
    """The status page of the module's docstring, written through the services, each write at its own time."""
    rng = random.Random(17)  # noqa: S311 - seeded test data
    admin = Agent.objects.create_user(email="status-admin@bench.example", name="Status Admin", role=Role.ADMIN)
    components: dict[str, Component] = {}
    with clock.at(now - timedelta(days=HISTORY_DAYS + 5)):
        for g, (group_names, rows) in enumerate(GROUPS):
            group = ComponentGroup.objects.create(
                name=group_names[0], names=dict(zip(NAME_LANGUAGES, group_names[1:], strict=True)), position=g
            )
            for c, (name, *names) in enumerate(rows):
                components[name] = services.component_create(
                    actor=admin,
                    name=name,
                    names=dict(zip(NAME_LANGUAGES, names, strict=True)),
                    group=group.pk,
                    position=c,
                )
    all_components = list(components.values())

    # the history: resolved incidents over the last ninety days, oldest first
    span = timedelta(days=HISTORY_DAYS - 1)
    for i in range(HISTORY_INCIDENTS):
        opened = now - span + span * i / HISTORY_INCIDENTS + timedelta(minutes=rng.randrange(0, 600))
        title, title_sv = HISTORY_TITLES[i % len(HISTORY_TITLES)]
        affected = rng.sample(all_components, rng.choice((1, 1, 2, 3)))
        swedish = i % 2 == 0
        with clock.at(opened):
            incident = services.incident_open(
                actor=admin,
                title=title,
                titles={"sv": title_sv} if swedish else None,
                severity=rng.choice((Severity.MINOR, Severity.MAJOR, Severity.MAJOR, Severity.CRITICAL)),
                components={c.pk: rng.choice(OUTAGE_STATES) for c in affected},
                first_update="We are looking into reports of problems.",
                first_updates={"sv": "Vi undersöker rapporter om problem."} if swedish else None,
            )
        at = opened
        for status, text, text_sv in rng.sample(HISTORY_UPDATES, rng.randrange(0, 3)):
            at += timedelta(minutes=rng.choice((10, 15, 20, 30)))
            with clock.at(at):
                services.incident_update_post(
                    actor=admin,
                    incident=incident,
                    body=text,
                    bodies={"sv": text_sv} if swedish and text_sv else None,
                    status=status,
                )
        with clock.at(at + timedelta(minutes=rng.choice((15, 30, 60, 120, 240)))):
            services.incident_update_post(
                actor=admin,
                incident=incident,
                body="The problem is solved. Thank you for your patience.",
                bodies={"sv": "Problemet är löst. Tack för ditt tålamod."} if swedish else None,
                status="resolved",
            )
        if (i + 1) % 20 == 0:
            progress(f"seeded {i + 1} of {HISTORY_INCIDENTS} resolved incidents")

    # the planned maintenance, two days ahead
    start = (now + timedelta(days=2)).replace(hour=1, minute=0, second=0, microsecond=0)
    with clock.at(now - timedelta(days=1)):
        services.incident_open(
            actor=admin,
            kind=IncidentKind.MAINTENANCE,
            title=MAINTENANCE_TITLE[0],
            titles={"sv": MAINTENANCE_TITLE[1]},
            severity=Severity.MINOR,
            components={components["Card payments"].pk: "maintenance", components["ATMs"].pk: "maintenance"},
            first_update="Card payments and ATMs may be unavailable for up to two hours during the night.",
            first_updates={"sv": "Kortbetalningar och uttagsautomater kan vara otillgängliga i upp till två timmar."},
            scheduled_start=start,
            scheduled_end=start + timedelta(hours=2),
        )

    # the active incident: opened three hours ago, ten public updates (the first with the opening), a note
    opened = now - timedelta(hours=3)
    _status, first, first_sv = ACTIVE_UPDATES[0]
    with clock.at(opened):
        active = services.incident_open(
            actor=admin,
            title=ACTIVE_TITLE[0],
            titles={"sv": ACTIVE_TITLE[1]},
            severity=Severity.CRITICAL,
            components={components["Log-in"].pk: "major_outage", components["Payments"].pk: "partial_outage"},
            first_update=first,
            first_updates={"sv": first_sv} if first_sv else None,
        )
    for n, (status, text, text_sv) in enumerate(ACTIVE_UPDATES[1:], start=1):
        with clock.at(opened + timedelta(minutes=18 * n)):  # the last 18 minutes ago, the next due in 12
            services.incident_update_post(
                actor=admin, incident=active, body=text, bodies={"sv": text_sv} if text_sv else None, status=status
            )
            if n == 3:
                services.incident_update_post(
                    actor=admin, incident=active, body="Escalated to the supplier's on-call team.", public=False
                )
    # Triage's starting models: the worker's first round trains them where a field has none (tens of seconds of
    # CPU, once in an instance's life), which is no part of serving a status page. A model of each field, marked
    # as never trained, leaves them alone, as in an instance that has had them for long.
    for field in SEEDS:
        TriageModel.objects.create(
            field=field, version=1, state=ModelState.FAILED, error="Not trained: a database of lofte bench_status."
        )
    return Seeded(
        components=len(all_components),
        incidents=Incident.objects.count(),
        public_updates=IncidentUpdate.objects.filter(is_public=True).count(),
    )


# --- queries per request, in this process ------------------------------------------------------------------------


def queries_per_request(languages: list[str]) -> dict[str, float]:
    """The queries a request for each page runs with the cache warm (this process's cache): the average over
    QUERY_SAMPLES requests per language, through Django's test client, after QUERY_WARM per language that warm
    it."""
    client = Client()
    counts: dict[str, float] = {}
    for name, path in (("html", HTML_PATH), ("json", JSON_PATH)):
        headers = [{"accept": ACCEPT[name], "accept-language": language} for language in languages]
        for _i in range(QUERY_WARM):
            for header in headers:
                response = client.get(path, headers=header)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {path} answered {response.status_code} in this process")
        with CaptureQueriesContext(connection) as captured:
            for _i in range(QUERY_SAMPLES):
                for header in headers:
                    client.get(path, headers=header)
        counts[name] = len(captured.captured_queries) / (QUERY_SAMPLES * len(headers))
    return counts


# --- the load -----------------------------------------------------------------------------------------------------


class _Budget:
    """A request budget shared by `_Driver`'s clients, given to them in place of their deadline.

    A client of benchmarks.http sends requests `while perf() < deadline`; Python answers `float < _Budget` with
    `_Budget.__gt__`, which takes one request from the budget each time it is asked. So the clients send exactly
    `requests` in all (a failed connection counts as one), however long that takes.
    """

    def __init__(self, requests: int) -> None:
        self.left = requests

    def __gt__(self, now: float) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


class _CountingDriver(_Driver):
    """benchmarks.http's clients, each with one keep-alive connection, for a number of requests instead of seconds."""

    async def run_requests(self, endpoint: _Endpoint, requests: int, *, label: str = "") -> tuple[_Tally, float]:
        """`requests` in all over the clients; returns what they saw and the wall time until the last answer."""
        tally = _Tally(label=label)
        budget = cast(float, _Budget(requests))  # compared with time.perf_counter(): see _Budget
        started = time.perf_counter()
        await asyncio.gather(*(self._client(i, endpoint, budget, tally) for i in range(self.clients)))
        return tally, time.perf_counter() - started


@dataclass
class _Schedule:
    """What the open loop's own schedule kept: how late each request started after its scheduled time."""

    lag: list[float]

    def p95_ms(self) -> float:
        return round(percentile(self.lag, 0.95) * 1000, 2)


class _OpenLoop:
    """Requests started on a fixed schedule, whatever the server's pace, over a pool of keep-alive connections.

    The request scheduled at t = i / rate is sent on an idle connection (the one used last: the others may be
    closed by the server's keep-alive timeout), or a new one while fewer than `max_open` exist; otherwise it
    waits for one. Its latency runs from its scheduled time to its whole response, so every wait shows. A request
    whose kept connection the server closed as it went out is sent again on a new one (`resent`), as HTTP
    clients do with a GET; a failure on a new connection is an error.
    """

    def __init__(self, driver: _Driver, *, max_open: int) -> None:
        self.driver, self.max_open = driver, max_open
        self.idle: list[_Protocol] = []
        self.resent = 0  # requests sent again after a kept connection turned out closed

    def _idle(self) -> _Protocol | None:
        """The connection used last that is still open (the server closes those idle for its keep-alive timeout)."""
        while self.idle:
            conn = self.idle.pop()
            if conn.transport is not None:
                return conn
        return None

    async def _one(self, endpoint: _Endpoint, scheduled: float, tally: _Tally, slots: asyncio.Semaphore) -> None:
        perf = time.perf_counter
        async with slots:
            conn = self._idle()
            while True:
                reused = conn is not None
                try:
                    if conn is None:
                        conn = await self.driver._connect()
                    response = await asyncio.wait_for(conn.request(endpoint.make()), CLIENT_TIMEOUT)
                    break
                except (OSError, httptools.HttpParserError, TimeoutError) as exc:
                    if conn is not None:
                        conn.close()
                    conn = None
                    if reused and isinstance(exc, ConnectionError):
                        # a kept connection the server closed as the request went out (its keep-alive timeout):
                        # sent again on a new one, as HTTP clients do with a GET; its latency keeps counting
                        self.resent += 1
                        continue
                    tally.failed += 1
                    tally.error(f"{type(exc).__name__}: {exc}", self.driver.progress, endpoint.name)
                    return
            tally.seconds.append(perf() - scheduled)
            if response.status != endpoint.expect:
                tally.error(f"{response.status} {response.body[:300]!r}", self.driver.progress, endpoint.name)
            if response.keep_alive:
                self.idle.append(conn)
            else:
                conn.close()

    async def run(
        self, endpoints: list[_Endpoint], *, rate: float, seconds: float
    ) -> tuple[dict[str, _Tally], float, _Schedule]:
        """round(rate x seconds) requests to the endpoints in turn; the tallies, the wall time until the last
        answer, and how late the schedule ran."""
        perf = time.perf_counter
        slots = asyncio.Semaphore(self.max_open)
        tallies = {e.name: _Tally() for e in endpoints}
        tasks: set[asyncio.Task[None]] = set()
        lag: list[float] = []
        total = max(1, round(rate * seconds))
        started = perf()
        for i in range(total):
            scheduled = started + i / rate
            delay = scheduled - perf()
            if delay > 0:
                await asyncio.sleep(delay)
            lag.append(max(0.0, perf() - scheduled))
            endpoint = endpoints[i % len(endpoints)]
            task = asyncio.create_task(self._one(endpoint, scheduled, tallies[endpoint.name], slots))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
        return tallies, perf() - started, _Schedule(lag)

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle = []


class _Cpu:
    """The CPU the server's processes, this client and the whole machine use from now on (as bench_http shows it)."""

    def __init__(self, server: Server) -> None:
        self.pids = server.pids()
        self.server, self.client, self.machine = cpu_seconds(self.pids), time.process_time(), machine_cpu()

    def line(self, wall: float) -> str:
        server_cpu, breakdown = cpu_breakdown(self.server, cpu_seconds(self.pids), wall)
        client = (time.process_time() - self.client) / wall
        busy, total = (after - before for after, before in zip(machine_cpu(), self.machine, strict=True))
        cores = os.cpu_count() or 1
        return (
            f"CPU (of one core): server {server_cpu:.0%} ({breakdown}), this client {client:.0%}, "
            f"the machine {busy / (total or 1) * cores:.0%} of {cores} cores"
        )


def _merged(tallies: list[_Tally]) -> _Tally:
    merged = _Tally()
    for tally in tallies:
        merged.seconds += tally.seconds
        merged.failed += tally.failed
        merged.errors += tally.errors
    return merged


def _measured(name: str, tally: _Tally, wall: float, cpu: _Cpu, progress: Progress) -> dict[str, Any]:
    result = figures(tally, wall)
    progress(
        f"{name}: {result['requests']} requests, {result['rps']} req/s, p50 {result['p50_ms']} ms, "
        f"p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, {result['errors']} errors; {cpu.line(wall)}"
    )
    return result


def endpoints_make(port: int, languages: list[str]) -> dict[str, _Endpoint]:
    """Both pages, each request in the next of the languages (Accept-Language, as a browser sends it)."""
    host = f"{HOST}:{port}"
    endpoints = {}
    for name, path in (("html", HTML_PATH), ("json", JSON_PATH)):
        requests = [
            _get(path, host=host, auth=f"Accept: {ACCEPT[name]}\r\nAccept-Language: {language}")
            for language in languages
        ]
        endpoints[name] = _Endpoint(name, itertools.cycle(requests).__next__, 200)
    return endpoints


def _measure(
    server: Server,
    *,
    requests: int,
    concurrency: int,
    languages: list[str],
    rate: float | None,
    seconds: float,
    progress: Progress,
) -> dict[str, Any]:
    endpoints = endpoints_make(server.port, languages)
    driver = _CountingDriver(port=server.port, clients=concurrency, progress=progress)
    open_loop = _OpenLoop(driver, max_open=OPEN_CONNECTIONS)
    results: dict[str, Any] = {}

    async def main() -> None:
        try:
            for endpoint in endpoints.values():  # every process's cache, for both pages and every language
                await driver.run_requests(endpoint, concurrency * WARM_ROUNDS * len(languages), label="warm-up")
            for name, endpoint in endpoints.items():
                cpu = _Cpu(server)
                tally, wall = await driver.run_requests(endpoint, requests)
                results[name] = _measured(name, tally, wall, cpu, progress)
            if rate is not None:
                driver.close()  # the open loop opens its own
                cpu = _Cpu(server)
                progress(f"open loop: {rate:g} requests/s for {seconds:g} s, /status/ and /status.json in turn")
                tallies, wall, schedule = await open_loop.run(list(endpoints.values()), rate=rate, seconds=seconds)
                for name, tally in tallies.items():
                    results[f"rate_{name}"] = figures(tally, wall)
                results["rate"] = _measured("open loop", _merged(list(tallies.values())), wall, cpu, progress)
                results["rate"]["schedule_lag_p95_ms"] = schedule.p95_ms()
                if open_loop.resent:
                    progress(f"open loop: {open_loop.resent} requests sent again, their kept connection closed")
                if schedule.p95_ms() > 5:
                    progress(
                        f"warning: this client started its requests late (p95 {schedule.p95_ms()} ms after their "
                        "time): the load client, not only the server, is behind"
                    )
        finally:
            driver.close()
            open_loop.close()

    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(main())
    return results


# --- the whole run ------------------------------------------------------------------------------------------------


def run_benchmark(
    *,
    requests: int,
    concurrency: int,
    workers: int,
    rate: float | None,
    seconds: float,
    progress: Progress,
    languages: list[str] | None = None,
) -> dict[str, Any]:
    """Seed, count the queries, start the server, drive it, stop it; every figure (`json_figures` picks those
    of `lofte bench_status --json`)."""
    work = Path(tempfile.mkdtemp(prefix="lofte-bench-status-"))
    try:
        with _interrupted_by_sigterm(), bench_database("bench_status") as name:
            vendor = connection.vendor
            progress(f"database: {vendor} {name}")
            seeded = seed(now=clock.now(), progress=progress)
            progress(
                f"seeded {seeded.components} components, {seeded.incidents} incidents, "
                f"{seeded.public_updates} public updates"
            )
            languages = languages or LANGUAGES
            queries = queries_per_request(languages)
            progress(f"queries per request with the cache warm (in this process): {queries}")
            port = _free_port()
            _release_connection()
            env = server_environment(name=name, port=port, mail_dir=work)
            env["LOFTE_STATUS_CACHE_SECONDS"] = str(settings.LOFTE_STATUS_CACHE_SECONDS)  # as in this process
            progress(f"server: lofte start --workers {workers} on {HOST}:{port}")
            with server_running(
                env=env, port=port, workers=workers, log=work / "server.log", progress=progress
            ) as server:
                _wait_for_worker(progress)
                results = _measure(
                    server,
                    requests=requests,
                    concurrency=concurrency,
                    languages=languages,
                    rate=rate,
                    seconds=seconds,
                    progress=progress,
                )
                if any(r["errors"] for r in results.values()):
                    progress(f"server log (last lines):\n{server.log_tail()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result: dict[str, Any] = {
        "requests": requests,
        "concurrency": concurrency,
        "workers": workers,
        "database": vendor,
        "cache_seconds": settings.LOFTE_STATUS_CACHE_SECONDS,
        "languages": languages,
        "components": seeded.components,
        "incidents": seeded.incidents,
        "queries": queries,
        "queries_per_request": round(sum(queries.values()) / len(queries), 2),
        "html": results["html"],
        "json": results["json"],
    }
    if rate is not None:
        held = results["rate"]["p95_ms"] < TARGET_P95_MS and results["rate"]["errors"] == 0
        result |= {"rate_rps": rate, "rate_seconds": seconds, "rate_held": held, "rate": results["rate"]}
        result |= {"rate_html": results["rate_html"], "rate_json": results["rate_json"]}
    return result


def errors(result: dict[str, Any]) -> int:
    """The failed requests of the whole run (the closed loop's and the open loop's)."""
    return sum(result[key]["errors"] for key in ("html", "json", "rate") if key in result)


def json_figures(result: dict[str, Any]) -> dict[str, Any]:
    """The object `--json` prints: these keys and no more (the rate_* ones only with --rate)."""
    figures_ = {
        "requests": result["requests"],
        "concurrency": result["concurrency"],
        "html_rps": result["html"]["rps"],
        "html_p95_ms": result["html"]["p95_ms"],
        "json_rps": result["json"]["rps"],
        "json_p95_ms": result["json"]["p95_ms"],
        "queries_per_request": result["queries_per_request"],
    }
    if "rate" in result:
        figures_ |= {
            "rate_rps": result["rate_rps"],
            "rate_seconds": result["rate_seconds"],
            "rate_p95_ms": result["rate"]["p95_ms"],
            "rate_held": result["rate_held"],
        }
    return figures_


def _rows(result: dict[str, Any], keys: list[tuple[str, str]]) -> Iterator[str]:
    for key, label in keys:
        r = result[key]
        yield (
            f"{label:34}{r['rps']:>9.1f}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}{r['p99_ms']:>9.1f}"
            f"{r['requests']:>10}{r['errors']:>8}"
        )


def format_table(result: dict[str, Any]) -> str:
    """The human-readable report."""
    queries = result["queries"]
    languages = ", ".join(result.get("languages", LANGUAGES))
    pages = [("html", f"  GET /status/ ({languages})"), ("json", f"  GET /status.json ({languages})")]
    lines = [
        f"Lofte status page benchmark: {result['components']} components, {result['incidents']} incidents on "
        f"{result['database']}, {result['workers']} web workers, page cache {result['cache_seconds']:g} s",
        "",
        f"{'':34}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'requests':>10}{'errors':>8}",
        f"{result['concurrency']} clients, {result['requests']} requests each:",
        *_rows(result, pages),
    ]
    if "rate" in result:
        lines += [
            f"open loop, {result['rate_rps']:g} requests/s for {result['rate_seconds']:g} s "
            "(latency from the scheduled start):",
            *_rows(result, [(f"rate_{key}", label) for key, label in pages] + [("rate", "  both")]),
        ]
    lines += [
        "",
        f"queries per request with the cache warm: {result['queries_per_request']:g} "
        f"(HTML {queries['html']:g}, JSON {queries['json']:g})",
    ]
    if "rate" in result:
        verdict = "held" if result["rate_held"] else "missed"
        lines.append(
            f"the load test: p95 {result['rate']['p95_ms']:.1f} ms at {result['rate_rps']:g} requests/s with "
            f"{result['rate']['errors']} errors: {verdict} (p95 under {TARGET_P95_MS:g} ms, no errors)"
        )
    return "\n".join(lines)
