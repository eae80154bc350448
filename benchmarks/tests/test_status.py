"""`lofte bench_status`: the status page from the real server, in a database of its own that it leaves behind
untouched; the figures the issue names, with no query per request when the cache is warm; and its load clients
(a number of requests over C clients, and the open loop whose latency counts from the scheduled start)."""

from __future__ import annotations

import asyncio
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from benchmarks.http import _Endpoint
from benchmarks.status import (
    _CountingDriver,
    _OpenLoop,
    format_table,
    json_figures,
)
from benchmarks.tests.helpers import bench_databases
from lofte.incidents.models import Component, Incident

pytestmark = pytest.mark.bench

KEYS = {"requests", "concurrency", "html_rps", "html_p95_ms", "json_rps", "json_p95_ms", "queries_per_request"}
RATE_KEYS = {"rate_rps", "rate_seconds", "rate_p95_ms", "rate_held"}


@pytest.mark.django_db(transaction=True)
def test_bench_status_serves_the_page_from_its_own_server_with_no_query_when_warm():
    # given: the user's (here: the test) database, with a component of its own and no incident
    name = connection.settings_dict["NAME"]
    own = Component.objects.create(name="The user's own")
    stdout, stderr = io.StringIO(), io.StringIO()

    # when: a few requests closed-loop, then a tiny open loop, in two languages (a CommandError if any failed)
    call_command(
        "bench_status",
        *("--requests", "60", "--concurrency", "4", "--rate", "20", "--seconds", "1", "--workers", "1"),
        *("--languages", "sv,en", "--json"),
        stdout=stdout,
        stderr=stderr,
    )

    # then: one JSON object with the issue's keys (and the load test's) and nothing else on stdout
    output = stdout.getvalue().strip()
    assert "\n" not in output
    result = json.loads(output)
    assert set(result) == KEYS | RATE_KEYS
    assert (result["requests"], result["concurrency"], result["rate_rps"], result["rate_seconds"]) == (60, 4, 20, 1)
    for page in ("html", "json"):
        assert result[f"{page}_rps"] > 0, page
        assert result[f"{page}_p95_ms"] > 0, page
    assert result["queries_per_request"] == 0  # the cache answers, in both languages
    assert result["rate_p95_ms"] > 0
    assert isinstance(result["rate_held"], bool)
    # no errors: every response was a 200 (the progress on stderr says so per phase)
    progress = stderr.getvalue()
    for phase in ("html: 60 requests", "json: 60 requests", "open loop: 20 requests"):
        line = next(line for line in progress.splitlines() if line.startswith(f"{phase},"))
        assert ", 0 errors;" in line, progress
    assert "error:" not in progress
    assert f"database: {connection.vendor}" in progress
    assert "server: stopping" in progress
    # and the user's database is back and untouched; the benchmark's is gone
    assert connection.settings_dict["NAME"] == name
    assert list(Component.objects.values_list("pk", "name")) == [(own.pk, "The user's own")]
    assert not Incident.objects.exists()
    assert bench_databases("bench_status") == []


def test_bench_status_wants_rate_with_seconds_the_sites_languages_and_bounds_its_load():
    with pytest.raises(CommandError, match="give --rate too"):
        call_command("bench_status", "--seconds", "5", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="at most"):
        call_command("bench_status", "--rate", "5000", "--seconds", "300", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="choose from en,sv,da,nb,fi"):
        call_command("bench_status", "--languages", "sv,de", stdout=io.StringIO(), stderr=io.StringIO())


RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def test_the_clients_send_the_number_asked_and_the_open_loop_counts_from_the_schedule():
    # given: a server that answers each connection's requests one at a time, 30 ms each
    opened: list[asyncio.StreamWriter] = []
    answered = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal answered
        opened.append(writer)
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(0.03)
                answered += 1
                writer.write(RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        writer.close()

    async def scenario() -> tuple[int, int, list[float], int, int]:
        nonlocal answered
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        driver = _CountingDriver(port=server.sockets[0].getsockname()[1], clients=3, progress=lambda message: None)
        endpoint = _Endpoint("page", lambda: b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 200)
        closed, _wall = await driver.run_requests(endpoint, 25)
        counted = (len(closed.seconds), answered)
        driver.close()
        # one connection at most, 100 requests/s for 0.2 s: the server manages 33/s, so the requests queue
        before, answered = len(opened), 0
        loop = _OpenLoop(driver, max_open=1)
        tallies, _wall, _schedule = await loop.run([endpoint], rate=100, seconds=0.2)
        loop.close()
        server.close()
        await server.wait_closed()
        return *counted, tallies["page"].seconds, answered, len(opened) - before

    # when
    sent, seen, latencies, open_answered, open_connections = asyncio.run(scenario())

    # then: exactly the requests asked, over the clients' three connections
    assert (sent, seen) == (25, 25)
    # the open loop sent its 20 on one connection, and the last waited for the 19 before it (19 x 30 ms,
    # less the 190 ms it was scheduled after the first): its latency counts that wait
    assert (len(latencies), open_answered, open_connections) == (20, 20, 1)
    assert max(latencies) > 0.3


def test_the_open_loop_sends_again_what_a_kept_connection_closed_by_the_server_lost():
    # given: a server that answers one request per connection and closes it at the next, unanswered (as a
    # keep-alive timeout can close it while a request is on its way)
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(RESPONSE)
            await writer.drain()
            await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        writer.close()

    async def scenario() -> tuple[int, int, int, int]:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        driver = _CountingDriver(port=server.sockets[0].getsockname()[1], clients=1, progress=lambda message: None)
        loop = _OpenLoop(driver, max_open=1)
        endpoint = _Endpoint("page", lambda: b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 200)
        tallies, _wall, _schedule = await loop.run([endpoint], rate=50, seconds=0.2)
        loop.close()
        server.close()
        await server.wait_closed()
        return len(tallies["page"].seconds), tallies["page"].failed, tallies["page"].errors, loop.resent

    # when
    answered, failed, errors, resent = asyncio.run(scenario())

    # then: every request answered, none an error; the ones that met a closed connection were sent again
    assert (answered, failed, errors) == (10, 0, 0)
    assert resent > 0


FIGURES = {"rps": 812.5, "p50_ms": 4.2, "p95_ms": 9.1, "p99_ms": 14.0, "errors": 0, "requests": 2000}
RESULT = {
    "requests": 2000,
    "concurrency": 8,
    "workers": 2,
    "database": "postgresql",
    "cache_seconds": 5.0,
    "languages": ["sv", "en"],
    "components": 12,
    "incidents": 62,
    "queries": {"html": 0.0, "json": 0.0},
    "queries_per_request": 0.0,
    "html": FIGURES,
    "json": FIGURES | {"rps": 1024.0},
    "rate_rps": 500.0,
    "rate_seconds": 20.0,
    "rate_held": False,
    "rate": FIGURES | {"p95_ms": 61.5, "requests": 10000},
    "rate_html": FIGURES,
    "rate_json": FIGURES,
}


def test_json_figures_are_the_issues_keys_and_the_table_tells_the_load_test():
    assert json_figures(RESULT) == {
        "requests": 2000,
        "concurrency": 8,
        "html_rps": 812.5,
        "html_p95_ms": 9.1,
        "json_rps": 1024.0,
        "json_p95_ms": 9.1,
        "queries_per_request": 0.0,
        "rate_rps": 500.0,
        "rate_seconds": 20.0,
        "rate_p95_ms": 61.5,
        "rate_held": False,
    }
    without_rate = {k: v for k, v in RESULT.items() if not k.startswith("rate")}
    assert set(json_figures(without_rate)) == KEYS

    table = format_table(RESULT)
    assert "12 components, 62 incidents on postgresql, 2 web workers, page cache 5 s" in table
    assert "GET /status/ (sv, en)" in table and "GET /status.json (sv, en)" in table
    assert "queries per request with the cache warm: 0 (HTML 0, JSON 0)" in table
    assert "p95 61.5 ms at 500 requests/s with 0 errors: missed (p95 under 50 ms, no errors)" in table
    assert "open loop" not in format_table(without_rate)
