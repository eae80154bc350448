"""A database of a benchmark's own: created and migrated fresh, dropped afterwards, never the user's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection


def _bench_db_name(current: str, label: str) -> str:
    pid = os.getpid()
    if connection.vendor == "sqlite":
        return str(Path(settings.DATA_DIR) / f"{label}_{pid}.sqlite3")
    return f"{current}_{label}_{pid}"[-63:].lstrip("_")


@contextmanager
def bench_database(label: str = "bench") -> Iterator[str]:
    """Switch the default connection to a fresh, migrated database; drop it afterwards.

    Works as well from a plain `lofte` process as from inside a test run
    (where the connection already points at the test database): the
    benchmark's database always gets a name of its own, with the process id.
    """
    settings_dict = connection.settings_dict
    old_name = settings_dict["NAME"]
    _pool_closed()  # a pool opened on the user's database would hand its connections to the benchmark
    test_settings = settings_dict.setdefault("TEST", {})
    old_test_name = test_settings.get("NAME")
    test_settings["NAME"] = _bench_db_name(str(old_name), label)
    try:
        try:
            name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        except BaseException:
            if connection.settings_dict["NAME"] != old_name:  # created, but migrating failed
                connection.creation.destroy_test_db(old_name, verbosity=0)
            raise
        try:
            yield name
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            if connection.vendor == "sqlite":
                for suffix in ("-wal", "-shm", "-journal", "-writer"):  # -writer: lofte.core.db.sqlite3's lock
                    Path(name + suffix).unlink(missing_ok=True)
    finally:
        test_settings["NAME"] = old_test_name
        _pool_closed()


def _pool_closed() -> None:
    """Close the connection and, on PostgreSQL, the process's pool: a pool connects to the database it was
    opened for, whatever the settings say afterwards."""
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
