"""`lofte worker`: runs the periodic scheduler and the django.tasks database worker in one loop."""

from __future__ import annotations

import logging
import signal
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Worker

from lofte.core.scheduler import tick
from lofte.core.workers import worker_id

logger = logging.getLogger("lofte.worker")


class Command(BaseCommand):
    help = "Run background tasks and the periodic jobs of config/schedule.py until stopped (Ctrl-C)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds to sleep when idle.")
        parser.add_argument(
            "--once", action="store_true", help="Run one round (schedule and all ready tasks), then exit."
        )
        parser.add_argument("--no-schedule", action="store_true", help="Run tasks only, not the periodic jobs.")

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = import_string(settings.LOFTE_SCHEDULE)

        self.running = True
        self.tasks: Worker | None = None
        me = worker_id()

        def stop(signum: int, frame: FrameType | None) -> None:
            if not self.running:
                raise SystemExit(1)  # a second Ctrl-C: stop now, even mid-task
            self.running = False
            if self.tasks is not None:
                self.tasks.running = False  # finish the task at hand, start no other

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.stdout.write(f"Lofte worker {me} started ({len(jobs)} periodic jobs).")
            while self.running:
                self._round(jobs, me, schedule=not options["no_schedule"])
                if options["once"]:
                    break
                deadline = time.monotonic() + options["interval"]
                while self.running and time.monotonic() < deadline:
                    time.sleep(min(0.1, options["interval"]))
            self.stdout.write("Lofte worker stopped.")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _round(self, jobs: list[Any], me: str, *, schedule: bool) -> None:
        """Enqueue the periodic jobs that are due, then run every ready task."""
        close_old_connections()
        if schedule:
            try:
                tick(jobs, worker=me)
            except Exception:
                logger.exception("scheduler tick failed")
        self.tasks = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=me,
            excluded_queue_names=[],
        )
        try:
            if self.running:
                self.tasks.run()
        finally:
            self.tasks = None
