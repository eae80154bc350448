"""The promise board's live updates: after a change commits, the boards that show it are told to refresh.

The message says only that something changed, and for which teams; each
browser then fetches its own board again, through the same view and the same
access checks as a reload. Nothing is sent for a change that rolls back, and
an unreachable channel layer costs a warning, never the change itself: the
board also polls, so a lost message only delays it.

Groups: one per team (the boards of its members), one per agent (an agent's
own promises, whichever team owns them) and one for admins, who see everything.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer
from django.db import transaction

from lofte.core.transactions import waiting_on_commit
from lofte.promises.models import Promise, PromiseState

if TYPE_CHECKING:  # the case is read by attribute, never imported
    from lofte.cases.models import Case

logger = logging.getLogger(__name__)

ALL_GROUP = "promises.board.all"
NO_TEAM_GROUP = "promises.board.team.none"  # promises of cases no team owns: every agent sees those
MESSAGE_TYPE = "board.changed"
SEND_TIMEOUT_SECONDS = 2.0


def team_group(team_id: int) -> str:
    """The group of the boards that show a team's promises."""
    return f"promises.board.team.{team_id}"


def agent_group(agent_id: int) -> str:
    """The group of an agent's own boards: their own promises show there whichever team owns them."""
    return f"promises.board.agent.{agent_id}"


class _Changed:
    """The boards one transaction's changes concern, told once when it commits."""

    def __init__(self, teams: set[int | None], agents: set[int]) -> None:
        self.teams, self.agents = teams, agents

    def __call__(self) -> None:
        _send(frozenset(self.teams), frozenset(self.agents))


def board_changed(team_ids: Iterable[int | None], agent_ids: Iterable[int | None] = ()) -> None:
    """Tell the boards of these teams (None: promises without a team), of these owners and the admins'
    boards that something changed, once the transaction commits (at once outside a transaction). Within one
    transaction the teams and owners of every call are told together, in one round of messages."""
    teams, agents = set(team_ids), {a for a in agent_ids if a is not None}
    waiting = waiting_on_commit(lambda func: isinstance(func, _Changed))
    if isinstance(waiting, _Changed):
        waiting.teams |= teams
        waiting.agents |= agents
    else:
        transaction.on_commit(_Changed(teams, agents))


def promises_changed(promises: Iterable[Promise]) -> None:
    """board_changed for the teams and owners of these promises."""
    promises = list(promises)
    if promises:
        board_changed({p.owner_team_id for p in promises}, {p.owner_agent_id for p in promises})


def promises_moving(*, case: Case) -> bool:
    """Before a case's pending promises follow it to a new team and owner: both sides' boards change. False when
    the case has no pending promise (nothing moves)."""
    owners = set(
        Promise.objects.filter(case=case, state=PromiseState.PENDING)
        .order_by()
        .values_list("owner_team_id", "owner_agent_id")
        .distinct()
    )
    if owners:
        teams = {team for team, _ in owners} | {case.team_id}
        board_changed(teams, {agent for _, agent in owners} | {case.assignee_id})
    return bool(owners)


def _send(team_ids: frozenset[int | None], agent_ids: frozenset[int]) -> None:
    listed = sorted(t for t in team_ids if t is not None)
    teams: list[int | None] = [*listed, None] if None in team_ids else list(listed)
    groups = [ALL_GROUP, *(team_group(t) for t in listed), *(agent_group(a) for a in sorted(agent_ids))]
    if None in team_ids:
        groups.append(NO_TEAM_GROUP)
    try:
        layer = get_channel_layer()
        if isinstance(layer, InMemoryChannelLayer):
            # Only this process's sockets listen: none in the worker, a management command or a test
            # without one, and then the trip through an event loop is not worth its millisecond.
            groups = [g for g in groups if g in layer.groups]
        if layer is not None and groups:
            async_to_sync(_send_all)(layer, groups, teams)
    except Exception as exc:  # the board polls too: a lost message must never fail the change that caused it
        logger.warning("Promise board update not sent (%s: %s)", type(exc).__name__, exc)


async def _send_all(layer: BaseChannelLayer, groups: list[str], teams: list[int | None]) -> None:
    # one id for every group's copy: a board in two of the groups (its team's and its agent's) refreshes once
    event = {"type": MESSAGE_TYPE, "teams": teams, "id": uuid.uuid4().hex}
    async with asyncio.timeout(SEND_TIMEOUT_SECONDS):  # a layer that does not answer must not hold up a request
        for group in groups:
            await layer.group_send(group, event)
