"""Presence on a case: who else has it open, and who is writing a reply on it (Lofte L09).

A websocket per open case page, at /ws/cases/<reference>/presence/. Nothing
is stored: each socket keeps its own list of the other sockets on the case,
learnt through the channel layer's group for the case (in one process with
the in-memory layer, across processes with Redis):

- a socket that joins says *hello* to the group; every socket there notes it
  and answers the newcomer directly with its own state (*here*), so a
  newcomer learns who is already there;
- a socket whose agent types says *here* again, with the seconds it counts
  as typing (TYPING_SECONDS); each listener lets that run out by itself;
- a socket that closes says *leave*; one that vanished without a word (its
  process died) stops being heard from: every socket repeats *here* every
  heartbeat, and a peer not heard from for STALE_HEARTBEATS of them is dropped.

What a browser is sent is only the agents on the case besides itself (id and
display name, whether typing), one entry per agent however many tabs they
have open, and only when that changes. An agent's name is all it learns,
and only an agent who may see the case (the case page's rule, through
`lofte.cases.selectors.case_get_for_agent`) connects at all; at every
heartbeat the socket asks again, and closes once the case is no longer
visible to its agent (moved to another team, agent deactivated).

A client may send `{"typing": true}` (and `{"typing": false}` when the box is
emptied); anything else, and anything longer than MAX_MESSAGE characters,
is ignored. Only agents whose role works cases count as typing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any, cast

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.accounts.selectors import agent_get_active
from lofte.cases import selectors
from lofte.core.errors import NotFound, ValidationFailed

logger = logging.getLogger(__name__)

MAX_MESSAGE = 64  # characters: {"typing": true} has 16
MAX_PEERS = 64  # other sockets on one case a socket keeps track of; more are not shown
MAX_NAME = 80  # characters of a display name sent on


def presence_group(case_id: int) -> str:
    return f"case-presence-{case_id}"


@database_sync_to_async
def _visible_case_id(agent_id: int, reference: str) -> int | None:
    """The case's id if the agent (read afresh: still active, their teams now) may see it; None otherwise,
    for a case they may not see and for one that does not exist alike."""
    try:
        agent = agent_get_active(agent_id=agent_id)
        return selectors.case_get_for_agent(agent=agent, reference=reference).pk
    except (NotFound, ValidationFailed):
        return None


@dataclass
class Peer:
    """Another socket on the case, as last heard from (times on this process's event loop clock)."""

    agent_id: int
    name: str
    typing_until: float
    heard_at: float


class CasePresenceConsumer(AsyncJsonWebsocketConsumer):
    """Refuses the handshake (closes before accepting: HTTP 403) for anyone but a signed-in, active agent
    who may see the case; an unknown reference is refused the same way."""

    typing_seconds: float = 6.0  # how long one "typing" counts; the browser repeats it every 3 s while typing
    typing_gap: float = 1.0  # at most one relayed change of one socket's typing per this many seconds
    heartbeat_seconds: float = 30.0
    stale_heartbeats: int = 3

    group: str | None
    peers: dict[str, Peer]
    shown: list[dict[str, Any]]

    async def connect(self) -> None:
        self.group = None
        self.peers = {}
        self.shown = []
        self.typing_until = 0.0
        self.last_relay = float("-inf")
        self.ticker: asyncio.Task[None] | None = None
        self.wake = asyncio.Event()
        self.show_lock = asyncio.Lock()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active or self.channel_layer is None:
            await self.close()  # before accept: the handshake is refused
            return
        agent = cast(Agent, user)
        self.reference = str(self.scope["url_route"]["kwargs"]["reference"])
        case_id = await _visible_case_id(agent.pk, self.reference)
        if case_id is None:
            await self.close()
            return
        self.agent_id = agent.pk
        self.name = agent.display_name[:MAX_NAME]
        self.may_type = access.can(agent, access.Perm.CASE_WORK)
        self.group = presence_group(case_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.channel_layer.group_send(self.group, {"type": "presence.hello", **self._state()})
        self.ticker = asyncio.get_running_loop().create_task(self._tick())

    async def disconnect(self, code: int) -> None:
        if self.ticker is not None:
            self.ticker.cancel()
        if self.group is not None and self.channel_layer is not None:
            await self.channel_layer.group_send(self.group, {"type": "presence.leave", "channel": self.channel_name})
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None

    # --- from the browser ---------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """Only {"typing": true|false}, in a short text frame; anything else is dropped without a word."""
        if text_data is None or len(text_data) > MAX_MESSAGE or self.group is None:
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            return
        if not isinstance(content, dict) or content.keys() != {"typing"} or not isinstance(content["typing"], bool):
            return
        await self._typing(content["typing"])

    async def receive_json(self, content: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Not used: receive() parses (and bounds) what arrives."""

    async def _typing(self, typing: bool) -> None:
        now = self._now()
        if not self.may_type or now - self.last_relay < self.typing_gap:
            return
        if typing:
            self.typing_until = now + self.typing_seconds
        elif self.typing_until > now:
            self.typing_until = 0.0
        else:
            return  # was not typing: nothing to tell
        self.last_relay = now
        await self._announce()

    # --- from the other sockets on the case ----------------------------------------------------------

    async def presence_hello(self, event: dict[str, Any]) -> None:
        """A newcomer: told who this socket is (even when there is no room left to note it), and noted."""
        channel = event.get("channel")
        if not isinstance(channel, str) or channel == self.channel_name:
            return
        if self.channel_layer is not None:
            await self.channel_layer.send(channel, {"type": "presence.here", **self._state()})
        if self._note(event):
            await self._show()

    async def presence_here(self, event: dict[str, Any]) -> None:
        if event.get("channel") != self.channel_name and self._note(event):
            await self._show()

    async def presence_leave(self, event: dict[str, Any]) -> None:
        if self.peers.pop(str(event.get("channel")), None) is not None:
            await self._show()

    # --- state ------------------------------------------------------------------------------------------

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _state(self) -> dict[str, Any]:
        """This socket as the others see it: typing as seconds left (clocks of two processes differ)."""
        left = max(0.0, self.typing_until - self._now())
        return {"channel": self.channel_name, "agent": self.agent_id, "name": self.name, "typing": round(left, 2)}

    async def _announce(self) -> None:
        if self.group is not None and self.channel_layer is not None:
            await self.channel_layer.group_send(self.group, {"type": "presence.here", **self._state()})

    def _note(self, event: dict[str, Any]) -> bool:
        """Records a peer's state (bounded); False for a message not in the shape this module sends."""
        channel, agent_id, name, typing = (event.get(k) for k in ("channel", "agent", "name", "typing"))
        if not (isinstance(channel, str) and isinstance(agent_id, int) and isinstance(name, str)):
            return False
        if not isinstance(typing, int | float) or (channel not in self.peers and len(self.peers) >= MAX_PEERS):
            return False
        now = self._now()
        left = min(max(float(typing), 0.0), self.typing_seconds)
        self.peers[channel] = Peer(agent_id, name[:MAX_NAME], now + left if left else 0.0, now)
        self.wake.set()  # the ticker may have a typing to let run out sooner than it planned
        return True

    def _present(self) -> list[dict[str, Any]]:
        """The other agents on the case, once each (typing in any of their tabs), by name."""
        now = self._now()
        agents: dict[int, dict[str, Any]] = {}
        for peer in self.peers.values():
            if peer.agent_id == self.agent_id:
                continue  # one's own other tabs
            entry = agents.setdefault(peer.agent_id, {"id": peer.agent_id, "name": peer.name, "typing": False})
            entry["typing"] = entry["typing"] or peer.typing_until > now
        return sorted(agents.values(), key=lambda e: (e["name"].casefold(), e["id"]))

    async def _show(self) -> None:
        """Sends the browser the list when it differs from what it was last sent."""
        async with self.show_lock:
            present = self._present()
            if present != self.shown:
                self.shown = present
                await self.send_json({"present": present})

    async def _tick(self) -> None:
        """Lets typing run out, repeats this socket's state every heartbeat (after asking again whether its
        agent still may see the case), and forgets peers not heard from for a few heartbeats."""
        next_beat = self._now() + self.heartbeat_seconds
        try:
            while True:
                now = self._now()
                if now >= next_beat:
                    if await _visible_case_id(self.agent_id, self.reference) is None:
                        await self.close()
                        return
                    if self.group is not None and self.channel_layer is not None:  # Redis forgets groups after a day
                        await self.channel_layer.group_add(self.group, self.channel_name)
                    await self._announce()
                    next_beat = now + self.heartbeat_seconds
                stale = now - self.heartbeat_seconds * self.stale_heartbeats
                for channel in [c for c, p in self.peers.items() if p.heard_at < stale]:
                    del self.peers[channel]
                await self._show()
                wake_at = min([next_beat, *(p.typing_until for p in self.peers.values() if p.typing_until > now)])
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=max(wake_at - self._now(), 0) + 0.01)
        except asyncio.CancelledError:
            raise
        except Exception:  # the layer went away: the browser reconnects and starts afresh
            logger.warning("Case presence stopped", exc_info=True)
            await self.close()
