"""Django over ASGI for an application whose views are all synchronous.

Django's own ASGI handler builds the middleware chain for async; with sync middleware and sync views in it,
every request crosses between the event loop and a worker thread several times (into the chain, back out for
the async inner handler, in again for each view middleware's process_view and for the view). Here the chain is
built as under WSGI and a request crosses once: the whole chain, view included, runs in one call in the
thread Django gives sync code.

That thread is the one asgiref keeps for the process's synchronous code: Django's handler enters a
ThreadSensitiveContext per request, which starts a new thread for each one, and a database connection kept
in such a thread (CONN_MAX_AGE) is never used again. Without it, a process serves one request at a time, in one
thread with one kept connection. Measured over HTTP: ADR 0010, addendum.
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
        # ASGIHandler.__call__ without its per-request ThreadSensitiveContext (see above)
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)
