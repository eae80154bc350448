"""Every page and API endpoint, for every actor and object: the answer the rule gives, and where a write is denied,
nothing changed (matrix.py holds the table, test_coverage.py proves the table is complete)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.permissions import snapshot
from tests.permissions.matrix import CONFIGURE, ROWS, Row, cases_for, data_for, expected, url_for
from tests.permissions.world import QA_A, World

# How a 403 explains itself: the role that may read but not change, or the rule on a customer's addresses.
DENIAL_WORDS = ("QA reviewer", "teams you are not in", "Only admins", "leads and admins", "approval limit")


def send(w: World, row: Row, actor: str, obj: str):  # type: ignore[no-untyped-def]
    url, data = url_for(row, w, actor, obj), data_for(row, w, actor, obj)
    if row.is_api:
        client, headers = Client(), w.api_headers(actor)
        if row.body == "raw":
            payload = data if isinstance(data, bytes) else str(data).encode()
            content_type = row.headers.get("content_type", "message/rfc822")
            return client.generic(row.method, url, payload, content_type=content_type, headers=headers)
        if row.method == "GET":
            return client.get(url, headers=headers)
        return client.generic(row.method, url, json.dumps(data or {}), content_type="application/json", headers=headers)
    client = w.client(actor)
    if row.method == "GET":
        return client.get(url)
    return client.post(url, data or {})


@pytest.mark.parametrize(
    ("row", "actor", "obj"),
    [pytest.param(*case, id=f"{case[0].id} {case[1]} {case[2]}") for row in ROWS for case in cases_for(row)],
)
def test_permission_matrix(w: World, row: Row, actor: str, obj: str) -> None:
    outcome = expected(row, actor, obj)
    # an allowed write must change its tables; a refused one nothing at all
    tables = row.writes if outcome.allowed else snapshot.TABLES
    before = snapshot.take(tables) if row.method != "GET" else None
    response = send(w, row, actor, obj)
    content = b"".join(response.streaming_content) if response.streaming else response.content  # a download
    body = content[:400].decode(errors="replace")
    assert response.status_code == outcome.status, f"{row.id} as {actor} on {obj}: {response.status_code} {body}"
    if outcome.location:
        assert response["Location"].startswith(outcome.location), response["Location"]
    if outcome.status == 403:
        text = content.decode()
        if row.is_api:
            assert response.json()["code"] in ("permission_denied", "identity_change_denied"), text
        assert any(words in text for words in DENIAL_WORDS), text[:2000]
        if actor == QA_A and row.rule != CONFIGURE:  # the reason names the role that reads but does not change
            assert "QA reviewer" in text
    if before is not None:
        after = snapshot.take(tables)
        differ = snapshot.changed(before, after)
        if outcome.allowed:
            assert set(row.writes) <= set(differ), f"{row.id} as {actor} on {obj} should change {row.writes}"
        else:
            assert set(differ) <= set(row.logs), f"{row.id} as {actor} on {obj} was refused but changed {differ}"
