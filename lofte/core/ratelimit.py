"""Rate limits shared by every process, in the database: fixed-window counters, and failure counters with a lock.

    result = ratelimit_hit("contact:ip:203.0.113.5", limit=10, window=timedelta(hours=1))
    if not result.allowed:
        ... answer 429 with Retry-After: result.retry_after seconds

One UPDATE ... RETURNING per hit (an INSERT the first time in a window), the
same SQL on SQLite and PostgreSQL; concurrent hits are counted exactly.

Failures (wrong passwords, bad tokens) need more than a fixed window: a lock
that starts at the failure that reached the limit and lasts a set time, and a
count that a success can clear:

    until = failures_locked_until(["login:pair:..."])   # one SELECT for all the keys asked about
    result = failure_record("login:pair:...", limit=5, window=timedelta(minutes=15), lock_for=timedelta(minutes=15))

A key's window starts at its first failure; the failure that brings the count
within one window to `limit`, and each further one in that window, locks the
key for `lock_for` from that moment. A lock as long as the window gives a
lock-out with a fresh count after it; a short lock in a long window gives a
slow-down (one attempt per `lock_for`). Each failure is one row lock (SELECT
... FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions queue writers),
so concurrent failures are counted exactly. Old windows and counters past
their lock are removed by the hourly prune job.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Max

from lofte.core import clock
from lofte.core.models import FailureCounter, RateLimitCounter


@dataclass(frozen=True)
class RateResult:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window ends (0 when allowed)


def client_key(remote_addr: str) -> str:
    """The rate-limit key of a client address: the address itself, or for IPv6 its /64 (one household or host).

    The address is REMOTE_ADDR: a reverse proxy in front must set it to the client's address, not its own."""
    try:
        address = ipaddress.ip_address((remote_addr or "").strip())
    except ValueError:
        return "unknown"
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def retry_after(until: datetime, now: datetime | None = None) -> int:
    """Whole seconds from now until `until` (at least 1): the value of a Retry-After header."""
    return max(1, math.ceil((until - (now or clock.now())).total_seconds()))


def _window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def _key(key: str) -> str:
    """Keys longer than the column are shortened the same way every time (a hash of the whole key)."""
    if len(key) <= 200:
        return key
    return key[:135] + ":" + hashlib.sha256(key.encode()).hexdigest()


def _increment(key: str, start: datetime) -> int | None:
    table = RateLimitCounter._meta.db_table
    qn = connection.ops.quote_name
    sql = (
        f"UPDATE {qn(table)} SET {qn('count')} = {qn('count')} + 1 "  # noqa: S608
        f"WHERE {qn('key')} = %s AND {qn('window_start')} = %s RETURNING {qn('count')}"
    )
    value = connection.ops.adapt_datetimefield_value(start) if connection.vendor != "postgresql" else start
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, value])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def ratelimit_hit(key: str, *, limit: int, window: timedelta, now: datetime | None = None) -> RateResult:
    """Count one hit on `key`; allowed while the window's count is at most `limit`."""
    now = now or clock.now()
    key = _key(key)
    start = _window_start(now, window)
    count = _increment(key, start)
    if count is None:
        try:
            with transaction.atomic():
                RateLimitCounter.objects.create(key=key, window_start=start, count=1)
            count = 1
        except IntegrityError:
            count = _increment(key, start) or 1
    retry = retry_after(start + window, now)
    allowed = count <= limit
    return RateResult(allowed=allowed, count=count, limit=limit, retry_after=0 if allowed else retry)


def ratelimit_prune(*, older_than: timedelta = timedelta(days=1), now: datetime | None = None) -> int:
    """Remove windows older than `older_than`, and failure counters whose window and lock are over."""
    now = now or clock.now()
    deleted, _ = RateLimitCounter.objects.filter(window_start__lt=now - older_than).delete()
    expired, _ = FailureCounter.objects.filter(expires_at__lt=now).delete()
    return deleted + expired


# --- failures and locks --------------------------------------------------------


@dataclass(frozen=True)
class FailureResult:
    failures: int  # in the key's current window, this one included
    locked_until: datetime | None  # when the key is locked after this failure


def failures_locked_until(keys: Iterable[str], *, now: datetime | None = None) -> datetime | None:
    """The latest time any of `keys` is locked until, or None when none of them is locked now."""
    now = now or clock.now()
    found = FailureCounter.objects.filter(key__in=[_key(k) for k in keys], locked_until__gt=now).aggregate(
        until=Max("locked_until")
    )
    return found["until"]


def failure_record(
    key: str, *, limit: int, window: timedelta, lock_for: timedelta, now: datetime | None = None
) -> FailureResult:
    """Count one failure on `key`; from the `limit`-th failure within one window on, lock it for `lock_for`."""
    now = now or clock.now()
    key = _key(key)
    with transaction.atomic():
        row = FailureCounter.objects.select_for_update().filter(key=key).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = FailureCounter.objects.create(key=key, failures=0, window_start=now, expires_at=now)
            except IntegrityError:  # another process counted the first failure at the same moment
                row = FailureCounter.objects.select_for_update().get(key=key)
        if now >= row.window_start + window:
            row.failures, row.window_start = 0, now
        row.failures += 1
        if row.failures >= limit:
            row.locked_until = max(row.locked_until or now, now + lock_for)
        row.expires_at = max(row.window_start + window, row.locked_until or now)
        row.save(update_fields=["failures", "window_start", "locked_until", "expires_at"])
    locked = row.locked_until if row.locked_until is not None and row.locked_until > now else None
    return FailureResult(failures=row.failures, locked_until=locked)


def failures_clear(keys: Iterable[str]) -> int:
    """Forget the failures (and any lock) of `keys`, e.g. after a success."""
    deleted, _ = FailureCounter.objects.filter(key__in=[_key(k) for k in keys]).delete()
    return deleted
