"""Under load, the production server holds at most its pool of PostgreSQL connections per process, and every
request is answered: no "sorry, too many clients already"."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from lofte.accounts.models import Role
from lofte.accounts.services import agent_create, api_token_create

POOL = 3
WEB_PROCESSES = 2
CLIENTS = 24
REQUESTS_PER_CLIENT = 15


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _backends(conninfo: str, name: str) -> int:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]).fetchone()
        return int(row[0]) if row else 0


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_requests_stay_within_the_pool_and_none_fails(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite in this run: there is no server to run out of connections")
    # given: an agent with an API token, and the production server (`lofte start`) with a pool of 3
    agent = agent_create(email="pool@example.org", name="Pool", password="x" * 12, role=Role.AGENT)
    secret = api_token_create(agent=agent, name="pool").secret
    name = connection.settings_dict["NAME"]
    conninfo = f"host={connection.settings_dict['HOST'] or '127.0.0.1'} user=postgres dbname=postgres"
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "LOFTE_DB_POOL_SIZE": str(POOL),
        "LOFTE_DATA_DIR": str(tmp_path),
        "SECRET_KEY": settings.SECRET_KEY,
    }
    connection.close()  # our own connections are not counted below
    connection.close_pool()  # type: ignore[attr-defined]
    server = subprocess.Popen(
        [sys.executable, "-m", "config.manage", "start", "--port", str(port), "--workers", str(WEB_PROCESSES)],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        process_group=0,
    )
    statuses: list[int] = []
    seen = [0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen[0] = max(seen[0], _backends(conninfo, name))
            time.sleep(0.02)

    def client() -> None:
        for _ in range(REQUESTS_PER_CLIENT):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/cases?limit=5", headers={"Authorization": f"Bearer {secret}"}
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    statuses.append(response.status)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)
            except OSError:
                statuses.append(0)

    try:
        _wait_for(port)
        watcher = threading.Thread(target=watch)
        watcher.start()
        clients = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join(120)
        stop.set()
        watcher.join(5)
    finally:
        stop.set()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)

    # then: every request answered 200, and the server never held more than its pools
    # (two web processes and the worker, at most POOL each)
    assert statuses == [200] * (CLIENTS * REQUESTS_PER_CLIENT)
    assert 0 < seen[0] <= (WEB_PROCESSES + 1) * POOL


def _wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not start")
