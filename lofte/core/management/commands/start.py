"""`lofte start`: the web server and the task worker together; Ctrl-C stops both."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from argparse import ArgumentParser
from collections.abc import Mapping
from typing import Any

from django.core.management.base import BaseCommand

from lofte.core.serve import Share

LOCAL_HOSTS = ("127.0.0.1", "0.0.0.0", "localhost", "::", "::1", "")  # noqa: S104 - names, not a bind


def shown_host(host: str) -> str:
    """The host name people (and links) use for the address the server listens on."""
    if host in LOCAL_HOSTS:
        return "localhost"
    return f"[{host}]" if ":" in host else host


def child_environment(environ: Mapping[str, str], *, host: str, port: int) -> dict[str, str]:
    """The environment of the web server and the worker: PORT, and LOFTE_BASE_URL unless it is set, so that
    every link Lofte sends (portal, acknowledgements, notifications) points at the port it serves on."""
    env = dict(environ)
    env["PORT"] = str(port)
    if not env.get("LOFTE_BASE_URL", "").strip():
        env["LOFTE_BASE_URL"] = f"http://{shown_host(host)}:{port}"
    return env


def _wait_until_serving(host: str, port: int, procs: list[subprocess.Popen[bytes]], timeout: float = 30) -> None:
    """Return when the web server answers HTTP (or a process has died, or time is up). The sockets listen from
    the start, so a connection alone proves nothing: an answer comes once Django is loaded."""
    deadline = time.monotonic() + timeout
    address = host if host not in ("0.0.0.0", "::", "") else "127.0.0.1"  # noqa: S104
    while time.monotonic() < deadline and all(p.poll() is None for p in procs):
        connection = http.client.HTTPConnection(address, port, timeout=2)
        try:
            connection.request("HEAD", "/")
            connection.getresponse()
            return
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """One listening socket per web process, all on the same address (SO_REUSEPORT), so that the kernel spreads
    new connections over the processes. With one shared socket (uvicorn's --workers), the process that wakes
    first accepts every connection waiting, and a burst of keep-alive connections all lands on one process
    while the others idle (ADR 0010)."""
    family, kind, proto, _name, address = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)[0]
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind(address)
            sock.listen(2048)
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class Command(BaseCommand):
    help = "Run the web server (uvicorn, ASGI; one process per --workers) and `lofte worker` until Ctrl-C."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=1, help="Web server processes.")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port, workers = options["host"], options["port"], max(1, options["workers"])
        env = child_environment(os.environ, host=host, port=port)
        # Own process groups: a Ctrl-C in the terminal reaches only this command, which then
        # stops each child once (a second signal would make the worker abandon a delivery).
        procs: list[subprocess.Popen[bytes]] = []
        share = Share.make_file(workers)  # the web processes' connection counts (lofte.core.serve: Balance)
        for index, sock in enumerate(listening_sockets(host, port, workers)):
            with sock:  # the web process has its own descriptor of it
                web = [
                    sys.executable,
                    "-m",
                    "lofte.core.serve",
                    str(sock.fileno()),
                    str(share),
                    str(index),
                    str(workers),
                ]
                fds = [sock.fileno(), share]
                procs.append(subprocess.Popen(web, process_group=0, env=env, pass_fds=fds))  # noqa: S603
        os.close(share)  # the web processes have theirs
        worker = [sys.executable, "-m", "config.manage", "worker"]
        procs.append(subprocess.Popen(worker, process_group=0, env=env))  # noqa: S603
        _wait_until_serving(host, port, procs)
        self.stdout.write(self.style.SUCCESS(f"\nLofte is running at http://{shown_host(host)}:{port}/"))
        self.stdout.write(f"Links in what it sends start with {env['LOFTE_BASE_URL']}")
        if login := os.environ.get("LOFTE_DEMO_LOGIN"):
            self.stdout.write(f"Log in as {login}")
        self.stdout.write("Press Ctrl-C to stop the web server and the worker.\n")

        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, stop)
        while not stopping and all(p.poll() is None for p in procs):
            time.sleep(0.2)
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            # the whole group: a web server's worker processes must not outlive it
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        self.stdout.write("Lofte stopped.")
