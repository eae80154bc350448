"""Customer pages: a searchable list and the customer's page with identities, suggestions and cases.
A customer follows the access rule of their cases (customers.selectors); changing their addresses needs sight
of every one of their cases (lofte.accounts.access.require_identity_change)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lofte.accounts import access
from lofte.accounts.decorators import admin_only
from lofte.accounts.models import Agent
from lofte.cases.selectors import CaseFilters, case_count_for_customer, case_list_for_agent
from lofte.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from lofte.core.htmx import is_htmx
from lofte.core.pagination import Page
from lofte.core.panels import panels_render
from lofte.customers import lights
from lofte.customers.forms import CustomerEditForm
from lofte.customers.models import Customer
from lofte.customers.selectors import customer_get, customer_list, identity_suggestions
from lofte.customers.services import customer_edit, identity_suggestion_confirm, identity_suggestion_dismiss
from lofte.customers.tiers import customers_import, rule_get


def _agent(request: HttpRequest) -> Agent:
    return request.user  # type: ignore[return-value]


@login_required
@require_GET
def customer_index(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    error = None
    try:
        page = customer_list(agent=_agent(request), q=q, cursor=request.GET.get("cursor") or None, limit=25)
    except ValidationFailed as exc:
        error, page = exc.message, Page(items=[], next_cursor=None)
    lights.attach(page.items)
    context = {"page": page, "q": q, "error": error, "is_first_page": not request.GET.get("cursor")}
    if is_htmx(request) and request.GET.get("cursor"):
        return render(request, "customers/partials/_customer_rows.html", context)
    if is_htmx(request) and request.htmx.target == "customer-list":  # type: ignore[attr-defined]
        return render(request, "customers/partials/_customer_list.html", context)
    return render(request, "customers/customer_list.html", context, status=422 if error else 200)


def _get_customer(request: HttpRequest, customer_id: int) -> Customer:
    try:
        return customer_get(agent=_agent(request), customer_id=customer_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _edit_form(customer: Customer) -> CustomerEditForm:
    return CustomerEditForm(
        initial={
            "name": customer.name,
            "tier": customer.tier,
            "language": customer.language,
            "time_zone": customer.time_zone,
            "organisation": customer.organisation.name if customer.organisation else "",
            "notes": customer.notes,
            "churned_at": customer.churned_at,
            "churn_reason": customer.churn_reason,
        }
    )


@login_required
@require_GET
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    return _render_detail(request, _get_customer(request, customer_id))


@login_required
@require_POST
def customer_update(request: HttpRequest, customer_id: int) -> HttpResponse:
    agent = _agent(request)
    customer = _get_customer(request, customer_id)
    form = CustomerEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            access.require(agent, access.Perm.CUSTOMER_EDIT)
            if data["add_email"].strip() or data["add_phone"].strip():
                access.require_identity_change(agent, customer)
            customer_edit(
                customer=customer,
                name=data["name"],
                tier=data["tier"],
                language=data["language"],
                time_zone=data["time_zone"],
                organisation_name=data["organisation"],
                notes=data["notes"],
                add_email=data["add_email"],
                add_phone=data["add_phone"],
                churned_at=data["churned_at"],
                churn_reason=data["churn_reason"],
            )
        except PermissionDenied as exc:  # a QA reviewer has no edit form to show the reason in
            messages.error(request, exc.message)
            return _render_detail(request, _get_customer(request, customer_id), form=form, status=exc.status)
        except DomainError as exc:
            form.add_error(None, exc.message)
            return _render_detail(request, _get_customer(request, customer_id), form=form, status=exc.status)
        messages.success(request, _("The customer is saved."))
        return redirect("customers:detail", customer_id=customer.pk)
    # nothing was saved: show the page again with the form as typed
    return _render_detail(request, _get_customer(request, customer_id), form=form, status=422)


@login_required
@require_POST
def suggestion_decide(request: HttpRequest, customer_id: int, suggestion_id: int, decision: str) -> HttpResponse:
    """Confirm (the address joins the customer, proven by this agent) or dismiss a suggested address."""
    if decision not in ("confirm", "dismiss"):
        raise Http404
    agent = _agent(request)
    customer = _get_customer(request, customer_id)
    try:
        if decision == "confirm":
            access.require_identity_change(agent, customer)
            identity = identity_suggestion_confirm(customer=customer, suggestion_id=suggestion_id, agent=agent)
            messages.success(request, _("%(value)s is now the customer's.") % {"value": identity.value})
        else:
            access.require(agent, access.Perm.CUSTOMER_EDIT)
            dismissed = identity_suggestion_dismiss(customer=customer, suggestion_id=suggestion_id, agent=agent)
            messages.success(request, _("%(value)s was dismissed.") % {"value": dismissed.value})
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return _render_detail(request, customer, status=exc.status)
    return redirect("customers:detail", customer_id=customer.pk)


def _render_detail(
    request: HttpRequest, customer: Customer, *, form: CustomerEditForm | None = None, status: int = 200
) -> HttpResponse:
    agent = _agent(request)
    filters = CaseFilters(view="all", status=["all"], customer=customer.pk, sort="-created_at")
    try:
        page = case_list_for_agent(agent=agent, filters=filters, cursor=request.GET.get("cursor") or None, limit=25)
    except ValidationFailed:
        page = Page(items=[], next_cursor=None)
    context = {
        "customer": customer,
        "page": page,
        "case_count": case_count_for_customer(agent=agent, customer=customer),
        "query": "",
        "is_first_page": not request.GET.get("cursor"),
        "form": form or _edit_form(customer),
        "editing": form is not None,
        "suggestions": identity_suggestions(customer=customer),
        "can_edit": access.can(agent, access.Perm.CUSTOMER_EDIT),
        "can_change_identities": access.can(agent, access.Perm.CUSTOMER_EDIT)
        and access.customer_sees_all_cases(agent, customer),
    }
    if is_htmx(request) and request.GET.get("cursor"):
        return render(request, "cases/partials/_case_rows.html", context)
    # what other apps show about the customer (registered with lofte.core.panels)
    context["panels"] = panels_render("customer", request, customer)
    lights.attach([customer])
    return render(request, "customers/customer_detail.html", context, status=status)


IMPORT_MAX_BYTES = 5_000_000


@admin_only
@require_http_methods(["GET", "POST"])
def customer_import(request: HttpRequest) -> HttpResponse:
    """Admins: tiers, revenues and contracts of many customers from a CSV (pasted or uploaded), the tier rule
    applied where no tier is given; the lines that could not be used are listed by number."""
    result, error, text = None, "", request.POST.get("csv", "")
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is not None:
            if upload.size is not None and upload.size > IMPORT_MAX_BYTES:
                error = _("The file is too large: at most 5 MB.")
            else:
                try:
                    text = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError:
                    error = _("The file is not UTF-8 text (save it from the spreadsheet as CSV UTF-8).")
        if not error and not text.strip():
            error = _("Paste the CSV or choose a file.")
        if not error:
            try:
                result = customers_import(text=text)
            except DomainError as exc:
                error = exc.message
    return render(
        request,
        "customers/import.html",
        {"result": result, "error": error, "csv": text[:200_000] if error else "", "rule": rule_get()},
        status=422 if error else 200,
    )
