"""The promise board shows, per team, how many callbacks were made on time, late, or not at all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lofte.core import clock
from lofte.promises.models import PromiseKind, PromiseState
from lofte.promises.services import promise_make

pytestmark = pytest.mark.django_db


def test_the_board_counts_callbacks_kept_on_time_per_team(client, agent, case):
    now = clock.now()
    on_time, late, broken = (
        promise_make(case=case, due_at=now + timedelta(hours=h), created_by=agent, now=now, kind=PromiseKind.CALLBACK)
        for h in (1, 2, 3)
    )
    on_time.state, on_time.kept_at = PromiseState.KEPT, on_time.due_at - timedelta(minutes=5)
    late.state, late.kept_at = PromiseState.KEPT, late.due_at + timedelta(minutes=5)
    broken.state, broken.broken_at = PromiseState.BROKEN, broken.due_at
    for p in (on_time, late, broken):
        p.save()
    client.force_login(agent)
    page = client.get("/promises/").text
    panel = page[page.index('id="callbacks-kept-title"') :]
    panel = panel[: panel.index("</section>")]
    assert '<th scope="row">Support</th>' in panel
    cells = [c.strip() for c in panel.split('<td class="num">')[1:5]]
    assert [c.split("<")[0].strip() for c in cells] == ["1", "1", "1", "33 %"]
