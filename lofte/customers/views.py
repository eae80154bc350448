"""Customer pages: a searchable list and the customer's page with identities and cases."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lofte.cases.selectors import CaseFilters, case_count_for_customer, case_list_for_agent
from lofte.core.errors import NotFound, ValidationFailed
from lofte.core.htmx import is_htmx
from lofte.core.pagination import Page
from lofte.customers.selectors import customer_get, customer_list


@login_required
@require_GET
def customer_index(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    error = None
    try:
        page = customer_list(q=q, cursor=request.GET.get("cursor") or None, limit=25)
    except ValidationFailed as exc:
        error, page = exc.message, Page(items=[], next_cursor=None)
    context = {"page": page, "q": q, "error": error, "is_first_page": not request.GET.get("cursor")}
    if is_htmx(request) and request.GET.get("cursor"):
        return render(request, "customers/partials/_customer_rows.html", context)
    if is_htmx(request) and request.htmx.target == "customer-list":  # type: ignore[attr-defined]
        return render(request, "customers/partials/_customer_list.html", context)
    return render(request, "customers/customer_list.html", context, status=422 if error else 200)


@login_required
@require_GET
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    try:
        customer = customer_get(customer_id=customer_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    agent = request.user
    filters = CaseFilters(view="all", status=["all"], customer=customer.pk, sort="-created_at")
    try:
        page = case_list_for_agent(agent=agent, filters=filters, cursor=request.GET.get("cursor") or None, limit=25)  # type: ignore[arg-type]
    except ValidationFailed:
        page = Page(items=[], next_cursor=None)
    context = {
        "customer": customer,
        "page": page,
        "case_count": case_count_for_customer(agent=agent, customer=customer),  # type: ignore[arg-type]
        "query": "",
        "is_first_page": not request.GET.get("cursor"),
        "more_url_name": "customers:detail",
    }
    if is_htmx(request) and request.GET.get("cursor"):
        return render(request, "cases/partials/_case_rows.html", context)
    return render(request, "customers/customer_detail.html", context)
