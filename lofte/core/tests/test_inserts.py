"""insert(obj) writes exactly what Model.save() would write."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from lofte.cases.models import Case, CaseEvent, EventKind
from lofte.core.inserts import insert
from lofte.customers.services import customer_create

pytestmark = pytest.mark.django_db

AT = datetime(2026, 6, 1, 12, 30, 15, 123456, tzinfo=UTC)


def test_insert_stores_the_same_row_as_save(agent, team):
    customer = customer_create(name="Karin", email="karin@example.se")
    values = {
        "subject": "Ämne ✓",
        "customer": customer,
        "team": team,
        "assignee": agent,
        "channel": "email",
        "language": "sv",
        "created_at": AT,
        "updated_at": AT,
        "priority": 3,
    }
    by_save = Case.objects.create(reference="LF-2026-900001", **values)
    with CaptureQueriesContext(connection) as ctx:
        by_insert = insert(Case(reference="LF-2026-900002", **values))
    assert len(ctx.captured_queries) == 1
    assert isinstance(by_insert.pk, int) and by_insert.pk > by_save.pk
    assert not by_insert._state.adding
    a = model_to_dict(Case.objects.get(pk=by_save.pk), exclude=["id", "reference", "tags"])
    b = model_to_dict(Case.objects.get(pk=by_insert.pk), exclude=["id", "reference", "tags"])
    assert a == b
    assert Case.objects.get(pk=by_insert.pk).created_at == AT  # microseconds and zone kept


def test_insert_fills_defaults_and_serialises_json(case, agent):
    event = insert(CaseEvent(case=case, kind=EventKind.NOTE, actor=agent, data={"ö": [1, None, "två"]}))
    stored = CaseEvent.objects.get(pk=event.pk)
    assert stored.data == {"ö": [1, None, "två"]}
    assert stored.created_at is not None and stored.message_id is None
    empty = insert(CaseEvent(case=case, kind=EventKind.NOTE))
    assert CaseEvent.objects.get(pk=empty.pk).data == {}
