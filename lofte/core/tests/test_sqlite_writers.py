"""SQLite's writers take fair turns: first come, first served inside a process; a file lock across processes;
the turn ends with the transaction however it ends."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from lofte.core.db.sqlite3.base import writer_locks
from lofte.core.db.sqlite3.writers import ProcessLock, WriterQueue
from lofte.core.models import RateLimitCounter


def _wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def test_writers_get_their_turn_in_the_order_they_asked():
    queue = WriterQueue()
    queue.acquire(1)
    order: list[int] = []

    def writer(n: int) -> None:
        queue.acquire(5)
        order.append(n)
        queue.release()

    threads = []
    for n in range(6):
        thread = threading.Thread(target=writer, args=(n,))
        thread.start()
        threads.append(thread)
        _wait_until(lambda n=n: queue.waiting == n + 1)  # n+1 in line before the next one asks
    queue.release()
    for thread in threads:
        thread.join(5)

    assert order == [0, 1, 2, 3, 4, 5]


def test_a_writer_that_waits_too_long_is_told_the_database_is_locked_and_leaves_the_line():
    queue = WriterQueue()
    queue.acquire(1)

    with pytest.raises(OperationalError, match="database is locked"):
        queue.acquire(0.05)

    assert queue.waiting == 0
    queue.release()
    queue.acquire(0.01)  # free again at once: nobody is left waiting for a turn that no one takes


HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").write("held")
time.sleep(float(sys.argv[3]))
open(sys.argv[2], "w").write("released")
fcntl.flock(fd, fcntl.LOCK_UN)
"""


def _holder(tmp_path: Path, seconds: float) -> tuple[subprocess.Popen[bytes], Path, Path]:
    lock, marker = tmp_path / "db-writer", tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(lock), str(marker), str(seconds)])
    _wait_until(lambda: marker.exists() and marker.read_text() == "held")
    return proc, lock, marker


def test_a_writer_in_another_process_is_waited_for_and_the_turn_comes_when_it_lets_go(tmp_path):
    proc, lock, marker = _holder(tmp_path, 0.3)
    process_lock = ProcessLock(str(lock))

    process_lock.acquire(5)

    assert marker.read_text() == "released"  # not before the other process let go
    process_lock.release()
    proc.wait(5)


def test_a_writer_in_another_process_that_holds_on_too_long_gives_a_clear_error_and_no_stale_lock(tmp_path):
    proc, lock, _marker = _holder(tmp_path, 1.0)
    process_lock = ProcessLock(str(lock))

    with pytest.raises(OperationalError, match="another process"):
        process_lock.acquire(0.1)
    proc.wait(5)

    # the wait given up took the lock when the other process let go, and let it go again at once
    _wait_until(lambda: _free(lock))
    process_lock.acquire(0.5)
    process_lock.release()


def _free(lock: Path) -> bool:
    probe = ProcessLock(str(lock))
    try:
        probe.acquire(0.0)
    except OperationalError:
        return False
    probe.release()
    return True


# --- the backend --------------------------------------------------------------------------------------


def _sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL in this run: its writers do not queue")


def _turn_taken() -> bool:
    queue, _ = writer_locks(connection.settings_dict["NAME"])
    return queue._held


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_writers_all_commit_and_the_turn_is_free_afterwards():
    _sqlite_only()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                with transaction.atomic():
                    RateLimitCounter.objects.create(key=f"w{n}-{i}", window_start=timezone.now(), count=1)
        except BaseException as exc:  # pragma: no cover - the assertion shows it
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert RateLimitCounter.objects.count() == 80
    assert not _turn_taken()


@pytest.mark.django_db(transaction=True)
def test_the_turn_ends_with_a_rollback():
    _sqlite_only()
    taken = []

    def fail() -> None:
        with transaction.atomic():
            RateLimitCounter.objects.create(key="x", window_start=timezone.now(), count=1)
            taken.append(_turn_taken())
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail()

    assert taken == [True]

    assert not _turn_taken()
    assert not RateLimitCounter.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_thread_that_ends_inside_a_transaction_does_not_keep_the_turn():
    _sqlite_only()

    def abandon() -> None:
        transaction.atomic().__enter__()  # never left: the thread just ends
        RateLimitCounter.objects.create(key="lost", window_start=timezone.now(), count=1)

    thread = threading.Thread(target=abandon)
    thread.start()
    thread.join(5)
    del thread
    gc.collect()

    assert not _turn_taken()
    with transaction.atomic():  # and writing goes on
        RateLimitCounter.objects.create(key="next", window_start=timezone.now(), count=1)
    assert list(RateLimitCounter.objects.values_list("key", flat=True)) == ["next"]
