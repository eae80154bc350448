"""The bulk rows: each builder's values stand in the order of its fields, and each table takes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import models

from benchmarks import seed
from lofte.cases.models import Case, CaseEvent, Message, Note
from lofte.customers.models import Customer, CustomerIdentity
from lofte.outbox.models import OutboxMessage
from lofte.promises.models import Promise, QueueStat, ResponseTimeStat

pytestmark = pytest.mark.bench

BUILDERS: list[tuple[type[models.Model], Callable[..., seed.Row]]] = [
    (Case, seed.case_row),
    (Message, seed.message_row),
    (OutboxMessage, seed.outbox_row),
    (Note, seed.note_row),
    (CaseEvent, seed.event_row),
    (Case.tags.through, seed.case_tag_row),
    (Promise, seed.promise_row),
    (ResponseTimeStat, seed.response_time_stat_row),
    (QueueStat, seed.queue_stat_row),
    (Customer, seed.customer_row),
    (CustomerIdentity, seed.identity_row),
]


@pytest.mark.parametrize(("model", "builder"), BUILDERS, ids=lambda v: getattr(v, "__name__", ""))
def test_a_rows_values_stand_in_the_order_of_its_fields(model: Any, builder: Callable[..., seed.Row]):
    fields = seed.fields(builder)

    row = builder(**{name: f"<{name}>" for name in fields})

    assert row == tuple(f"<{name}>" for name in fields)
    table = seed.Table(model, fields)  # every field is a column of the model, every other column has a default
    assert table.width == len(fields) + len(table.defaults)


def test_a_column_the_rows_do_not_name_gets_its_default():
    table = seed.Table(Promise, seed.PROMISE_FIELDS)

    row = seed.promise_row(
        id=1,
        kind="x",
        case=None,
        due_at=None,
        owner_agent=None,
        owner_team=None,
        state="s",
        origin="o",
        created_at=None,
    )

    assert len(table.values(row)) == table.width
    assert "customer_text" not in seed.PROMISE_FIELDS and '"customer_text"' in table.columns


def test_a_table_refuses_a_column_it_cannot_fill():
    with pytest.raises(RuntimeError, match=r"does not know what to write in Promise\.due_at"):
        seed.Table(Promise, ["id", "kind", "origin"])
    with pytest.raises(RuntimeError, match=r"Promise has no columns \['colour'\]"):
        seed.Table(Promise, ["id", "colour"])
