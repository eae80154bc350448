"""One web process of `lofte start`: uvicorn on a listening socket the command made and handed down.

`python -m lofte.core.serve <fd> [<share fd> <index> <processes>]`; the socket is made (and the address checked)
once, by `lofte start`, one per web process: see `listening_sockets` there.

The kernel gives each new connection to one of the processes' sockets by a hash of its addresses, and a
keep-alive connection stays with the process that accepted it. A process serves one request at a time (ADR 0010),
so clients whose connections landed together on one process queue behind each other while the other process has
fewer: with 8 clients on 2 processes the split is 6 to 2 or worse in three runs out of ten, and those clients
wait three times as long. So the processes share how many HTTP connections each holds (`Share`, a small file
every one of them maps), and a process that holds more than its share (the total over the processes, rounded
up) answers with `Connection: close`: the client opens a new connection, which the kernel hashes again, until
the connections are spread evenly. Websockets are neither counted nor closed.
"""

from __future__ import annotations

import math
import mmap
import os
import socket
import struct
import sys
import tempfile
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn
from uvicorn.importer import import_from_string
from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    HTTP_PROTOCOLS: tuple[type, ...] = (H11Protocol, HttpToolsProtocol)
except ImportError:  # pragma: no cover - httptools is installed with uvicorn[standard]
    HTTP_PROTOCOLS = (H11Protocol,)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

SLOT = struct.Struct("i")


class Share:
    """The number of HTTP connections each web process holds: one integer per process in a file they all map."""

    def __init__(self, fd: int, index: int, processes: int) -> None:
        if not 0 <= index < processes:
            raise ValueError(f"process {index} of {processes}")
        self.index, self.processes = index, processes
        self.map = mmap.mmap(fd, SLOT.size * processes)

    @staticmethod
    def make_file(processes: int) -> int:
        """A new file for `processes` processes (all counts 0), unlinked: it lives while a descriptor of it does."""
        fd, path = tempfile.mkstemp(prefix="lofte-web-")
        os.unlink(path)
        os.write(fd, bytes(SLOT.size * processes))
        return fd

    def publish(self, count: int) -> None:
        SLOT.pack_into(self.map, SLOT.size * self.index, count)

    def counts(self) -> list[int]:
        return [SLOT.unpack_from(self.map, SLOT.size * i)[0] for i in range(self.processes)]


def over_share(mine: int, counts: list[int]) -> bool:
    """Whether a process holding `mine` connections, where all of them hold `counts`, holds more than its share:
    the total spread evenly, rounded up (8 over 2 processes: 4 each; 7: 4 and 3)."""
    return mine > math.ceil(sum(counts) / len(counts))


class Balance:
    """ASGI middleware: an HTTP response of a process over its share of the connections closes its connection."""

    def __init__(self, app: App, share: Share) -> None:
        self.app, self.share = app, share
        self.connections: set[Any] = set()  # uvicorn's server state: every open connection of this process

    def http_connections(self) -> int:
        return sum(1 for c in self.connections if isinstance(c, HTTP_PROTOCOLS))

    def closing(self) -> bool:
        mine = self.http_connections()
        self.share.publish(mine)
        return over_share(mine, self.share.counts())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_balanced(message: Message) -> None:
            if message["type"] == "http.response.start" and self.closing():
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, send_balanced)


def main(argv: list[str]) -> None:
    # socket(fileno=...) reads the family from the descriptor: a TCP socket stays one (uvicorn's own --fd takes
    # every descriptor for a Unix socket, and asyncio then sets no TCP_NODELAY on the connections)
    sock = socket.socket(fileno=int(argv[0]))
    application: App = import_from_string("config.asgi:application")  # as uvicorn loads it from the string
    app = application
    balance = None
    if len(argv) == 4 and int(argv[3]) > 1:
        app = balance = Balance(application, Share(int(argv[1]), int(argv[2]), int(argv[3])))
    config = uvicorn.Config(app, access_log=False, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    if balance is not None:
        balance.connections = server.server_state.connections
    server.run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1:])
