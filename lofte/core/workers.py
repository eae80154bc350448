"""Identity of a worker process, for leases and claims."""

from __future__ import annotations

import socket
import uuid


def worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{uuid.uuid4().hex[:8]}"
