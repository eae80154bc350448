"""What a benchmark may leave behind: its own database, which must be gone once it has run."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.db import connection


def bench_databases(label: str) -> list[str]:
    """The benchmark databases (`bench_database(label)`) of this process that still exist."""
    pid = os.getpid()
    if connection.vendor == "sqlite":
        return [str(p) for p in Path(settings.DATA_DIR).glob(f"{label}_{pid}.sqlite3*")]
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"%_{label}_{pid}"])
        return [row[0] for row in cursor.fetchall()]
