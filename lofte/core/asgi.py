"""Django over ASGI for an application whose views are all synchronous.

Django's own ASGI handler builds the middleware chain for async; with sync middleware and sync views in it,
every request crosses between the event loop and a worker thread several times (into the chain, back out for
the async inner handler, in again for each view middleware's process_view and for the view). Here the chain is
built as under WSGI and a request crosses once: the whole chain, view included, runs in one call in the
thread Django gives sync code. Measured on the case page over HTTP: ADR 0010.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)
