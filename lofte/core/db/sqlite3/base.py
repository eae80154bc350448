"""Django's SQLite backend, with fair turns for writers (see `writers`).

`ENGINE = "lofte.core.db.sqlite3"` (config/settings.py sets it for an SQLite DATABASE_URL). Every transaction
starts with `BEGIN IMMEDIATE` (the write lock); here it first waits for its turn: behind the earlier
transactions of this process in arrival order, then for the other processes' writer through a file lock beside
the database (`<name>-writer`). The turn ends with the transaction: commit, rollback or a closed connection.
Statements outside a transaction (autocommit) are single statements and keep SQLite's busy timeout.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from django.db.backends.sqlite3 import base

from lofte.core.db.sqlite3.writers import ProcessLock, WriterQueue

_registry: dict[str, tuple[WriterQueue, ProcessLock]] = {}
_registry_lock = threading.Lock()


def _reset_after_fork() -> None:
    global _registry_lock
    _registry.clear()
    _registry_lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


def writer_locks(name: str) -> tuple[WriterQueue, ProcessLock]:
    """The queue and the file lock of the database file `name` (one pair per file and process)."""
    path = os.path.abspath(name)
    with _registry_lock:
        if path not in _registry:
            _registry[path] = (WriterQueue(), ProcessLock(f"{path}-writer"))
        return _registry[path]


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_turn: tuple[WriterQueue, ProcessLock] | None = None

    def _turn_timeout(self) -> float:
        return float(self.settings_dict["OPTIONS"].get("timeout", 10))

    def _start_transaction_under_autocommit(self) -> None:
        if self.is_in_memory_db():
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
            return
        queue, process_lock = writer_locks(self.settings_dict["NAME"])
        timeout = self._turn_timeout()
        queue.acquire(timeout)
        try:
            process_lock.acquire(timeout)
        except BaseException:
            queue.release()
            raise
        self._writer_turn = (queue, process_lock)
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._end_turn()
            raise

    def _end_turn(self) -> None:
        turn, self._writer_turn = self._writer_turn, None
        if turn is not None:
            queue, process_lock = turn
            try:
                process_lock.release()
            finally:
                queue.release()

    def _commit(self) -> None:
        super()._commit()  # type: ignore[misc]
        self._end_turn()  # a failed COMMIT leaves the transaction open: the rollback that follows ends the turn

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._end_turn()

    def __del__(self) -> None:
        # A thread that ended inside a transaction (its connection dropped with its thread-locals): SQLite lets
        # go of the write lock when the connection is collected; the turn must go with it.
        self._end_turn()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._end_turn()
