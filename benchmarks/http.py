"""The HTTP load benchmark behind `lofte bench_http`: the production server under concurrent clients.

`run_benchmark` creates a fresh database of its own (`benchmarks.database`, never
the user's data), seeds it as `benchmarks.core.world_seed` does (cases with their
timelines and promise history), makes the logins it needs (the core benchmark's
agent of two teams, a team lead, an admin: sessions written straight into the
session store, since the login form is throttled, and an API token), and starts
the server as the docs say, `lofte start --workers W` (uvicorn and the task
worker), in a subprocess whose DATABASE_URL names the benchmark's database.
It waits for the worker's first round (on SQLite its ANALYZE; the promise tick),
so the measurements see a settled server, then drives it over loopback with C
clients, one keep-alive connection each, for S seconds per endpoint, one
endpoint after another, each after a warm-up that is not counted:

* `api_create`: POST /api/v1/cases with a bearer token (half for existing
  customers' emails, half for new ones), 201;
* `inbox`: GET /inbox/ as the agent; `case`: GET /cases/<reference>/ over
  cases of the agent's teams with a timeline of five events or more;
* `board`: GET /promises/ as the team lead; `board_admin`: as the admin;
* `rest_list`: GET /api/v1/cases, open cases of every team the agent sees,
  25 a page (bearer token);
* `search`: GET /inbox/?q=kartongen as the agent. The word is in the body of
  one of the Swedish customers' first messages (SUBJECTS in lofte.demo.data:
  "... när jag öppnade kartongen.", about 8 % of the cases) and in no subject,
  customer name or organisation, so it finds cases only through the messages'
  text: a search over subjects finds nothing (an empty page).

Every response's status is checked; any other status (or a failed connection)
counts as an error, and the first few distinct ones are shown on stderr.

While the clients run, a thread samples every 50 ms the database connections
the server holds: on PostgreSQL the rows of `pg_stat_activity` for the
benchmark's database (from a connection to the maintenance database, so not
counted), on SQLite the file descriptors of the server's processes (the web
server's and the worker's, found through /proc) open on the database file, one
per connection. Both include the task worker's. Without /proc (not Linux) the
figure is null.

The load client is written here, on asyncio (uvloop when installed) with
httptools' response parser, rather than taken from a library: it shares a small
machine with the server it measures, so every CPU cycle it spends is one the
server lacks, and it needs only the little this benchmark asks of HTTP/1.1
(keep-alive connections, Content-Length or chunked bodies, a reconnect after
`Connection: close`). Its own CPU use is reported per endpoint on stderr, next to
the server's (per process: the web workers, the task worker) and the whole
machine's (which includes PostgreSQL's backends, and anything else running).

What the figures include: the task worker runs as in production, so after
`api_create` it acknowledges the cases just created (the acknowledgement
job, every 15 s, then their outbox mail, written to files of the run) while
the next endpoints are measured. The clients keep their connections from one
endpoint to the next; the kernel hands each to one web worker, not always
evenly.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httptools
from django.conf import settings
from django.db import connection
from django.tasks import TaskResultStatus
from django.test import Client

from benchmarks.core import World, world_seed
from benchmarks.database import bench_database
from lofte.accounts.models import Agent
from lofte.accounts.services import api_token_create
from lofte.demo.data import SUBJECTS

Progress = Callable[[str], None]

ENDPOINTS = ["api_create", "inbox", "case", "board", "board_admin", "rest_list", "search"]
LABELS = {
    "api_create": "POST /api/v1/cases",
    "inbox": "GET /inbox/ (agent)",
    "case": "GET /cases/<ref>/ (agent)",
    "board": "GET /promises/ (team lead)",
    "board_admin": "GET /promises/ (admin)",
    "rest_list": "GET /api/v1/cases (open, 25)",
    "search": "GET /inbox/?q=kartongen",
}
SEARCH_WORD = "kartongen"  # in message bodies only; see the module's docstring
REST_LIST_QUERY = "view=all&status=open&limit=25"
HOST = "127.0.0.1"
WARMUP_SECONDS = 1.0
SAMPLE_SECONDS = 0.05  # how often the database connections are counted
READY_TIMEOUT = 60.0  # for the server to answer
WORKER_TIMEOUT = 180.0  # for the worker's first round (SQLite's ANALYZE of a large database)
STOP_TIMEOUT = 15.0  # after SIGTERM, before SIGKILL
MAX_ERRORS_SHOWN = 5
CLIENT_TIMEOUT = 60.0  # one response


# --- the load client ---------------------------------------------------------------------------------


class _Response:
    __slots__ = ("body", "keep_alive", "status")

    def __init__(self, status: int, body: bytes, keep_alive: bool) -> None:
        self.status, self.body, self.keep_alive = status, body, keep_alive


class _Protocol(asyncio.Protocol):
    """One HTTP/1.1 connection: write a request, wait for its response (httptools parses it)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[_Response] | None = None
        self.body: list[bytes] = []

    # asyncio
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._fail(exc or ConnectionResetError("the server closed the connection"))

    # httptools
    def on_message_begin(self) -> None:
        self.body = []

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            response = _Response(self.parser.get_status_code(), b"".join(self.body), self.parser.should_keep_alive())
            self.waiter.set_result(response)

    def _fail(self, exc: BaseException) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    def request(self, data: bytes) -> asyncio.Future[_Response]:
        self.waiter = self.loop.create_future()
        if self.transport is None:
            self.waiter.set_exception(ConnectionResetError("not connected"))
        else:
            self.transport.write(data)
        return self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None


@dataclass
class _Endpoint:
    """What one endpoint's clients send: `make()` gives the next request's bytes."""

    name: str
    make: Callable[[], bytes]
    expect: int


@dataclass
class _Tally:
    seconds: list[float] = field(default_factory=list)  # one per response
    failed: int = 0  # requests without a response (the connection failed)
    errors: int = 0  # those, and responses with another status than expected
    shown: dict[str, int] = field(default_factory=dict)
    label: str = ""  # "warm-up": shown, not counted in the figures

    def error(self, what: str, progress: Progress, endpoint: str) -> None:
        self.errors += 1
        if what not in self.shown and len(self.shown) < MAX_ERRORS_SHOWN:
            progress(f"error: {endpoint}{f' ({self.label})' if self.label else ''}: {what}")
        self.shown[what] = self.shown.get(what, 0) + 1


class _Driver:
    """C clients, each with one keep-alive connection kept from one endpoint to the next."""

    def __init__(self, *, port: int, clients: int, progress: Progress) -> None:
        self.port, self.clients, self.progress = port, clients, progress
        self.conns: list[_Protocol | None] = [None] * clients

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        _transport, protocol = await loop.create_connection(lambda: _Protocol(loop), HOST, self.port)
        sock = _transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return protocol

    async def _client(self, i: int, endpoint: _Endpoint, deadline: float, tally: _Tally) -> None:
        perf = time.perf_counter
        while perf() < deadline:
            conn = self.conns[i]
            try:
                if conn is not None and conn.transport is None:
                    conn = None  # the server closed it while idle (uvicorn's keep-alive timeout): a new one
                if conn is None:
                    conn = self.conns[i] = await self._connect()
                data = endpoint.make()
                started = perf()
                response = await asyncio.wait_for(conn.request(data), CLIENT_TIMEOUT)
                tally.seconds.append(perf() - started)
            except (OSError, httptools.HttpParserError, TimeoutError) as exc:
                tally.failed += 1
                tally.error(f"{type(exc).__name__}: {exc}", self.progress, endpoint.name)
                if conn is not None:
                    conn.close()
                self.conns[i] = None
                await asyncio.sleep(0.05)  # a server that refuses connections is not hammered
                continue
            if response.status != endpoint.expect:
                tally.error(f"{response.status} {response.body[:300]!r}", self.progress, endpoint.name)
            if not response.keep_alive:
                conn.close()
                self.conns[i] = None

    async def run(self, endpoint: _Endpoint, seconds: float, *, label: str = "") -> tuple[_Tally, float]:
        """The clients for `seconds`; returns what they saw and the wall time until the last one finished."""
        tally = _Tally(label=label)
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(self._client(i, endpoint, deadline, tally) for i in range(self.clients)))
        return tally, time.perf_counter() - started

    def close(self) -> None:
        for conn in self.conns:
            if conn is not None:
                conn.close()
        self.conns = [None] * self.clients


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop  # optional: asyncio's own loop otherwise
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop


# --- requests -----------------------------------------------------------------------------------------


@dataclass
class Logins:
    agent_cookie: str
    lead_cookie: str
    admin_cookie: str
    token: str


def _session_cookie(agent: Agent) -> str:
    """A logged-in session of `agent`, written into the session store as a login would (no form, no throttle)."""
    client = Client()
    client.force_login(agent)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def logins_make(world: World) -> Logins:
    return Logins(
        agent_cookie=_session_cookie(world.agent),
        lead_cookie=_session_cookie(world.team_lead),
        admin_cookie=_session_cookie(world.admin),
        token=api_token_create(agent=world.agent, name="bench").secret,
    )


def _get(path: str, *, host: str, auth: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: lofte-bench\r\n{auth}\r\n\r\n".encode()


def endpoints_make(world: World, logins: Logins, *, port: int) -> dict[str, _Endpoint]:
    host = f"{HOST}:{port}"
    session = settings.SESSION_COOKIE_NAME
    agent = f"Cookie: {session}={logins.agent_cookie}"
    bearer = f"Authorization: Bearer {logins.token}"
    refs = world.case_page_references
    if not refs:
        raise RuntimeError("no case with a timeline is visible to the benchmark's agent; seed more cases")
    pages = [_get(f"/cases/{ref}/", host=host, auth=agent) for ref in random.Random(5).sample(refs, len(refs))]  # noqa: S311
    next_page = itertools.cycle(pages).__next__

    rng = random.Random(11)  # noqa: S311
    emails = world.customer_emails
    subject, body = SUBJECTS["en"][0]
    counter = itertools.count()
    run = os.getpid()
    head = f"POST /api/v1/cases HTTP/1.1\r\nHost: {host}\r\nUser-Agent: lofte-bench\r\n{bearer}\r\n"

    def api_create() -> bytes:
        n = next(counter)
        if n % 2 == 0:
            customer = {"email": rng.choice(emails), "name": ""}
        else:
            customer = {"email": f"http-{run}-{n}@example.org", "name": f"New Customer {n}"}
        payload = json.dumps({"subject": subject, "body": body, "channel": "email", "customer": customer}).encode()
        return f"{head}Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n".encode() + payload

    def fixed(data: bytes) -> Callable[[], bytes]:
        return lambda: data

    return {
        "api_create": _Endpoint("api_create", api_create, 201),
        "inbox": _Endpoint("inbox", fixed(_get("/inbox/", host=host, auth=agent)), 200),
        "case": _Endpoint("case", next_page, 200),
        "board": _Endpoint(
            "board", fixed(_get("/promises/", host=host, auth=f"Cookie: {session}={logins.lead_cookie}")), 200
        ),
        "board_admin": _Endpoint(
            "board_admin", fixed(_get("/promises/", host=host, auth=f"Cookie: {session}={logins.admin_cookie}")), 200
        ),
        "rest_list": _Endpoint(
            "rest_list", fixed(_get(f"/api/v1/cases?{REST_LIST_QUERY}", host=host, auth=bearer)), 200
        ),
        "search": _Endpoint("search", fixed(_get(f"/inbox/?q={quote(SEARCH_WORD)}", host=host, auth=agent)), 200),
    }


# --- the server ---------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def pool_max_size() -> int | None:
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    return pool.get("max_size") if isinstance(pool, dict) else None


def database_url(name: str) -> str:
    """The URL of the benchmark's database: the user's DATABASE_URL with its name, or the SQLite file."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(name).resolve()}"
    url = os.environ.get("DATABASE_URL", "")
    if url:
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc, "/" + quote(name), parts.query, parts.fragment))
    s = connection.settings_dict
    auth = quote(str(s.get("USER") or ""), safe="") + (
        ":" + quote(str(s["PASSWORD"]), safe="") if s.get("PASSWORD") else ""
    )
    netloc = (
        (auth + "@" if auth else "") + str(s.get("HOST") or "localhost") + (f":{s['PORT']}" if s.get("PORT") else "")
    )
    return f"postgres://{netloc}/{quote(name)}"


def server_environment(*, name: str, port: int, mail_dir: Path) -> dict[str, str]:
    """The server's environment: ours, with the benchmark's database, and nothing it sends leaving the machine."""
    env = dict(os.environ)
    env |= {
        "DATABASE_URL": database_url(name),
        "LOFTE_DATA_DIR": str(settings.DATA_DIR),
        "SECRET_KEY": settings.SECRET_KEY,  # the sessions were signed with ours
        "DEBUG": "false",
        "ALLOWED_HOSTS": HOST,
        "PORT": str(port),
        "LOFTE_BASE_URL": f"http://{HOST}:{port}",
        # acknowledgements of the created cases, breach notices: written to files of the run, then deleted
        "EMAIL_BACKEND": "file",
        "EMAIL_FILE_PATH": str(mail_dir / "mail"),
        "LOFTE_SMS_PROVIDER": "console",
        "LOFTE_SMS_FILE_PATH": str(mail_dir / "sms"),
        "PYTHONUNBUFFERED": "1",
    }
    if connection.vendor == "postgresql" and pool_max_size() is None:
        # Under ASGI each request runs in a thread of its own, and persistent connections (CONN_MAX_AGE > 0)
        # are never closed by the thread that opened them: they would pile up until PostgreSQL refuses more.
        env["CONN_MAX_AGE"] = "0"
    return env


def _children() -> dict[int, list[int]]:
    by_parent: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        by_parent.setdefault(ppid, []).append(int(entry))
    return by_parent


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (through /proc), or only `pid` where there is no /proc."""
    if not os.path.isdir("/proc"):
        return [pid]
    by_parent = _children()
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += by_parent.get(current, [])
    return tree


def _start_time(pid: int) -> str | None:
    """The process's start time (field 22 of /proc/<pid>/stat), to tell it from a later one with its pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return None if fields[0] in ("Z", "X") else fields[19]


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User and system CPU time of each of these processes, in seconds (those that are gone are left out)."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds


def machine_cpu() -> tuple[float, float]:
    """The machine's busy and total CPU time so far (all processes: the database server's too), in ticks."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(t) for t in stat.readline().split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle and iowait
    return float(sum(ticks) - idle), float(sum(ticks))


def _role(pid: int) -> str:
    """What a process of the server's tree is, for the CPU breakdown."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return "gone"
    if b"lofte.core.serve" in command:
        return "web"
    return "worker" if b" worker" in command else "start"


def cpu_breakdown(before: dict[int, float], after: dict[int, float], wall: float) -> tuple[float, str]:
    """The server's CPU use over `wall` seconds, as a share of one core: in all, and per process that used any."""
    used = {pid: after.get(pid, before[pid]) - before[pid] for pid in before}
    parts = [f"{_role(pid)} {seconds / wall:.0%}" for pid, seconds in sorted(used.items()) if seconds / wall >= 0.01]
    return sum(used.values()) / wall, ", ".join(parts)


class Server:
    """`lofte start` in a subprocess of its own session (so a Ctrl-C reaches only us, and we stop it)."""

    def __init__(self, *, env: dict[str, str], port: int, workers: int, log: Path) -> None:
        self.port = port
        self.log = log
        command = [sys.executable, "-m", "config.manage", "start", "--host", HOST, "--port", str(port)]
        command += ["--workers", str(workers)]
        with log.open("wb") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and command
                command,
                env=env,
                cwd=settings.BASE_DIR,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self) -> None:
        """Until the web server answers an HTTP request (any status below 500)."""
        deadline = time.monotonic() + READY_TIMEOUT
        request = f"GET /accounts/login/ HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nConnection: close\r\n\r\n".encode()
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=5) as sock:
                    sock.sendall(request)
                    head = sock.recv(64)
                if head.startswith(b"HTTP/1.1 ") and head[9:10] in b"1234":
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer within {READY_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def pids(self) -> list[int]:
        return process_tree(self.proc.pid)

    def stop(self) -> None:
        """SIGTERM (`lofte start` stops the web server and the worker), SIGKILL to all of them after a while."""
        tree = [(pid, _start_time(pid)) for pid in self.pids()]
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=STOP_TIMEOUT)
        deadline = time.monotonic() + STOP_TIMEOUT
        for pid, started in tree:  # the children of `start` (uvicorn, its workers, the task worker)
            while started is not None and _start_time(pid) == started:
                if time.monotonic() > deadline:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                time.sleep(0.05)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@contextlib.contextmanager
def server_running(*, env: dict[str, str], port: int, workers: int, log: Path, progress: Progress) -> Iterator[Server]:
    server = Server(env=env, port=port, workers=workers, log=log)
    try:
        server.wait_ready()
        yield server
    finally:
        progress("server: stopping")
        server.stop()


def _release_connection() -> None:
    """Hold no database connection while the server runs: none that SQLite's writers wait for, none that the
    count of the server's connections would include (a pool keeps its connections open: it is closed too)."""
    connection.close()
    if connection.alias in getattr(connection, "_connection_pools", {}):
        connection.close_pool()  # type: ignore[attr-defined]


def _wait_for_worker(progress: Progress) -> None:
    """Until the worker's first round is done (the tasks it enqueued at start have run), so that SQLite's ANALYZE
    and the first promise tick over the seeded history do not fall into a measurement."""
    from django_tasks_db.models import DBTaskResult  # the tasks backend's model

    started = time.monotonic()
    try:
        while time.monotonic() - started < WORKER_TIMEOUT:
            results = DBTaskResult.objects.filter(task_path__endswith="analyze_database")
            done = results.filter(status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]).exists()
            waiting = DBTaskResult.objects.filter(
                status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
            ).exists()
            if done and not waiting:
                progress(f"server: the worker's first round took {time.monotonic() - started:.1f} s")
                return
            time.sleep(0.2)
        progress(f"warning: the worker's first round did not finish within {WORKER_TIMEOUT:.0f} s; measuring anyway")
    finally:
        _release_connection()


# --- counting the server's database connections ----------------------------------------------------------


class ConnectionCounter:
    """Samples, in a thread, how many database connections the server holds; keeps the largest count."""

    def __init__(self, *, name: str, server: Server) -> None:
        self.name, self.server = name, server
        self.vendor = connection.vendor
        self.max: int | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="bench-db-connections", daemon=True)
        self.pids: list[int] = []
        self.pids_at = 0.0
        self.errors: list[str] = []

    def __enter__(self) -> ConnectionCounter:
        if self.vendor == "postgresql" or (self.vendor == "sqlite" and os.path.isdir("/proc")):
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join()

    def _record(self, count: int) -> None:
        self.max = count if self.max is None else max(self.max, count)

    def _run(self) -> None:
        try:
            if self.vendor == "postgresql":
                self._run_postgresql()
            else:
                self._run_sqlite()
        except Exception as exc:  # the figure becomes null; the benchmark goes on
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def _run_postgresql(self) -> None:
        import psycopg  # PostgreSQL only

        s = connection.settings_dict
        params = {"host": s.get("HOST") or None, "port": s.get("PORT") or None, "user": s.get("USER") or None}
        params |= {"password": s.get("PASSWORD") or None, "dbname": "postgres"}
        if sslmode := s.get("OPTIONS", {}).get("sslmode"):
            params["sslmode"] = sslmode
        with psycopg.connect(autocommit=True, **{k: v for k, v in params.items() if v is not None}) as conn:
            while not self.stopping.wait(SAMPLE_SECONDS):
                row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [self.name]).fetchone()
                self._record(int(row[0]) if row else 0)

    def _run_sqlite(self) -> None:
        path = os.path.realpath(self.name)
        while not self.stopping.wait(SAMPLE_SECONDS):
            now = time.monotonic()
            if now - self.pids_at > 1.0:  # processes come and go seldom; /proc is read once a second
                self.pids, self.pids_at = self.server.pids(), now
            count = 0
            for pid in self.pids:
                try:
                    fds = os.listdir(f"/proc/{pid}/fd")
                except OSError:
                    continue
                for fd in fds:
                    with contextlib.suppress(OSError):
                        if os.readlink(f"/proc/{pid}/fd/{fd}") == path:
                            count += 1
            self._record(count)


# --- the whole run --------------------------------------------------------------------------------------


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile, in ms."""
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return round(ordered[rank - 1] * 1000, 2)


def figures(tally: _Tally, wall: float) -> dict[str, Any]:
    ordered = sorted(tally.seconds)
    requests = len(tally.seconds) + tally.failed
    return {
        "rps": round(requests / wall, 1) if wall > 0 else 0.0,
        "p50_ms": _percentile(ordered, 50),
        "p95_ms": _percentile(ordered, 95),
        "p99_ms": _percentile(ordered, 99),
        "errors": tally.errors,
        "requests": requests,
    }


@contextlib.contextmanager
def _interrupted_by_sigterm() -> Iterator[None]:
    """SIGTERM stops the benchmark as Ctrl-C does: the server is stopped and the database dropped on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _measure(
    server: Server, endpoints: list[_Endpoint], *, clients: int, seconds: float, progress: Progress
) -> dict[str, dict[str, Any]]:
    driver = _Driver(port=server.port, clients=clients, progress=progress)
    results: dict[str, dict[str, Any]] = {}

    async def main() -> None:
        try:
            for endpoint in endpoints:
                await driver.run(endpoint, min(WARMUP_SECONDS, seconds), label="warm-up")
                pids = server.pids()
                server_before, client_before, machine_before = cpu_seconds(pids), time.process_time(), machine_cpu()
                tally, wall = await driver.run(endpoint, seconds)
                server_after, client_cpu, machine_after = (
                    cpu_seconds(pids),
                    time.process_time() - client_before,
                    machine_cpu(),
                )
                server_cpu, breakdown = cpu_breakdown(server_before, server_after, wall)
                busy = machine_after[0] - machine_before[0]
                machine = busy / (machine_after[1] - machine_before[1] or 1) * (os.cpu_count() or 1)
                results[endpoint.name] = result = figures(tally, wall)
                busy_seconds = machine * wall  # all processes: web, worker, the database server, this client
                result["cpu_ms"] = round(busy_seconds * 1000 / result["requests"], 1) if result["requests"] else 0.0
                progress(
                    f"{endpoint.name}: {result['requests']} requests, {result['rps']} req/s, "
                    f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, "
                    f"{result['errors']} errors; CPU (of one core): server {server_cpu:.0%} ({breakdown}), "
                    f"this client {client_cpu / wall:.0%}, the machine {machine:.0%} of {os.cpu_count()} cores"
                )
        finally:
            driver.close()

    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(main())
    return results


def run_benchmark(
    *, cases: int, clients: int, seconds: float, workers: int, endpoints: list[str], progress: Progress
) -> dict[str, Any]:
    """Seed, start the server, drive it, stop it; returns the figures (the keys of `lofte bench_http --json`)."""
    work = Path(tempfile.mkdtemp(prefix="lofte-bench-http-"))
    try:
        with _interrupted_by_sigterm(), bench_database("bench_http") as name:
            progress(f"database: {connection.vendor} {name}")
            world = world_seed(cases=cases, progress=progress)
            logins = logins_make(world)
            vendor = connection.vendor
            port = _free_port()
            targets = endpoints_make(world, logins, port=port)
            _release_connection()
            env = server_environment(name=name, port=port, mail_dir=work)
            progress(f"server: lofte start --workers {workers} on {HOST}:{port}")
            with server_running(
                env=env, port=port, workers=workers, log=work / "server.log", progress=progress
            ) as server:
                _wait_for_worker(progress)
                with ConnectionCounter(name=name, server=server) as counter:
                    results = _measure(
                        server, [targets[e] for e in endpoints], clients=clients, seconds=seconds, progress=progress
                    )
                if counter.errors:
                    progress(f"warning: database connections not counted: {counter.errors[0]}")
                if any(r["errors"] for r in results.values()):
                    progress(f"server log (last lines):\n{server.log_tail()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "cases": cases,
        "clients": clients,
        "workers": workers,
        "seconds": seconds,
        "database": vendor,
        "max_db_connections": counter.max,
        "pool_max_size": pool_max_size(),
        "endpoints": results,
    }


def format_table(result: dict[str, Any]) -> str:
    """The human-readable report."""
    pool = result["pool_max_size"]
    cores = os.cpu_count() or 1
    lines = [
        f"Lofte HTTP benchmark: {result['cases']:,} cases on {result['database']}, {result['clients']} clients, "
        f"{result['workers']} web workers, {result['seconds']} s per endpoint",
        "",
        f"{'':32}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'requests':>10}{'errors':>8}{'CPU ms':>8}",
    ]
    for key, r in result["endpoints"].items():
        cpu = r.get("cpu_ms")
        lines.append(
            f"{LABELS.get(key, key):32}{r['rps']:>9.1f}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}{r['p99_ms']:>9.1f}"
            f"{r['requests']:>10}{r['errors']:>8}{'' if cpu is None else f'{cpu:.1f}':>8}"
        )
    connections = result["max_db_connections"]
    lines += [
        "",
        f"most database connections at once: {'not measured' if connections is None else connections}"
        f" (pool max_size: {'none' if pool is None else pool})",
        "",
        "CPU ms: the machine's busy CPU time per request (web processes, worker, database server, this client).",
        f"With {result['clients']} clients on {cores} cores, a request takes on average at least "
        f"{result['clients']} x CPU ms / {cores} (Little's law): a mean under 50 ms needs "
        f"{50 * cores / result['clients']:.1f} CPU ms or less, and p95 is above the mean.",
    ]
    return "\n".join(lines)
