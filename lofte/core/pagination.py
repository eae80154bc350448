"""Keyset ("cursor") pagination: WHERE (sort, id) beyond the last row, never OFFSET.

A page costs the same at row 10 as at row 100,000. The cursor is an opaque,
URL-safe string holding the last row's sort value and id; a tampered cursor
is a clear error, not a server error.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.db import models
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from lofte.core.errors import ValidationFailed

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class SortKey:
    """One sort order: a field (non-null or nullable), a direction, nulls always last."""

    field: str
    descending: bool
    nullable: bool = False
    kind: str = "datetime"  # datetime | int | float | str


@dataclass
class Page[M: models.Model]:
    items: list[M]
    next_cursor: str | None


def _encode_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return value.isoformat()
    return value


def _decode_value(value: Any, kind: str) -> Any:
    """The sort value from a cursor, of exactly the key's kind; anything else is a TypeError or ValueError."""
    if value is None:
        return None
    if kind == "datetime":
        if not isinstance(value, str):
            raise TypeError("datetime expected")
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive datetime in cursor")
        return parsed.astimezone(UTC)  # OverflowError beyond year 1..9999 in UTC
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("integer expected")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise TypeError("finite number expected")
        return float(value)
    if not isinstance(value, str):
        raise TypeError("string expected")
    return value


def _decode_pk(pk: Any) -> int:
    if isinstance(pk, bool) or not isinstance(pk, int):
        raise TypeError("integer id expected")
    return pk


def encode_cursor(row: models.Model, key: SortKey) -> str:
    value = getattr(row, key.field)
    payload = json.dumps([_encode_value(value, key.kind), row.pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, key: SortKey) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(data, list) or len(data) != 2:
            raise ValueError("a cursor is [value, id]")
        value, pk = data
        if value is None and not key.nullable:
            raise ValueError("this sort key has no nulls")
        return _decode_value(value, key.kind), _decode_pk(pk)
    except (ValueError, TypeError, OverflowError) as exc:  # json.JSONDecodeError is a ValueError
        raise ValidationFailed(_("The cursor is not valid; start again from the first page."), field="cursor") from exc


def _after(key: SortKey, value: Any, pk: int) -> Q:
    beyond = "lt" if key.descending else "gt"
    if value is None:
        # Already in the nulls, which come last: only later ids among them.
        return Q(**{f"{key.field}__isnull": True, f"pk__{beyond}": pk})
    q = Q(**{f"{key.field}__{beyond}": value}) | Q(**{key.field: value, f"pk__{beyond}": pk})
    if key.nullable:
        q |= Q(**{f"{key.field}__isnull": True})
    return q


def order_by(key: SortKey) -> list[Any]:
    """The ordering of `key`: nulls last only for a key that can be null. A NULLS LAST on a column without nulls
    changes nothing in the order, but PostgreSQL then cannot read it off a plain index (it sorted every row of the
    complaint register at 100,000 complaints to return 26)."""
    if not key.nullable:
        return [F(key.field).desc(), F("pk").desc()] if key.descending else [F(key.field).asc(), F("pk").asc()]
    if key.descending:
        return [F(key.field).desc(nulls_last=True), F("pk").desc()]
    return [F(key.field).asc(nulls_last=True), F("pk").asc()]


def paginate[M: models.Model](
    queryset: QuerySet[M], *, key: SortKey, cursor: str | None, limit: int, rows_from: QuerySet[M] | None = None
) -> Page[M]:
    """One page of `queryset` ordered by `key`, after `cursor`; fetches limit+1 rows to know if more follow.

    With `rows_from` (the same model, with its joins and prefetches), the page is chosen on `queryset` alone and
    only its rows are read from `rows_from`: the database then sorts the matching rows' keys rather than whole
    rows with every joined table attached. `key` must then be a column of the model, not an annotation."""
    if cursor:
        value, pk = decode_cursor(cursor, key)
        queryset = queryset.filter(_after(key, value, pk))
    chosen = queryset.order_by(*order_by(key))[: limit + 1]
    if rows_from is not None:
        chosen = rows_from.filter(pk__in=chosen.values("pk")).order_by(*order_by(key))
    rows = list(chosen)
    return _page(rows[:limit], key, more=len(rows) > limit)


def _page[M: models.Model](rows: list[M], key: SortKey, *, more: bool) -> Page[M]:
    """A page of these rows, with the cursor after its last row when more follow."""
    return Page(items=rows, next_cursor=encode_cursor(rows[-1], key) if more and rows else None)


def paginate_walk[M: models.Model](
    candidates: QuerySet[M],
    *,
    key: SortKey,
    cursor: str | None,
    limit: int,
    keep: Callable[[list[int]], set[int]],
    rows_from: QuerySet[M],
    chunk: int,
    chunks: int,
) -> Page[M] | None:
    """One page of the candidates that `keep` accepts, ordered by `key` after `cursor`, found by walking the
    candidates in that order, `chunk` keys at a time, and asking `keep` which of each chunk's ids to keep (the
    page's rows are then read from `rows_from`, as in `paginate`).

    For a filter that most rows pass but that is costly to check for all of them at once (a search for a common
    word): the walk stops as soon as the page is full. None when `chunks` chunks did not fill it and candidates
    remain: the caller then asks the database for the matching rows outright."""
    after = decode_cursor(cursor, key) if cursor else None
    kept: list[int] = []
    for _turn in range(chunks):
        queryset = candidates if after is None else candidates.filter(_after(key, after[0], after[1]))
        batch = list(queryset.order_by(*order_by(key)).values_list(key.field, "pk")[:chunk])
        accepted = keep([pk for _value, pk in batch]) if batch else set()
        kept += [pk for _value, pk in batch if pk in accepted]
        if len(kept) > limit or len(batch) < chunk:
            break
        after = batch[-1]
    else:
        return None
    rows = list(rows_from.filter(pk__in=kept[:limit]).order_by(*order_by(key)))
    return _page(rows, key, more=len(kept) > limit)
