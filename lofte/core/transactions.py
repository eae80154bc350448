"""What waits for the current transaction's commit (Django's `transaction.on_commit`), for code that asks for
one thing per transaction however often it is called within it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction


def waiting_on_commit(match: Callable[[Callable[[], Any]], bool]) -> Callable[[], Any] | None:
    """The callback that `match` accepts among those waiting for this transaction's commit, or None (also outside
    a transaction, where a callback runs at once).

    Joining it rather than registering another is safe: one registered in a savepoint that is still open is
    dropped if that savepoint rolls back, and so is everything done within it since, the caller's work included
    (savepoints nest); one from a savepoint already released waits for the commit like the rest."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    return next((func for _ids, func, _robust in reversed(connection.run_on_commit) if match(func)), None)
