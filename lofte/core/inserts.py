"""A lean INSERT for the hottest write path (case creation).

`Model.objects.create()` compiles its INSERT afresh for every row; on SQLite,
where the statement itself runs in-process in ~50 µs, that compilation costs
more than the write (see docs/decisions/0004-lean-inserts.md). `insert(obj)`
prepares each field's value exactly as Django's insert compiler does
(`pre_save`, then `get_db_prep_save`) but reuses one cached statement per
model. It sends no pre_save/post_save signals, which Lofte does not use for
domain flow anyway, and it is only for plain models: no multi-table
inheritance, no expressions as values.
"""

from __future__ import annotations

from functools import cache

from django.db import connections, models
from django.db.models.fields import Field


@cache
def _statement(model: type[models.Model], alias: str) -> tuple[str, tuple[Field, ...]]:  # type: ignore[type-arg]
    connection = connections[alias]
    qn = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    # the auto-increment primary key is the database's to choose
    fields = tuple(f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, models.AutoField)))
    columns = ", ".join(qn(str(f.column)) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({values}) RETURNING {qn(str(pk.column))}"  # noqa: S608
    return sql, fields


def insert[M: models.Model](obj: M, *, using: str = "default") -> M:
    """INSERT one new row for `obj` (unsaved) and set its primary key; returns `obj`."""
    sql, fields = _statement(type(obj), using)
    connection = connections[using]
    params = [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    assert row is not None
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = using
    return obj
