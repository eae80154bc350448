"""Rate limits shared by every process: a fixed-window counter per key in the database.

    result = ratelimit_hit("contact:ip:203.0.113.5", limit=10, window=timedelta(hours=1))
    if not result.allowed:
        ... answer 429 with Retry-After: result.retry_after seconds

One UPDATE ... RETURNING per hit (an INSERT the first time in a window), the
same SQL on SQLite and PostgreSQL; concurrent hits are counted exactly.
Old windows are removed by the hourly prune job.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, connection, transaction

from lofte.core import clock
from lofte.core.models import RateLimitCounter


@dataclass(frozen=True)
class RateResult:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window ends (0 when allowed)


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
    retry = max(1, math.ceil((start + window - now).total_seconds()))
    allowed = count <= limit
    return RateResult(allowed=allowed, count=count, limit=limit, retry_after=0 if allowed else retry)


def ratelimit_prune(*, older_than: timedelta = timedelta(days=1), now: datetime | None = None) -> int:
    now = now or clock.now()
    deleted, _ = RateLimitCounter.objects.filter(window_start__lt=now - older_than).delete()
    return deleted


def client_key(remote_addr: str) -> str:
    """The rate-limit key of a client address: the address itself, or for IPv6 its /64 (one household or host)."""
    try:
        address = ipaddress.ip_address((remote_addr or "").strip())
    except ValueError:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
