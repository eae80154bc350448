"""The embedded database is SQLite in WAL mode with foreign keys enforced."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_foreign_keys():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL in this run")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 10000


@pytest.mark.django_db
def test_postgresql_connections_come_from_a_bounded_pool_and_plan_for_memory_or_ssd_without_jit():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite in this run")
    assert connection.settings_dict["CONN_MAX_AGE"] == 0
    assert connection.settings_dict["OPTIONS"]["pool"]["max_size"] == 8
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
        cursor.execute("SHOW max_parallel_workers_per_gather")  # no worker processes started for one page's query
        assert cursor.fetchone()[0] == "0"
        cursor.execute("SHOW jit")  # no compiling a query for longer than it runs
        assert cursor.fetchone()[0] == "off"
