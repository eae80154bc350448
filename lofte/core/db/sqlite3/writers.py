"""Fair turns for SQLite's one writer: a first-come, first-served queue inside the process, a file lock across
processes.

SQLite lets one transaction write at a time. Left to itself, every `BEGIN IMMEDIATE` that finds the write lock
taken sleeps in SQLite's busy handler (1, 2, 5, 10 ... up to 100 ms between tries) and retries, with no queue:
with eight writers some wait a second or more while others get in at once. Here the threads of a process line up
in the order they asked (`WriterQueue`), and the head of each process's line waits on an exclusive `flock` of a
file beside the database (`ProcessLock`), which the kernel hands over the moment it is released: nobody sleeps
longer than the turn before theirs takes. SQLite's own locking stays underneath (and the busy timeout for any
other program that opens the file).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections import deque

from django.db import OperationalError


class WriterQueue:
    """A first-come, first-served lock: `acquire` waits for the turns of everyone who asked before."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiting: deque[threading.Event] = deque()

    def acquire(self, timeout: float) -> None:
        """Take the turn, or raise OperationalError ("database is locked", as SQLite says) after `timeout` s."""
        with self._mutex:
            if not self._held and not self._waiting:
                self._held = True
                return
            turn = threading.Event()
            self._waiting.append(turn)
        if turn.wait(timeout):
            return  # handed over by release(): the lock is ours
        with self._mutex:
            if turn.is_set():  # handed over between the timeout and now
                return
            self._waiting.remove(turn)
        raise OperationalError(f"database is locked (waited {timeout:g} s for the writers before this one)")

    def release(self) -> None:
        """Hand the turn to the one who has waited longest (the lock stays held), or free it."""
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._held = False

    @property
    def waiting(self) -> int:
        return len(self._waiting)


class ProcessLock:
    """An exclusive `flock` on `path`, across processes.

    Uncontended, one non-blocking `flock` on a file kept open per process (a forked child opens its own: a
    shared open file would make both one holder). Contended, a helper thread waits in a blocking `flock` on a
    file opened for this one wait, so the kernel wakes it the moment the other process lets go, and the caller
    gives up after `timeout` s; a wait given up releases its own file when it is finally granted, touching
    nobody else's lock."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid = 0
        self._held: int | None = None  # the file holding the lock now

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self, timeout: float) -> None:
        fd = self._file()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._held = fd
            return
        except BlockingIOError:
            pass
        own = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        granted = threading.Event()
        guard = threading.Lock()
        given_up = False

        def wait() -> None:
            fcntl.flock(own, fcntl.LOCK_EX)
            with guard:
                if not given_up:
                    granted.set()
                    return
            fcntl.flock(own, fcntl.LOCK_UN)
            os.close(own)

        threading.Thread(target=wait, name="sqlite-writer-wait", daemon=True).start()
        if not granted.wait(timeout):
            with guard:
                given_up = not granted.is_set()
            if given_up:
                raise OperationalError(f"database is locked (another process has written for more than {timeout:g} s)")
        self._held = own

    def release(self) -> None:
        fd, self._held = self._held, None
        if fd is None:
            return
        fcntl.flock(fd, fcntl.LOCK_UN)
        if fd != self._fd:
            os.close(fd)
