"""`lofte bench_http`: runs the real server end to end in a database of its own and leaves the user's untouched."""

from __future__ import annotations

import asyncio
import io
import json
import os

import pytest
from django.core.management import call_command
from django.db import connection

from benchmarks.http import ENDPOINTS, _Driver, _Endpoint, format_table
from benchmarks.tests.helpers import bench_databases
from lofte.cases.models import Case

pytestmark = pytest.mark.bench

FIGURES = {"rps", "p50_ms", "p95_ms", "p99_ms", "errors", "requests", "cpu_ms"}


@pytest.mark.django_db(transaction=True)
def test_bench_http_drives_the_server_in_a_database_of_its_own(case):
    # given: the user's (here: the test) database with one case
    name = connection.settings_dict["NAME"]
    assert Case.objects.count() == 1
    stdout, stderr = io.StringIO(), io.StringIO()

    # when
    call_command(
        "bench_http",
        *("--cases", "60", "--clients", "2", "--seconds", "1", "--workers", "1", "--json"),
        stdout=stdout,
        stderr=stderr,
    )

    # then: one JSON object and nothing else on stdout, progress on stderr
    output = stdout.getvalue().strip()
    assert "\n" not in output
    result = json.loads(output)
    assert {k: result[k] for k in ("cases", "clients", "workers", "seconds", "database")} == {
        "cases": 60,
        "clients": 2,
        "workers": 1,
        "seconds": 1.0,
        "database": connection.vendor,
    }
    assert list(result["endpoints"]) == ENDPOINTS
    for endpoint, figures in result["endpoints"].items():
        assert set(figures) == FIGURES, endpoint
        assert figures["requests"] > 0, endpoint
        assert figures["errors"] == 0, (endpoint, stderr.getvalue())
        assert figures["rps"] > 0, endpoint
        assert figures["cpu_ms"] > 0, endpoint  # the machine's CPU per request: the budget the latency comes from
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"], endpoint
    assert "pool_max_size" in result
    if connection.vendor == "postgresql":
        assert isinstance(result["max_db_connections"], int)
        assert result["max_db_connections"] > 0
    else:  # SQLite on Linux: the server's open database files
        assert result["max_db_connections"] is None or result["max_db_connections"] > 0
    assert "database:" in stderr.getvalue()
    assert "server: stopping" in stderr.getvalue()
    # and the user's database is back and untouched; the benchmark's is gone
    assert connection.settings_dict["NAME"] == name
    assert list(Case.objects.values_list("reference", flat=True)) == [case.reference]
    assert bench_databases("bench_http") == []


def test_bench_http_refuses_an_unknown_endpoint():
    with pytest.raises(Exception, match="unknown endpoints"):
        call_command("bench_http", "--endpoints", "inbox,nope", stdout=io.StringIO(), stderr=io.StringIO())


FIGURES_SEEN = {"rps": 120.5, "p50_ms": 12.0, "p95_ms": 30.0, "p99_ms": 45.5, "errors": 0, "requests": 1205}
RESULT = {
    "cases": 100_000,
    "clients": 8,
    "workers": 2,
    "seconds": 10.0,
    "database": "postgresql",
    "max_db_connections": 9,
    "pool_max_size": None,
    "endpoints": dict.fromkeys(ENDPOINTS, FIGURES_SEEN) | {"search": FIGURES_SEEN | {"errors": 3}},
}


def _row(table: str, label: str) -> list[str]:
    return next(line for line in table.splitlines() if line.startswith(label)).split()


def test_format_table_reports_every_endpoint_and_the_connections():
    table = format_table(RESULT)

    assert "100,000 cases on postgresql, 8 clients, 2 web workers" in table
    assert "GET /inbox/?q=kartongen" in table
    assert "most database connections at once: 9 (pool max_size: none)" in table
    assert table.count("120.5") == len(ENDPOINTS)
    # a result without the CPU figure (an older JSON) still prints, its rows ending with the errors
    assert _row(table, "GET /inbox/?q=kartongen")[-1] == "3"


def test_format_table_states_the_cpu_budget_per_request():
    table = format_table(RESULT | {"endpoints": {"inbox": FIGURES_SEEN | {"cpu_ms": 33.3}}})

    assert _row(table, "GET /inbox/ (agent)")[-1] == "33.3"
    cores = os.cpu_count() or 1
    assert f"a mean under 50 ms needs {50 * cores / 8:.1f} CPU ms or less" in table


RESPONSES = {
    # keep-alive, Content-Length
    b"/plain": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    # keep-alive, chunked
    b"/chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    # the server says it closes
    b"/close": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
    b"/missing": b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope",
}


def test_the_load_client_keeps_connections_alive_and_reconnects_when_the_server_closes():
    # given: a small HTTP/1.1 server that counts its connections and can close the idle ones
    opened: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        opened.append(writer)
        try:
            while True:
                path = (await reader.readuntil(b"\r\n\r\n")).split(b" ")[1]
                writer.write(RESPONSES[path])
                await writer.drain()
                if path == b"/close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        writer.close()

    async def scenario() -> list[tuple[int, int, int]]:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        driver = _Driver(port=server.sockets[0].getsockname()[1], clients=2, progress=lambda message: None)
        seen = []
        for path, expect in [("plain", 200), ("chunked", 200), ("idle", 200), ("close", 200), ("missing", 200)]:
            if path == "idle":  # the server closes the connections the clients keep (uvicorn's keep-alive timeout)
                for writer in opened:
                    writer.close()
                await asyncio.sleep(0.05)
            data = f"GET /{'plain' if path == 'idle' else path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
            before = len(opened)
            tally, _wall = await driver.run(_Endpoint(path, lambda data=data: data, expect), 0.2)
            seen.append((len(tally.seconds), tally.errors, len(opened) - before))
        driver.close()
        server.close()
        await server.wait_closed()
        return seen

    # when
    plain, chunked, idle, close, missing = asyncio.run(scenario())

    # then: keep-alive connections are reused, closed ones replaced without an error; a wrong status counts
    assert plain[0] > 10 and plain[1:] == (0, 2)
    assert chunked[0] > 10 and chunked[1:] == (0, 0)
    assert idle[0] > 10 and idle[1:] == (0, 2)
    assert close[0] > 10 and close[1:] == (0, close[0] - 2)  # the first on each client's kept connection
    assert missing[0] > 10 and missing[1] == missing[0]
