"""The one NinjaAPI under /api/v1; each app adds its router. Errors are JSON:
{"code": "...", "message": "...", "field": "..." (when one field is wrong), "errors": [...]}."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError

from lofte.accounts.api import router as accounts_router
from lofte.accounts.auth import BearerTokenAuth, SessionAuth
from lofte.callbacks.api import router as callbacks_router
from lofte.cases.api import router as cases_router
from lofte.channels.api import router as channels_router
from lofte.channels.sms.api import router as sms_router
from lofte.channels.webhooks.api import router as webhooks_router
from lofte.core.errors import DomainError, NotFound
from lofte.customers.api import router as customers_router
from lofte.promises.api import router as promises_router

api = NinjaAPI(
    title="Lofte API",
    version="1",
    description="Every promise tracked until it is kept. Authenticate with `Authorization: Bearer <token>` "
    "(`lofte api_token create --user EMAIL`) or, in the browser, with your session.",
    auth=[BearerTokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
)


def error_body(code: str, message: str, *, field: str | None = None, errors: list[Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    if errors is not None:
        body["errors"] = errors
    return body


# ninja reports where a value came from first (body, query, path ...), then the handler's argument
# name when the value is part of a schema (data, filters), then the field inside it.
_LOCATIONS = frozenset({"body", "query", "path", "form", "header", "cookie", "file"})
_SCHEMA_ARGUMENTS = frozenset({"data", "payload", "filters"})


def _field_name(loc: list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    if parts and parts[0] in _SCHEMA_ARGUMENTS:
        parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [{"field": _field_name(list(e.get("loc", []))), "message": e.get("msg", "invalid")} for e in exc.errors]
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    message = f"{first['field']}: {first['message']}"
    return api.create_response(
        request, error_body("validation_error", message, field=first["field"], errors=errors), status=422
    )


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, error_body(exc.code, exc.message, field=exc.field), status=exc.status)
    for name, value in getattr(exc, "headers", {}).items():  # e.g. Retry-After with a 429
        response[name] = value
    return response


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        error_body("unauthenticated", "Send 'Authorization: Bearer <token>' with a valid, unrevoked API token."),
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="lofte"'
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {400: "bad_request", 403: "permission_denied", 404: "not_found", 405: "method_not_allowed"}
    return api.create_response(
        request, error_body(codes.get(exc.status_code, "error"), str(exc)), status=exc.status_code
    )


api.add_router("/", accounts_router)
api.add_router("/", customers_router)
api.add_router("/", cases_router)
api.add_router("/", promises_router)
api.add_router("/", channels_router)
api.add_router("/", callbacks_router)
api.add_router("/", webhooks_router)
api.add_router("/", sms_router)

# Last, so that it only catches what no router matched: an unknown address is a JSON 404 too.
fallback_router = Router()


@fallback_router.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def unknown_endpoint(request: HttpRequest, rest: str) -> HttpResponse:
    raise NotFound(f"There is no API endpoint /api/v1/{rest}.")


api.add_router("/", fallback_router)
