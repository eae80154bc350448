"""The promise board's websocket for the matrix's actors: a QA reviewer of team A and an agent of team B hear only
of changes their board shows; a role without the board is refused. Committed changes, so a transactional test with
a world of its own (the module world of the other files lives in a transaction that never commits)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from lofte.accounts import access
from lofte.accounts.models import Agent, Role, Team
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import Case
from lofte.cases.tests.factories import make_case
from lofte.promises.tests.test_live import (  # the board's own test helpers, and its layer fixture (memory, Redis)
    QUIET,
    close_thread_connections,
    layer,
    open_board,
    promise_on,
)

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["close_thread_connections", "layer"]  # fixtures used by name


@dataclass
class Teams:
    a: Team
    b: Team
    agent_a: Agent
    qa_a: Agent
    agent_b: Agent
    case_a: Case
    case_b: Case
    case_t: Case


@pytest.fixture
def teams(db) -> Teams:  # type: ignore[no-untyped-def]
    a, b = Team.objects.create(name="Team A"), Team.objects.create(name="Team B")
    return Teams(
        a=a,
        b=b,
        agent_a=AgentFactory(teams=[a]),
        qa_a=AgentFactory(teams=[a], role=Role.QA_REVIEWER),
        agent_b=AgentFactory(teams=[b]),
        case_a=make_case(team=a),
        case_b=make_case(team=b),
        case_t=make_case(),
    )


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_a_qa_reviewer_and_an_agent_of_another_team_hear_only_what_their_boards_show(layer, teams) -> None:  # type: ignore[no-untyped-def]
    qa, qa_connected = await open_board(teams.qa_a)
    other, other_connected = await open_board(teams.agent_b)
    try:
        assert qa_connected and other_connected
        await promise_on(teams.case_a, by=teams.agent_a)
        assert await qa.receive_json_from(timeout=3) == {"changed": True, "teams": [teams.a.pk]}
        assert await other.receive_nothing(timeout=QUIET)

        await promise_on(teams.case_b, by=teams.agent_b)
        assert await other.receive_json_from(timeout=3) == {"changed": True, "teams": [teams.b.pk]}
        assert await qa.receive_nothing(timeout=QUIET)

        await promise_on(teams.case_t, by=teams.agent_a)  # triage: every board shows it
        assert await qa.receive_json_from(timeout=3) == {"changed": True, "teams": [None]}
        assert await other.receive_json_from(timeout=3) == {"changed": True, "teams": [None]}
    finally:
        await qa.disconnect()
        await other.disconnect()


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_a_role_without_the_board_gets_no_socket(teams, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(access.ROLE_PERMS, Role.QA_REVIEWER, frozenset())
    _, connected = await open_board(teams.qa_a)
    assert not connected
    _, agent_connected = await open_board(teams.agent_a)
    assert agent_connected
