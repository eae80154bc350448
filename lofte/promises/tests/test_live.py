"""The promise board's websocket against the real ASGI application, on the in-memory and the Redis layer.

A board hears of committed changes to the promises it shows, and of nothing
else: not another team's, not a change that rolled back. Run in the pytest
process without playwright (see STACK-NOTES: pytest-asyncio fails after it).
"""

from __future__ import annotations

import logging
import os
import runpy
import uuid
from dataclasses import dataclass
from datetime import timedelta
from importlib.util import find_spec
from typing import Any

import pytest
import pytest_asyncio
import redis
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import get_default_application
from channels.testing import ApplicationCommunicator, WebsocketCommunicator
from django.db import connections, transaction
from django.test import Client
from django.utils import timezone

from lofte.accounts.models import Agent, Role, Team
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import Case
from lofte.cases.tests.factories import make_case
from lofte.promises.models import Promise, PromiseKind, PromiseOrigin, PromiseState
from lofte.promises.services import promise_make, promises_tick

PATH = "/ws/promises/board/"
ORIGIN = (b"origin", b"http://testserver")
# a database of its own (LOFTE_TEST_REDIS_URL), so that two checkouts testing at once never hear each other
REDIS_URL = os.environ.get("LOFTE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SETTINGS_FILE = str(find_spec("config.settings").origin)  # type: ignore[union-attr]
QUIET = 0.5  # seconds a socket must stay silent to count as having heard nothing

pytestmark = pytest.mark.django_db(transaction=True)

application = get_default_application()  # settings.ASGI_APPLICATION: config.asgi.application


@pytest.fixture(autouse=True)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest_asyncio.fixture
async def close_thread_connections():  # type: ignore[no-untyped-def]
    """database_sync_to_async runs the ORM in a thread of its own, whose connection outlives the test
    (CONN_MAX_AGE): closed here, or PostgreSQL refuses to drop the test database at the end."""
    yield
    await sync_to_async(connections.close_all)()


def redis_unreachable() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        return f"Redis at {REDIS_URL} is unreachable ({exc})"
    return None


def settings_with(**environ: str) -> dict[str, Any]:
    """The settings module's values under these environment variables (config wires, the tests only read)."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in environ.items():
            env.setenv(name, value)
        return runpy.run_path(SETTINGS_FILE)


@pytest.fixture(params=["memory", "redis"])
def layer(request, settings):  # type: ignore[no-untyped-def]
    """The channel layer the application runs on, as config/settings.py makes it: in-memory without
    REDIS_URL, Redis with it."""
    if request.param == "memory":
        settings.CHANNEL_LAYERS = settings_with(REDIS_URL="")["CHANNEL_LAYERS"]
        yield request.param
        return
    if reason := redis_unreachable():
        pytest.skip(reason)
    layers = settings_with(REDIS_URL=REDIS_URL)["CHANNEL_LAYERS"]
    prefix = f"lofte-test-{uuid.uuid4().hex[:8]}"  # nothing of another run's (or checkout's) groups is seen
    layers["default"]["CONFIG"]["prefix"] = prefix
    settings.CHANNEL_LAYERS = layers
    yield request.param
    server = redis.Redis.from_url(REDIS_URL)
    if keys := server.keys(f"{prefix}*"):  # leave nothing behind in DB 15
        server.delete(*keys)


def test_settings_choose_the_layer_by_redis_url():
    assert settings_with(REDIS_URL="")["CHANNEL_LAYERS"] == {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    }
    assert settings_with(REDIS_URL="redis://cache.example:6379/2")["CHANNEL_LAYERS"] == {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": "redis://cache.example:6379/2", "socket_timeout": 15}]},
        }
    }


@dataclass
class World:
    support: Team
    billing: Team
    alma: Agent  # Support
    bea: Agent  # Support
    otto: Agent  # Billing
    admin: Agent
    support_case: Case
    billing_case: Case
    loose_case: Case  # no team


@pytest.fixture
def world(customer):  # type: ignore[no-untyped-def]
    support, billing = Team.objects.create(name="Support"), Team.objects.create(name="Billing")
    return World(
        support=support,
        billing=billing,
        alma=AgentFactory(name="Alma", teams=[support]),
        bea=AgentFactory(name="Bea", teams=[support]),
        otto=AgentFactory(name="Otto", teams=[billing]),
        admin=AgentFactory(name="Ada", role=Role.ADMIN),
        support_case=make_case(customer=customer, team=support),
        billing_case=make_case(customer=customer, team=billing),
        loose_case=make_case(customer=customer),
    )


@database_sync_to_async
def session_cookie(agent: Agent) -> bytes:
    client = Client()
    client.force_login(agent)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def open_board(agent: Agent | None, *, origin: tuple[bytes, bytes] = ORIGIN) -> tuple[WebsocketCommunicator, Any]:
    headers = [origin, (b"host", b"testserver")]
    if agent is not None:
        headers.append((b"cookie", await session_cookie(agent)))
    socket = WebsocketCommunicator(application, PATH, headers=headers)
    connected, _ = await socket.connect(timeout=3)
    return socket, connected


class Rollback(Exception):
    pass


@database_sync_to_async
def promise_on(case: Case, *, by: Agent, roll_back: bool = False) -> None:
    """An agent's promise on the case, made in a transaction that commits or rolls back."""
    now = timezone.now()
    try:
        with transaction.atomic():
            promise_make(case=case, due_at=now + timedelta(hours=2), created_by=by, now=now)
            if roll_back:
                raise Rollback
    except Rollback:
        pass


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_a_board_hears_of_its_teams_committed_changes_and_of_nothing_else(layer, world):
    alma, connected = await open_board(world.alma)
    assert connected
    try:
        await promise_on(world.billing_case, by=world.otto)  # another team's
        assert await alma.receive_nothing(timeout=QUIET)
        await promise_on(world.support_case, by=world.bea, roll_back=True)  # rolled back
        assert await alma.receive_nothing(timeout=QUIET)
        assert not await database_sync_to_async(Promise.objects.filter(case=world.support_case).exists)()

        await promise_on(world.support_case, by=world.bea)  # committed, her team's
        assert await alma.receive_json_from(timeout=3) == {"changed": True, "teams": [world.support.pk]}
        assert await alma.receive_nothing(timeout=QUIET)
    finally:
        await alma.disconnect()


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
@pytest.mark.parametrize("layer", ["redis"], indirect=True)
async def test_an_idle_board_stays_connected_longer_than_a_redis_read_timeout(layer, world):
    """redis-py 8 stops reading after 5 s by default, while channels-redis waits 5 s for a message."""
    alma, connected = await open_board(world.alma)
    try:
        assert connected
        assert await alma.receive_nothing(timeout=6.5)
        await promise_on(world.support_case, by=world.bea)
        assert await alma.receive_json_from(timeout=3) == {"changed": True, "teams": [world.support.pk]}
    finally:
        await alma.disconnect()


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_the_tick_breaking_a_teams_promises_reaches_its_boards(layer, world):
    @database_sync_to_async
    def overdue_and_tick() -> list[int]:
        now = timezone.now()
        Promise.objects.create(
            kind=PromiseKind.FIRST_RESPONSE,
            case=world.support_case,
            due_at=now - timedelta(minutes=1),
            owner_team=world.support,
            origin=PromiseOrigin.POLICY,
            remind_at=now - timedelta(minutes=30),
            reminded_at=now - timedelta(minutes=30),
        )
        return promises_tick(now=now).broken

    bea, connected = await open_board(world.bea)
    otto, _ = await open_board(world.otto)
    try:
        assert connected
        assert len(await overdue_and_tick()) == 1
        assert await bea.receive_json_from(timeout=3) == {"changed": True, "teams": [world.support.pk]}
        assert await otto.receive_nothing(timeout=QUIET)
    finally:
        await bea.disconnect()
        await otto.disconnect()


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_an_admin_hears_of_every_change_and_an_owner_of_their_own_promises(world):
    admin, admin_connected = await open_board(world.admin)
    alma, alma_connected = await open_board(world.alma)
    try:
        assert admin_connected and alma_connected
        # Alma's own promise on a case without a team: her board shows it, and every admin's
        await promise_on(world.loose_case, by=world.alma)
        assert await admin.receive_json_from(timeout=3) == {"changed": True, "teams": [None]}
        assert await alma.receive_json_from(timeout=3) == {"changed": True, "teams": [None]}
        await promise_on(world.billing_case, by=world.otto)
        assert await admin.receive_json_from(timeout=3) == {"changed": True, "teams": [world.billing.pk]}
        assert await alma.receive_nothing(timeout=QUIET)
    finally:
        await admin.disconnect()
        await alma.disconnect()


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_an_anonymous_socket_is_refused(world):
    socket, connected = await open_board(None)
    assert not connected
    await promise_on(world.support_case, by=world.bea)
    assert await socket.receive_nothing(timeout=0.1)


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_a_socket_from_another_site_is_refused(world):
    _, connected = await open_board(world.alma, origin=(b"origin", b"https://evil.example"))
    assert not connected


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
async def test_an_inactive_agents_socket_is_refused(world):
    cookie = await session_cookie(world.alma)
    await database_sync_to_async(Agent.objects.filter(pk=world.alma.pk).update)(is_active=False)
    socket = WebsocketCommunicator(application, PATH, headers=[ORIGIN, (b"cookie", cookie)])
    connected, _ = await socket.connect(timeout=3)
    assert not connected


@pytest.mark.asyncio
@pytest.mark.usefixtures("close_thread_connections")
# whitenoise hands Django a sync file iterator, which Django's ASGI handler reads in a thread (and says so)
@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators")
async def test_the_page_still_gets_its_static_files(db):
    """uvicorn serves no static files: the ASGI application does (whitenoise), board.js among them."""
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "path": "/static/lofte/board.js",
        "raw_path": b"/static/lofte/board.js",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    http = ApplicationCommunicator(application, scope)
    await http.send_input({"type": "http.request", "body": b""})
    start = await http.receive_output(timeout=5)
    body = b""
    while True:
        message = await http.receive_output(timeout=5)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    assert start["status"] == 200
    assert b"new WebSocket(url)" in body


# --- sync: an unreachable layer must never fail the change -----------------------------------------


def test_an_unreachable_layer_costs_a_warning_not_the_change(world, settings, caplog):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/15"]}}
    }
    now = timezone.now()
    with caplog.at_level(logging.WARNING, logger="lofte.promises.live"), transaction.atomic():
        promise = promise_make(case=world.support_case, due_at=now + timedelta(hours=1), created_by=world.bea, now=now)
    assert Promise.objects.get(pk=promise.pk).state == PromiseState.PENDING
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == ["Promise board update not sent"]


def test_nothing_is_sent_without_a_listener_in_this_process(world, settings, monkeypatch):
    """The worker and management commands have the in-memory layer but no sockets: no trip through a loop."""
    from lofte.promises import live

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    calls: list[object] = []
    monkeypatch.setattr(live, "async_to_sync", calls.append)
    assert get_channel_layer() is not None
    now = timezone.now()
    with transaction.atomic():
        promise_make(case=world.support_case, due_at=now + timedelta(hours=1), created_by=world.bea, now=now)
    assert Promise.objects.filter(case=world.support_case).count() == 1
    assert calls == []


@pytest.mark.django_db
def test_one_transactions_changes_tell_the_boards_once_with_every_team_and_owner(
    monkeypatch, django_capture_on_commit_callbacks
):
    """A worker's group of acknowledgements (or the tick's batch) commits many changes at once: one round of
    messages for all of them, not one per change; a change in a savepoint rolled back is sent at most in excess."""
    from lofte.promises import live

    sent: list[tuple[frozenset[int | None], frozenset[int]]] = []
    monkeypatch.setattr(live, "_send", lambda teams, agents: sent.append((teams, agents)))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # the test's transaction commits here
        live.board_changed({1}, {10})
        with transaction.atomic():
            live.board_changed({2, None}, {None, 20})
        try:
            with transaction.atomic():
                live.board_changed({3}, {30})
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        live.board_changed({4}, ())
        assert sent == []  # nothing before the commit
    assert len(callbacks) == 1
    assert sent == [(frozenset({1, 2, None, 3, 4}), frozenset({10, 20, 30}))]
    # a callback registered in a savepoint that rolled back is gone with it: the next change registers anew
    sent.clear()
    transaction.get_connection().run_on_commit.clear()  # as after that commit (the test's transaction never does)
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                live.board_changed({6}, ())
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        live.board_changed({7}, ())
    assert sent == [(frozenset({7}), frozenset())]
