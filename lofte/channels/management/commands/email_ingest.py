"""`lofte email_ingest [--mailbox NAME] [--json] PATH...`: file .eml files, directories of them, or stdin (`-`).

An MTA can pipe each message into `lofte email_ingest --mailbox support -`.
Every message is handled (a bad one is quarantined), so the exit status is 0
unless the command could not run: an unknown mailbox or a path that does not exist.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lofte.channels.email.ingest import email_ingest
from lofte.channels.models import Mailbox, Source

SKIP_NAMES = {".DS_Store"}


def _files(paths: list[str]) -> Iterator[tuple[str, Path | None]]:
    """(display name, path) for each input; path None means standard input."""
    for name in paths:
        if name == "-":
            yield "-", None
            continue
        path = Path(name)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.name not in SKIP_NAMES and not child.name.startswith("."):
                    yield str(child), child
        else:
            yield name, path


class Command(BaseCommand):
    help = "File raw emails (.eml files, directories of them, or '-' for standard input) into cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="an .eml file, a directory, or - for stdin")
        parser.add_argument("--mailbox", help="the mailbox (its name) the messages arrived in")
        parser.add_argument("--json", action="store_true", help="one JSON object per message, one per line")

    def handle(self, *args: Any, **options: Any) -> None:
        mailbox = None
        if name := options.get("mailbox"):
            mailbox = Mailbox.objects.filter(name=name).first()
            if mailbox is None:
                known = ", ".join(Mailbox.objects.values_list("name", flat=True)) or "none configured"
                raise CommandError(f"There is no mailbox named {name!r} (known: {known}).")
        missing = [p for p in options["paths"] if p != "-" and not Path(p).exists()]
        if missing:
            raise CommandError(f"No such file or directory: {', '.join(missing)}")
        as_json = options["json"]
        counts: Counter[str] = Counter()
        for display, path in _files(options["paths"]):
            raw = sys.stdin.buffer.read() if path is None else path.read_bytes()
            result = email_ingest(raw, mailbox=mailbox, source=Source.CLI)
            counts[str(result.outcome)] += 1
            if as_json:
                line = {"file": display, **result.as_dict()}
                line.pop("inbound_id")
                self.stdout.write(json.dumps(line, ensure_ascii=False))
            else:
                where = f" {result.case}" if result.case else ""
                why = f": {result.error}" if result.error else ""
                self.stdout.write(f"{display}: {result.outcome}{where}{why}")
        if not as_json:
            summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "no messages"
            self.stderr.write(f"{sum(counts.values())} messages: {summary}")
