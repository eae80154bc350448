"""The matrix covers every page and every API operation, by construction: the routes come from Django's resolver,
the operations from the NinjaAPI and its OpenAPI schema, and each one needs a row in matrix.py (who may use it).
A method a page has no row for must be refused (405), so a view cannot quietly start accepting one."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from config.api import api
from tests.permissions.matrix import ROWS, V1
from tests.permissions.world import ADMIN, World

# Parts of the URL space the matrix does not list route by route, and why.
EXCLUDED = {
    "/admin/": "the Django admin site: its index is a row; every registered model's pages are in test_admin_site.py",
    "/media/": "only with DEBUG (files served by django.views.static.serve); not routed in tests or production",
}
STATIC = "/static/: served by whitenoise in front of Django, never through the resolver"

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def _route(route: str) -> str:
    path = "/" + route
    if path.startswith(f"{V1}/"):  # ninja spells parameters {name}; its URL patterns say <name> or <path:name>
        return _PARAM.sub(r"{\1}", path)
    return path


def resolver_routes(patterns: list[URLPattern | URLResolver] | None = None, prefix: str = "") -> Iterator[str]:
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = _route(prefix + str(pattern.pattern))
        if any(route.startswith(excluded) for excluded in EXCLUDED):
            continue
        if isinstance(pattern, URLResolver):
            yield from resolver_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield route


def ninja_operations() -> set[tuple[str, str]]:
    """Every operation of the one NinjaAPI, those left out of the schema (webhooks, the fallback) included."""
    operations = set()
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    operations.add((method, V1 + _PARAM.sub(r"{\1}", path.replace("{path:", "{"))))
    return operations


def openapi_operations(client: Client) -> set[tuple[str, str]]:
    schema = client.get("/api/openapi.json").json()
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item}


MATRIX_KEYS = {row.key for row in ROWS}
MATRIX_ROUTES = {row.route for row in ROWS}


def test_every_route_has_a_row():
    missing = sorted(set(resolver_routes()) - MATRIX_ROUTES)
    assert missing == [], f"routes nobody decided access for (add rows to tests/permissions/matrix.py): {missing}"


def test_every_api_operation_has_a_row():
    missing = sorted(ninja_operations() - MATRIX_KEYS)
    assert missing == [], f"API operations nobody decided access for: {missing}"


@pytest.mark.django_db
def test_every_operation_in_the_openapi_schema_has_a_row(client):
    operations = openapi_operations(client)
    assert len(operations) > 40
    missing = sorted(operations - MATRIX_KEYS)
    assert missing == [], f"OpenAPI operations nobody decided access for: {missing}"


def test_every_row_names_a_route_that_exists():
    """No stale rows: a removed page or endpoint leaves the matrix too."""
    routes = set(resolver_routes()) | {path for _method, path in ninja_operations()} | {"/admin/"}
    assert sorted(MATRIX_ROUTES - routes) == []
    api_keys = {row.key for row in ROWS if row.route in {path for _m, path in ninja_operations()}}
    assert sorted(api_keys - ninja_operations()) == []


def test_the_exclusions_are_the_admin_site_and_debug_media():
    top = {_route(str(p.pattern)) for p in get_resolver().url_patterns}
    assert "/admin/" in top
    assert set(EXCLUDED) - top <= {"/media/"}  # media is routed only with DEBUG
    assert STATIC


PAGE_ROUTES = sorted({row.route for row in ROWS if not row.route.startswith(f"{V1}/")} - {"/admin/"})


@pytest.mark.parametrize("route", PAGE_ROUTES)
def test_a_page_refuses_the_methods_it_has_no_row_for(w: World, route: str) -> None:
    """GET and POST are what browsers and forms send: one without a row must be 405 for a signed-in admin."""
    rows = [row for row in ROWS if row.route == route]
    listed = {row.method for row in rows}
    sample = rows[0]
    objects = [obj for obj in sample.objects if obj not in ("own", "other")] or ["A"]
    url = sample.url(w, objects[0]) if sample.objects != ("own", "other") else sample.url(w, ADMIN)
    client = w.client(ADMIN)
    for method in ("GET", "POST"):
        if method in listed:
            continue
        response = client.get(url) if method == "GET" else client.post(url, {})
        assert response.status_code == 405, f"{method} {route}: {response.status_code}"
