"""`lofte seed_demo [--if-empty]`: load the demo data set (see lofte/demo/data.py)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lofte.demo.data import DEMO_LOGIN, DEMO_PASSWORD, QA_LOGIN, demo_data_present, seed_demo


class Command(BaseCommand):
    help = (
        "Load the demo data: two teams, six agents, a month of solved cases and today's cases, promises and "
        "callbacks, relative to now."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the demo data is already there.")

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_data_present():
            if options["if_empty"]:
                self.stdout.write("Demo data already loaded.")
                return
            raise CommandError("The demo data is already loaded.")
        counts = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded: {counts['teams']} teams, {counts['agents']} agents, "
                f"{counts['customers']} customers, {counts['cases']} cases ({counts['today']} of them today), "
                f"{counts['articles']} help-centre articles. "
                f"Log in as {DEMO_LOGIN} / {DEMO_PASSWORD} (team lead), admin@demo.lofte.se (admin) or "
                f"{QA_LOGIN} (QA reviewer), with the same password."
            )
        )
