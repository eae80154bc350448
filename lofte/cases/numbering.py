"""Case numbers: `LF-2026-000123`, numbered per year, unique, taken without holding anyone up.

SQLite writes one transaction at a time anyway: the year's row in `ReferenceSequence` is incremented (one
UPDATE ... RETURNING).

PostgreSQL has concurrent creators, and a row lock on the year's counter, taken when the case is inserted and
held to the end of the creating transaction, would queue every creator behind the one before. There the number
comes from a sequence per year (`lofte_case_number_2026`): `nextval` never waits and never rolls back, so a
transaction that fails after taking a number leaves a gap (docs/decisions/0009-case-numbers.md). The year's
sequence is made on its first use, starting after the year's row in `ReferenceSequence` (the numbers handed out
before, or by an import), on a connection of its own so that it exists at once for every creator.
"""

from __future__ import annotations

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from lofte.cases.models import ReferenceSequence

_sequences: set[tuple[str, int]] = set()  # (database, year) whose sequence exists
_taken = False  # a number was taken from a sequence (the tests start each one afresh)
# what Django passes to psycopg.connect beside the connection string's own parameters
_DJANGO_KEYS = {"cursor_factory", "context", "prepare_threshold", "server_side_binding", "pool", "assume_role"}


def sequence_name(year: int) -> str:
    return f"lofte_case_number_{int(year)}"


def _number_from_row(year: int) -> int:
    """Atomically take the next number of the year from its row (made on first use)."""
    table = ReferenceSequence._meta.db_table
    sql = f"UPDATE {table} SET last_value = last_value + 1 WHERE year = %s RETURNING last_value"  # noqa: S608
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [year])
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
        try:
            with transaction.atomic():
                ReferenceSequence.objects.create(year=year, last_value=0)
        except IntegrityError:
            pass  # another transaction created the year's row first
    raise RuntimeError("could not take a case number")  # pragma: no cover


def _sequence_ensure(year: int) -> None:
    """Make the year's sequence unless this process knows it exists: on a connection of its own, committed at
    once. Made inside the creating transaction, it would hold every other creator of the year until that
    transaction ends, and go if it rolled back; and the creating transaction itself never looks for a sequence
    that is not there (PostgreSQL would remember the miss until the transaction ends)."""
    key = (str(connection.settings_dict["NAME"]), year)
    if key in _sequences:
        return
    start = (ReferenceSequence.objects.filter(year=year).values_list("last_value", flat=True).first() or 0) + 1
    params = {k: v for k, v in connection.get_connection_params().items() if k not in _DJANGO_KEYS}
    with psycopg.connect(**params, autocommit=True) as own:
        own.execute(f"CREATE SEQUENCE IF NOT EXISTS {sequence_name(year)} START WITH {int(start)}")
    _sequences.add(key)


def number_next(year: int) -> int:
    """The next case number of `year`."""
    if connection.vendor != "postgresql":
        return _number_from_row(year)
    _sequence_ensure(year)
    global _taken
    _taken = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [sequence_name(year)])
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def number_last(year: int) -> int:
    """The last number handed out in `year` (0: none), for the admin."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [sequence_name(year)])
            row = cursor.fetchone()
            if row is not None and row[0] is not None:
                cursor.execute(f"SELECT last_value, is_called FROM {sequence_name(year)}")  # noqa: S608
                last, called = cursor.fetchone() or (0, False)
                return int(last) if called else int(last) - 1
    return ReferenceSequence.objects.filter(year=year).values_list("last_value", flat=True).first() or 0


def reference_next(year: int) -> str:
    return f"{settings.LOFTE_REFERENCE_PREFIX}-{year}-{number_next(year):06d}"
