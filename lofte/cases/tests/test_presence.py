"""Presence on a case (L09): the case's websocket against the real ASGI application (config.asgi), on the
in-memory and the Redis layer.

Only an agent who may see the case connects; each socket hears of the other agents on the case (once per
agent), of their typing, which runs out by itself, and of their leaving; anything else a client sends is
dropped without breaking the socket. Run without playwright (see STACK-NOTES: pytest-asyncio fails after it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import get_default_application
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from lofte.accounts.models import Agent, Role, Team
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.consumers import MAX_PEERS, CasePresenceConsumer, presence_group
from lofte.cases.models import Case
from lofte.cases.tests.factories import make_case
from lofte.promises.tests.test_live import (  # noqa: F401 (fixtures)
    ORIGIN,
    close_thread_connections,
    layer,
    session_cookie,
)

QUIET = 0.5  # seconds a socket must stay silent to count as having heard nothing

pytestmark = pytest.mark.django_db(transaction=True)

application = get_default_application()


@pytest.fixture(autouse=True)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    support: Team
    billing: Team
    alma: Agent  # Support
    bea: Agent  # Support
    otto: Agent  # Billing: may not see the Support case
    quinn: Agent  # Support, QA reviewer: reads cases, writes no replies
    admin: Agent
    case: Case  # Support's


@pytest.fixture
def world(customer):  # type: ignore[no-untyped-def]
    support, billing = Team.objects.create(name="Support"), Team.objects.create(name="Billing")
    return World(
        support=support,
        billing=billing,
        alma=AgentFactory(name="Alma Agent", teams=[support]),
        bea=AgentFactory(name="Bea Berg", teams=[support]),
        otto=AgentFactory(name="Otto Outsider", teams=[billing]),
        quinn=AgentFactory(name="Quinn Quality", teams=[support], role=Role.QA_REVIEWER),
        admin=AgentFactory(name="Ada Admin", role=Role.ADMIN),
        case=make_case(customer=customer, team=support),
    )


def viewing(agent: Agent, *, typing: bool = False) -> dict[str, Any]:
    return {"id": agent.pk, "name": agent.name, "typing": typing}


async def open_case(
    agent: Agent | None, reference: str, *, origin: tuple[bytes, bytes] = ORIGIN
) -> tuple[WebsocketCommunicator, bool, int | str | None]:
    headers = [origin, (b"host", b"testserver")]
    if agent is not None:
        headers.append((b"cookie", await session_cookie(agent)))
    socket = WebsocketCommunicator(application, f"/ws/cases/{reference}/presence/", headers=headers)
    connected, code = await socket.connect(timeout=3)
    return socket, connected, code


async def opened(agent: Agent, case: Case) -> WebsocketCommunicator:
    socket, connected, _ = await open_case(agent, case.reference)
    assert connected
    return socket


async def heard(socket: WebsocketCommunicator, timeout: float = 3) -> list[dict[str, Any]]:
    message = await socket.receive_json_from(timeout=timeout)
    assert set(message) == {"present"}
    return list(message["present"])


async def close_all(*sockets: WebsocketCommunicator) -> None:
    for socket in sockets:
        await socket.disconnect()


# --- the page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_the_case_page_names_the_socket_and_carries_the_sentences(world, client, htmx):
    client.force_login(world.alma)
    headers = {"HX-Request": "true"} if htmx else {}
    html = client.get(reverse("cases:detail", args=[world.case.reference]), headers=headers).content.decode()
    assert (
        '<p class="presence" data-presence aria-live="polite"'
        f' data-socket="/ws/cases/{world.case.reference}/presence/"'
        ' data-viewing="%(name)s is viewing" data-typing="%(name)s is typing…"></p>'
    ) in html
    # the script comes with every page (base.html), so a case the inbox opens in its pane joins too
    assert html.count('src="/static/lofte/presence.js"') == (0 if htmx else 1)


# --- who may connect --------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_an_agent_who_may_see_the_case_connects_alone_and_hears_nothing(world):
    alma, connected, _ = await open_case(world.alma, world.case.reference)
    try:
        assert connected
        assert await alma.receive_nothing(timeout=QUIET)  # no one else is here: nothing to show
    finally:
        await alma.disconnect()


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_the_reference_is_read_as_the_case_page_reads_it(world):
    socket, connected, _ = await open_case(world.alma, world.case.reference.lower())
    assert connected
    await socket.disconnect()


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_an_anonymous_socket_is_refused(world):
    _, connected, _ = await open_case(None, world.case.reference)
    assert not connected


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_a_case_one_may_not_see_is_refused_as_an_unknown_one_and_tells_no_one(world):
    alma = await opened(world.alma, world.case)
    try:
        _, hidden, hidden_code = await open_case(world.otto, world.case.reference)
        _, unknown, unknown_code = await open_case(world.otto, "C-1999-999999")
        assert (hidden, hidden_code) == (unknown, unknown_code) == (False, 1000)
        assert await alma.receive_nothing(timeout=QUIET)  # Otto's try announced nothing
    finally:
        await alma.disconnect()


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_the_case_pages_rule_decides_an_admin_an_assignee_and_the_triage_queue(world, customer):
    """As access.case_scope_q: every case for an admin, one's own cases of another team, cases of no team."""
    triage = await database_sync_to_async(make_case)(customer=customer)
    assigned = await database_sync_to_async(make_case)(customer=customer, team=world.support, assignee=world.otto)
    for agent, case in [(world.admin, world.case), (world.otto, assigned), (world.otto, triage)]:
        socket, connected, _ = await open_case(agent, case.reference)
        assert connected, (agent, case)
        await socket.disconnect()


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_an_inactive_agents_socket_is_refused(world):
    cookie = await session_cookie(world.alma)
    await database_sync_to_async(Agent.objects.filter(pk=world.alma.pk).update)(is_active=False)
    socket = WebsocketCommunicator(
        application, f"/ws/cases/{world.case.reference}/presence/", headers=[ORIGIN, (b"cookie", cookie)]
    )
    connected, _ = await socket.connect(timeout=3)
    assert not connected


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_a_socket_from_another_site_is_refused(world):
    _, connected, _ = await open_case(world.alma, world.case.reference, origin=(b"origin", b"https://evil.example"))
    assert not connected


# --- presence -----------------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections", "layer")
async def test_two_agents_see_each_other_come_type_and_go(world, monkeypatch):
    monkeypatch.setattr(CasePresenceConsumer, "typing_seconds", 1.5)  # the real 6 s: the test below
    alma = await opened(world.alma, world.case)
    bea = await opened(world.bea, world.case)
    try:
        assert await heard(alma) == [viewing(world.bea)]  # the newcomer is announced
        assert await heard(bea) == [viewing(world.alma)]  # and learns who is already here

        await bea.send_json_to({"typing": True})
        assert await heard(alma) == [viewing(world.bea, typing=True)]
        assert await bea.receive_nothing(timeout=QUIET)  # her own typing is not news to her
        assert await heard(alma, timeout=3) == [viewing(world.bea)]  # ran out without another word

        await bea.disconnect()
        assert await heard(alma) == []
        assert await alma.receive_nothing(timeout=QUIET)
    finally:
        await close_all(alma)


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_typing_runs_out_after_six_seconds_without_another_word(world):
    alma = await opened(world.alma, world.case)
    bea = await opened(world.bea, world.case)
    try:
        await heard(alma)
        await heard(bea)
        await bea.send_json_to({"typing": True})
        assert await heard(alma) == [viewing(world.bea, typing=True)]
        assert await alma.receive_nothing(timeout=5.5)  # still typing at 5.5 s
        assert await heard(alma, timeout=2) == [viewing(world.bea)]
    finally:
        await close_all(alma, bea)


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_typing_again_keeps_it_going_and_an_emptied_box_ends_it(world, monkeypatch):
    monkeypatch.setattr(CasePresenceConsumer, "typing_seconds", 1.5)
    monkeypatch.setattr(CasePresenceConsumer, "typing_gap", 0.2)
    alma = await opened(world.alma, world.case)
    bea = await opened(world.bea, world.case)
    try:
        await heard(alma)
        await heard(bea)
        await bea.send_json_to({"typing": True})
        assert await heard(alma) == [viewing(world.bea, typing=True)]
        for _ in range(3):  # 3 s in all, twice the time one "typing" counts
            await bea.receive_nothing(timeout=1.0)
            await bea.send_json_to({"typing": True})
        assert await alma.receive_nothing(timeout=QUIET)  # typing all along: no change to tell
        await bea.send_json_to({"typing": False})
        assert await heard(alma) == [viewing(world.bea)]
        await bea.send_json_to({"typing": False})  # not typing: nothing to tell
        assert await alma.receive_nothing(timeout=QUIET)
    finally:
        await close_all(alma, bea)


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_typing_faster_than_the_gap_is_not_relayed_again(world):
    alma = await opened(world.alma, world.case)
    bea = await opened(world.bea, world.case)
    try:
        await heard(alma)
        await heard(bea)
        await bea.send_json_to({"typing": True})
        assert await heard(alma) == [viewing(world.bea, typing=True)]
        await bea.send_json_to({"typing": False})  # within a second of the last: dropped
        assert await alma.receive_nothing(timeout=QUIET)
    finally:
        await close_all(alma, bea)


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_a_qa_reviewer_is_seen_viewing_but_never_typing(world):
    alma = await opened(world.alma, world.case)
    quinn = await opened(world.quinn, world.case)
    try:
        assert await heard(alma) == [viewing(world.quinn)]
        assert await heard(quinn) == [viewing(world.alma)]
        await quinn.send_json_to({"typing": True})
        assert await alma.receive_nothing(timeout=QUIET)
    finally:
        await close_all(alma, quinn)


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections", "layer")
async def test_one_agent_in_two_tabs_is_listed_once_and_leaves_with_the_last(world):
    alma = await opened(world.alma, world.case)
    bea_1 = await opened(world.bea, world.case)
    try:
        assert await heard(alma) == [viewing(world.bea)]
        assert await heard(bea_1) == [viewing(world.alma)]
        bea_2 = await opened(world.bea, world.case)
        assert await heard(bea_2) == [viewing(world.alma)]  # not herself, though her other tab is here
        assert await alma.receive_nothing(timeout=QUIET)  # Bea was here already
        assert await bea_1.receive_nothing(timeout=0.1)

        await bea_2.send_json_to({"typing": True})  # typing in one tab: Bea is typing
        assert await heard(alma) == [viewing(world.bea, typing=True)]
        assert await bea_1.receive_nothing(timeout=0.1)

        await bea_1.disconnect()
        assert await alma.receive_nothing(timeout=QUIET)  # still here in her other tab
        await bea_2.disconnect()
        assert await heard(alma) == []
    finally:
        await close_all(alma)


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_several_agents_are_listed_by_name_and_another_case_hears_nothing(world, customer):
    other_case = await database_sync_to_async(make_case)(customer=customer, team=world.support)
    bea = await opened(world.bea, world.case)
    alma = await opened(world.alma, world.case)
    elsewhere = await opened(world.admin, other_case)
    try:
        await heard(bea)
        await heard(alma)
        admin = await opened(world.admin, world.case)
        assert await heard(admin) in ([viewing(world.alma)], [viewing(world.bea)])
        assert await heard(admin) == [viewing(world.alma), viewing(world.bea)]
        assert await heard(bea) == [viewing(world.admin), viewing(world.alma)]  # Ada Admin, Alma Agent
        assert await heard(alma) == [viewing(world.admin), viewing(world.bea)]
        assert await elsewhere.receive_nothing(timeout=QUIET)  # the admin's own tab on another case
        await close_all(admin)
    finally:
        await close_all(bea, alma, elsewhere)


# --- what a client sends ------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_junk_and_oversized_messages_are_ignored_and_the_socket_goes_on(world):
    alma = await opened(world.alma, world.case)
    bea = await opened(world.bea, world.case)
    try:
        await heard(alma)
        await heard(bea)
        for junk in [
            "not json",
            "[]",
            "null",
            '{"typing": "yes"}',
            '{"typing": 1}',
            '{"typing": true, "name": "Mallory"}',
            '{"type": "presence.leave", "channel": "x"}',
            '{"typing": true' + " " * 100 + "}",  # longer than a client ever sends
            "x" * 100_000,
        ]:
            await bea.send_to(text_data=junk)
        await bea.send_to(bytes_data=b'{"typing": true}')
        assert await alma.receive_nothing(timeout=QUIET)
        assert await bea.receive_nothing(timeout=0.1)

        await bea.send_json_to({"typing": True})  # still open, still heard
        assert await heard(alma) == [viewing(world.bea, typing=True)]
    finally:
        await close_all(alma, bea)


# --- liveness ------------------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_a_socket_whose_process_died_is_forgotten_after_a_few_heartbeats(world, monkeypatch):
    """A socket on another process that died said no goodbye: it stops repeating itself and is dropped."""
    monkeypatch.setattr(CasePresenceConsumer, "heartbeat_seconds", 0.3)
    alma = await opened(world.alma, world.case)
    try:
        layer = get_channel_layer()
        assert layer is not None
        ghost = {"channel": "specific.ghost!1", "agent": world.bea.pk, "name": "Bea Berg", "typing": 0}
        await layer.group_send(presence_group(world.case.pk), {"type": "presence.hello", **ghost})
        assert await heard(alma) == [viewing(world.bea)]
        assert await heard(alma, timeout=3) == []  # 3 heartbeats (0.9 s) without a word
    finally:
        await alma.disconnect()


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_a_socket_is_closed_once_its_agent_may_no_longer_see_the_case(world, monkeypatch):
    monkeypatch.setattr(CasePresenceConsumer, "heartbeat_seconds", 0.3)
    alma = await opened(world.alma, world.case)
    admin = await opened(world.admin, world.case)
    try:
        assert await heard(alma) == [viewing(world.admin)]
        assert await heard(admin) == [viewing(world.alma)]
        await database_sync_to_async(Case.objects.filter(pk=world.case.pk).update)(team=world.billing)
        assert await alma.receive_output(timeout=3) == {"type": "websocket.close"}
        await alma.disconnect()  # as the server does after a close
        assert await heard(admin) == []
        assert await admin.receive_nothing(timeout=1)  # the admin still sees it: still here
    finally:
        await close_all(admin)


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_a_socket_keeps_track_of_a_bounded_number_of_others(world):
    alma = await opened(world.alma, world.case)
    try:
        layer = get_channel_layer()
        assert layer is not None
        for n in range(MAX_PEERS + 10):
            ghost = {"channel": f"specific.ghost!{n}", "agent": 100_000 + n, "name": f"Ghost {n:03}", "typing": 0}
            await layer.group_send(presence_group(world.case.pk), {"type": "presence.here", **ghost})
        last: list[dict[str, Any]] = []
        while not await alma.receive_nothing(timeout=QUIET):
            last = await heard(alma)
        assert len(last) == MAX_PEERS
        assert last[-1]["name"] == f"Ghost {MAX_PEERS - 1:03}"
        bea = await opened(world.bea, world.case)  # no room left in Alma's list, yet Bea learns she is here
        assert await heard(bea) == [viewing(world.alma)]
        await bea.disconnect()
    finally:
        await alma.disconnect()
