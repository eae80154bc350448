"""The web processes of `lofte start` spread keep-alive connections evenly (lofte.core.serve: Share, Balance)."""

from __future__ import annotations

import asyncio
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lofte.core.management.commands.start import listening_sockets
from lofte.core.serve import HTTP_PROTOCOLS, Balance, Share, over_share


def test_a_process_is_over_its_share_above_the_total_spread_evenly_rounded_up():
    assert not over_share(4, [4, 4])
    assert over_share(5, [5, 3])
    assert over_share(6, [6, 2])
    assert not over_share(4, [4, 3])  # 7 over 2: 4 and 3
    assert over_share(5, [5, 2])
    assert not over_share(2, [2, 6])  # the one with fewer keeps its connections
    assert not over_share(1, [1, 0])
    assert not over_share(0, [0, 0])


def test_the_processes_see_each_others_counts_through_the_file():
    fd = Share.make_file(2)
    try:
        first, second = Share(fd, 0, 2), Share(fd, 1, 2)  # as two processes map it
        first.publish(6)
        second.publish(2)
        assert first.counts() == second.counts() == [6, 2]
        with pytest.raises(ValueError):
            Share(fd, 2, 2)
    finally:
        os.close(fd)


class _Http(HTTP_PROTOCOLS[0]):  # type: ignore[misc, valid-type]
    def __init__(self) -> None:  # a connection as uvicorn's server state holds it, without a socket
        pass


class _WebSocket:
    pass


def _respond(balance: Balance, scope_type: str = "http") -> list[dict]:
    """What `balance` sends for an app that answers 200 (or, for a websocket, accepts)."""
    sent: list[dict] = []

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "websocket":
            await send({"type": "websocket.accept", "headers": []})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "http.request"}

    async def send(message):  # type: ignore[no-untyped-def]
        sent.append(message)

    balance.app = app
    asyncio.run(balance({"type": scope_type}, receive, send))
    return sent


def test_a_response_over_the_share_closes_its_connection_and_websockets_are_not_counted():
    fd = Share.make_file(2)
    try:
        other = Share(fd, 1, 2)
        balance = Balance(lambda *a: None, Share(fd, 0, 2))  # type: ignore[arg-type, return-value]
        balance.connections = {_Http() for _ in range(5)} | {_WebSocket() for _ in range(3)}
        other.publish(3)
        # 5 HTTP connections here, 3 there: over the share of 4, so this response closes its connection
        (start, body) = _respond(balance)
        assert (b"connection", b"close") in start["headers"]
        assert (b"content-type", b"text/plain") in start["headers"]
        assert body == {"type": "http.response.body", "body": b"ok"}
        assert Share(fd, 1, 2).counts() == [5, 3]  # published: the websockets are not counted
        # 4 and 4: kept alive
        balance.connections = {_Http() for _ in range(4)}
        other.publish(4)
        (start, _body) = _respond(balance)
        assert (b"connection", b"close") not in start["headers"]
        # a websocket, even over the share, is left alone
        balance.connections = {_Http() for _ in range(8)}
        assert _respond(balance, "websocket") == [{"type": "websocket.accept", "headers": []}]
    finally:
        os.close(fd)


# --- two real web processes ----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _owners(port: int, pids: list[int]) -> dict[int, int]:
    """For each established connection to `port`: the client's port -> the pid of the process holding it."""
    inodes: dict[str, int] = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes[target[8:-1]] = pid
    owners = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
        if state == "01" and int(local.split(":")[1], 16) == port and inode in inodes:
            owners[int(remote.split(":")[1], 16)] = inodes[inode]
    return owners


def _spread(port: int, pids: list[int]) -> list[int]:
    owners = list(_owners(port, pids).values())
    return sorted(owners.count(pid) for pid in pids)


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads which process holds a connection in /proc")
def test_two_web_processes_even_out_a_lopsided_spread_of_keep_alive_connections(tmp_path):
    # given: two web processes as `lofte start --workers 2` runs them (a socket each, one shared count file)
    port = _free_port()
    share = Share.make_file(2)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "LOFTE_BASE_URL": ""}
    procs = []
    try:
        for index, sock in enumerate(listening_sockets("127.0.0.1", port, 2)):
            with sock:
                command = [sys.executable, "-m", "lofte.core.serve", str(sock.fileno()), str(share), str(index), "2"]
                procs.append(
                    subprocess.Popen(command, env=env, pass_fds=[sock.fileno(), share], stderr=subprocess.DEVNULL)
                )
        pids = [p.pid for p in procs]
        deadline = time.monotonic() + 30
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", "/")
                probe.getresponse().read()
                probe.close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the web processes did not answer"
                time.sleep(0.2)
        # and keep-alive clients whose connections the kernel happened to put mostly on one process: open
        # connections (accepted at once, before any request) until one process holds two more than the other
        clients: list[http.client.HTTPConnection] = []
        while True:
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            client.connect()
            clients.append(client)
            time.sleep(0.02)
            spread = _spread(port, pids)
            if len(clients) >= 6 and sum(spread) == len(clients) and spread[1] - spread[0] >= 2:
                break
            assert len(clients) < 64, spread
        # when: each client sends requests, opening a new connection when the server closed one
        closed = 0
        for _round in range(10):
            for client in clients:
                client.request("GET", "/")
                response = client.getresponse()
                response.read()
                if response.getheader("connection", "").lower() == "close":
                    closed += 1
                    client.close()  # http.client reconnects on the next request
        for client in clients:
            if client.sock is None:
                client.connect()
        time.sleep(0.1)
        # then: the connections are spread evenly (at most one apart), and only a few had to be moved
        final = _spread(port, pids)
        assert sum(final) == len(clients)
        assert final[1] - final[0] <= 1, final
        assert 0 < closed <= 3 * len(clients), closed
        for client in clients:
            client.close()
    finally:
        os.close(share)
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)
