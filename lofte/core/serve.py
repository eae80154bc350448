"""One web process of `lofte start`: uvicorn on a listening socket the command made and handed down.

`python -m lofte.core.serve <fd>`; the socket is made (and the address checked) once, by `lofte start`,
one per web process: see `listening_sockets` there.
"""

from __future__ import annotations

import socket
import sys

import uvicorn


def main(argv: list[str]) -> None:
    # socket(fileno=...) reads the family from the descriptor: a TCP socket stays one (uvicorn's own --fd takes
    # every descriptor for a Unix socket, and asyncio then sets no TCP_NODELAY on the connections)
    sock = socket.socket(fileno=int(argv[0]))
    config = uvicorn.Config("config.asgi:application", access_log=False, timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1:])
