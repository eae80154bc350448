"""`lofte start`: the web server and the task worker together; Ctrl-C stops both."""

from __future__ import annotations

import contextlib
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


def _wait_for_port(host: str, port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Return when the web server accepts connections (or has died, or time is up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection((host if host != "0.0.0.0" else "127.0.0.1", port), timeout=0.5):  # noqa: S104
                return
        except OSError:
            time.sleep(0.2)


class Command(BaseCommand):
    help = "Run the web server (uvicorn, ASGI) and `lofte worker` until Ctrl-C."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=1, help="Web server processes.")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        web = [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(options["workers"]),
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "5",
        ]
        worker = [sys.executable, "-m", "config.manage", "worker"]
        env = child_environment(os.environ, host=host, port=port)
        # Own process groups: a Ctrl-C in the terminal reaches only this command, which then
        # stops each child once (a second signal would make the worker abandon a delivery).
        procs = [
            subprocess.Popen(web, process_group=0, env=env),  # noqa: S603
            subprocess.Popen(worker, process_group=0, env=env),  # noqa: S603
        ]
        _wait_for_port(host, port, procs[0])
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
