"""ASGI entry point: HTTP (Django, static files through whitenoise) and websockets (Channels) in one process."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Set Django up before anything imports a model (the consumers do).
django.setup(set_prefix=False)

from lofte.core.asgi import SyncChainASGIHandler  # noqa: E402

django_application = SyncChainASGIHandler()  # get_asgi_application(), with one thread hop per request

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from lofte.cases.consumers import CasePresenceConsumer  # noqa: E402
from lofte.promises.consumers import BoardConsumer  # noqa: E402

websocket_urlpatterns = [
    path("ws/promises/board/", BoardConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/cases/<str:reference>/presence/", CasePresenceConsumer.as_asgi()),  # type: ignore[arg-type]
]

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # Same-origin sockets only (the Origin header must name an allowed host), with the session's agent.
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))  # type: ignore[arg-type]
        ),
    }
)
