"""The one NinjaAPI under /api/v1; each app adds its router. Errors are JSON:
{"code": "...", "message": "...", "field": "..." (when one field is wrong), "errors": [...]}.

Every error the API can send is in the OpenAPI with that body (lofte.core.schemas.ErrorOut): the ones every
operation of a kind can answer are added here (401 to every authenticated operation, 403 csrf_failed to every
unsafe one a session may call, 422 to every operation that takes input, 400 bad_request to every one with a
JSON body); the ones that depend on what an operation does (403, 404, 409) are declared on the operation.
A method the address does not take is a JSON 405 too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema

from lofte.accounts.api import router as accounts_router
from lofte.accounts.auth import BearerTokenAuth, SessionAuth
from lofte.callbacks.api import router as callbacks_router
from lofte.cases.api import router as cases_router
from lofte.channels.api import router as channels_router
from lofte.channels.sms.api import router as sms_router
from lofte.channels.webhooks.api import router as webhooks_router
from lofte.complaints.api import router as complaints_router
from lofte.core.errors import DomainError, NotFound
from lofte.core.schemas import ErrorOut
from lofte.customers.api import router as customers_router
from lofte.incidents.api import router as incidents_router
from lofte.kb.api import router as kb_router
from lofte.promises.api import router as promises_router
from lofte.routing.api import router as routing_router
from lofte.surveys.api import router as surveys_router
from lofte.teams.api import router as teams_router
from lofte.triage.api import router as triage_router

UNSAFE_METHODS = frozenset({"post", "put", "patch", "delete"})
# What the errors added to every operation of a kind mean, in the OpenAPI.
COMMON_ERRORS = {
    400: "bad_request: the body is not valid JSON (`field` is body).",
    401: "unauthenticated: no valid, unrevoked API token (and no logged-in session).",
    403: "permission_denied: your role may not do this; csrf_failed: a session without its CSRF token.",
    422: "validation_error: a value is missing, of the wrong type or out of range; `field` names it "
    "(`body` when the body is not a JSON object).",
}


class LofteApi(NinjaAPI):
    """NinjaAPI that documents the errors every operation of a kind can send, and answers a wrong method in JSON."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        schema: OpenAPISchema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        inline = schema._create_schema_from_model(ErrorOut, by_alias=True, mode="serialization")[0]  # type: ignore[type-var]
        schema["components"]["schemas"].setdefault(ErrorOut.__name__, inline)
        error_ref = {"$ref": f"#/components/schemas/{ErrorOut.__name__}"}
        for methods in schema["paths"].values():
            for method, operation in methods.items():
                _add_common_errors(method, operation, error_ref)
        return schema

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for url in urls:
            if isinstance(url, URLPattern):
                url.callback = _json_not_allowed(url.callback, self)
        return urls


def _error_response(description: str, error_ref: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": error_ref}}}


def _add_common_errors(method: str, operation: dict[str, Any], error_ref: dict[str, Any]) -> None:
    responses = operation["responses"]
    wanted: list[int] = []
    if operation.get("security"):
        wanted.append(401)
        if method in UNSAFE_METHODS and any("SessionAuth" in s for s in operation["security"]):
            wanted.append(403)
    if operation.get("parameters") or operation.get("requestBody"):
        wanted.append(422)
    if "application/json" in operation.get("requestBody", {}).get("content", {}):
        wanted.append(400)
    for status in wanted:
        if str(status) in responses or status in responses:
            continue
        responses[status] = _error_response(COMMON_ERRORS[status], error_ref)
        if status == 401:
            responses[status]["headers"] = {
                "WWW-Authenticate": {"description": 'Bearer realm="lofte"', "schema": {"type": "string"}}
            }


def _json_not_allowed(view: Callable[..., HttpResponse], api: NinjaAPI) -> Callable[..., HttpResponse]:
    """ninja answers a method an address does not take with a plain-text 405; this answers it in JSON."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = ", ".join(sorted(method.strip() for method in response["Allow"].split(",")))
            response = api.create_response(
                request,
                error_body("method_not_allowed", f"{request.method} is not allowed here; use {allowed}.", field=None),
                status=405,
            )
            response["Allow"] = allowed
        return response

    return wrapper


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
    # the field, not the position in its list (status.1) nor pydantic's name for a type it tried
    # (function-after[...], literal[...]): the message says what was wrong with the item
    parts = [p for p in parts if not p.isdigit() and "[" not in p]
    return ".".join(parts) or "body"


def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [{"field": _field_name(list(e.get("loc", []))), "message": e.get("msg", "invalid")} for e in exc.errors]
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    message = f"{first['field']}: {first['message']}"
    return api.create_response(
        request, error_body("validation_error", message, field=first["field"], errors=errors), status=422
    )


def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, error_body(exc.code, exc.message, field=exc.field), status=exc.status)
    for name, value in getattr(exc, "headers", {}).items():  # e.g. Retry-After with a 429
        response[name] = value
    if exc.status == 429 and "Retry-After" not in response:
        response["Retry-After"] = str(getattr(exc, "retry_after", 3600))
    return response


def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        error_body("unauthenticated", "Send 'Authorization: Bearer <token>' with a valid, unrevoked API token."),
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="lofte"'
    return response


def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):  # ninja's JSON parse error
        return api.create_response(
            request, error_body("bad_request", "The request body is not valid JSON.", field="body"), status=400
        )
    codes = {400: "bad_request", 403: "permission_denied", 404: "not_found", 405: "method_not_allowed"}
    return api.create_response(
        request, error_body(codes.get(exc.status_code, "error"), str(exc)), status=exc.status_code
    )


# Every app's router; a new capability adds its line here (docs/architecture.md, "Adding a capability").
ROUTERS: list[tuple[str, Router]] = [
    ("/", accounts_router),
    ("/", customers_router),
    ("/", cases_router),
    ("/", promises_router),
    ("/", channels_router),
    ("/", callbacks_router),
    ("/", webhooks_router),
    ("/", sms_router),
    ("/", routing_router),
    ("/", teams_router),
    ("/", kb_router),
    ("/", triage_router),
    ("/", complaints_router),
    ("/", incidents_router),
    ("/", surveys_router),
]


def lofte_api(*, routers: list[tuple[str, Router]], urls_namespace: str = "api", docs_url: str = "/docs") -> LofteApi:
    """A NinjaAPI with Lofte's authentication (a bearer token or the session) and error format, and these routers.
    The product has one (`api`, below); a test can build another around an app's router."""
    instance = LofteApi(
        title="Lofte API",
        version="1",
        description="Every promise tracked until it is kept. Authenticate with `Authorization: Bearer <token>` "
        "(`lofte api_token create --user EMAIL`) or, in the browser, with your session.",
        auth=[BearerTokenAuth(), SessionAuth()],
        urls_namespace=urls_namespace,
        docs_url=docs_url,
    )
    instance.exception_handler(ValidationError)(on_validation_error)
    instance.exception_handler(DomainError)(on_domain_error)
    instance.exception_handler(AuthenticationError)(on_auth_error)
    instance.exception_handler(HttpError)(on_http_error)
    for prefix, router in routers:
        instance.add_router(prefix, router)
    instance.add_router("/", _fallback_router())
    return instance


def _fallback_router() -> Router:
    """Added last, so that it only catches what no router matched: an unknown address is a JSON 404 too."""
    fallback = Router()

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    @fallback.api_operation(methods, "/{path:rest}", auth=None, include_in_schema=False)
    def unknown_endpoint(request: HttpRequest, rest: str) -> HttpResponse:
        raise NotFound(f"There is no API endpoint /api/v1/{rest}.")

    return fallback


api = lofte_api(routers=ROUTERS)
