"""The promise board's websocket: tells an agent's open board that promises it shows have changed."""

from __future__ import annotations

from collections import deque
from typing import Any, cast

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.accounts.selectors import agent_team_ids
from lofte.promises.live import ALL_GROUP, NO_TEAM_GROUP, agent_group, team_group


@database_sync_to_async
def _groups_for(agent: Agent) -> list[str]:
    """As promises_visible_to (lofte.accounts.access): admins see every promise (one group gets every
    change); others the promises of their teams' cases, their own cases' and those of cases no team owns."""
    if access.is_admin(agent):
        return [ALL_GROUP]
    return [
        agent_group(agent.pk),
        NO_TEAM_GROUP,
        *(team_group(team_id) for team_id in agent_team_ids(agent=agent)),
    ]


class BoardConsumer(AsyncJsonWebsocketConsumer):
    """Only signed-in, active agents whose role sees the board (lofte.accounts.access); the message carries
    no promise, only which teams changed.

    The browser then fetches its board again through the board view, which
    checks access as on any request, so nothing is shown here that a reload
    would not show.
    """

    board_groups: list[str]
    seen: deque[str]

    async def connect(self) -> None:
        self.board_groups = []
        self.seen = deque(maxlen=32)
        user = self.scope.get("user")
        if user is None or not access.can(cast(Agent, user), access.Perm.BOARD_VIEW) or self.channel_layer is None:
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        self.board_groups = await _groups_for(cast(Agent, user))
        for group in self.board_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.channel_layer is not None:
            for group in self.board_groups:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The board only listens; whatever a client sends is ignored."""

    async def board_changed(self, event: dict[str, Any]) -> None:
        change = event.get("id")
        if change is not None:
            if change in self.seen:  # the same change through a second group this board is in
                return
            self.seen.append(change)
        await self.send_json({"changed": True, "teams": event.get("teams", [])})
