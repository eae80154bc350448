"""Complaints' pages: the register, and the forms on a case's complaint panel (flag, un-flag, the register's
fields). Thin: the services decide and check."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lofte.accounts.decorators import forbidden
from lofte.accounts.models import Agent, Team
from lofte.cases.models import Case, Channel
from lofte.cases.selectors import case_get_for_agent
from lofte.complaints import analysis, checks, compensation, procedures, selectors, services
from lofte.complaints.models import CompensationState, Complaint, Outcome, Severity, Source
from lofte.core import clock
from lofte.core.errors import DomainError, NotFound, PermissionDenied
from lofte.core.htmx import back_to_case, is_htmx
from lofte.customers import lights

REGISTER_PAGE = 25


def _agent(request: HttpRequest) -> Agent:
    return request.user  # type: ignore[return-value]


@login_required
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    """The complaint register: the complaints of the cases the reader may see, newest first, filtered."""
    agent = _agent(request)
    filters = selectors.filters_parse(request.GET)
    try:
        page = selectors.complaint_register(
            agent=agent, filters=filters, cursor=request.GET.get("cursor") or None, limit=REGISTER_PAGE
        )
    except DomainError as exc:  # a cursor that is not one
        messages.error(request, exc.message)
        page = selectors.complaint_register(agent=agent, filters=filters, limit=REGISTER_PAGE)
    query = request.GET.copy()
    query.pop("cursor", None)
    lights.attach([c.customer for c in page.items])
    return render(
        request,
        "complaints/register.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "states": [
                ("open", _("Open")),
                ("overdue", _("Past the deadline")),
                ("resolved", _("Resolved")),
                ("unflagged", _("Not complaints")),
                ("all", _("All")),
            ],
            "categories": selectors.categories(),
            "root_causes": selectors.root_causes(),
            "severities": Severity.choices,
            "outcomes": Outcome.choices,
            "channels": Channel.choices,
            "teams": Team.objects.order_by("name"),
            "now": clock.now(),
        },
    )


def _case(request: HttpRequest, reference: str) -> Case:
    try:
        return case_get_for_agent(agent=_agent(request), reference=reference)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _complaint(case: Case) -> Complaint:
    complaint = selectors.complaint_for_case(case=case)
    if complaint is None:
        raise Http404(_("No complaint on case %(ref)s.") % {"ref": case.reference})
    return complaint


def _acted(request: HttpRequest, case: Case, perform: Callable[[], str]) -> HttpResponse:
    """Run one of the complaint panel's actions and go back to the case: its message on success; a refusal or a
    bad value as an error on the reloaded case page (a 403 page for a full-page post that is refused); "not
    found" for a step or compensation the case does not have."""
    back = f"/cases/{case.reference}/"
    try:
        done = perform()
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        if not is_htmx(request):
            return forbidden(request, exc)
        messages.error(request, exc.message)
        return back_to_case(request, back, reload=True)
    except DomainError as exc:
        messages.error(request, exc.message)
        return back_to_case(request, back, reload=True)
    if done:
        messages.success(request, done)
    return back_to_case(request, back)


@login_required
@require_POST
def flag(request: HttpRequest, reference: str) -> HttpResponse:
    """An agent makes the case a complaint."""
    case = _case(request, reference)

    def perform() -> str:
        services.complaint_flag(case=case, source=Source.AGENT, actor=_agent(request))
        return _("The case is a complaint: the handling deadline is on the case.")

    return _acted(request, case, perform)


@login_required
@require_POST
def unflag(request: HttpRequest, reference: str) -> HttpResponse:
    """An agent says the case is not a complaint after all (with why)."""
    case = _case(request, reference)
    complaint = _complaint(case)

    def perform() -> str:
        services.complaint_unflag(complaint=complaint, actor=_agent(request), reason=request.POST.get("reason", ""))
        return _("The case is no longer a complaint; its deadline is cancelled.")

    return _acted(request, case, perform)


REGISTER_FIELDS = (
    "category",
    "subcategory",
    "severity",
    "product",
    "root_cause",
    "owner_team",
    "owner_agent",
    "outcome",
    "outcome_reason",
)


@login_required
@require_POST
def update(request: HttpRequest, reference: str) -> HttpResponse:
    """The register's fields of the case's complaint, from its panel."""
    case = _case(request, reference)
    complaint = _complaint(case)
    values = {f: request.POST[f] for f in REGISTER_FIELDS if f in request.POST}

    def perform() -> str:
        services.complaint_update(complaint=complaint, actor=_agent(request), **values)
        return _("Complaint saved.")

    return _acted(request, case, perform)


@login_required
@require_POST
def step(request: HttpRequest, reference: str, step_id: int) -> HttpResponse:
    """Tick a procedure step off (done=1) or undo it (done=0)."""
    case = _case(request, reference)
    complaint = _complaint(case)

    def perform() -> str:
        if request.POST.get("done", "1") == "0":
            procedures.step_undo(complaint=complaint, step_id=step_id, actor=_agent(request))
        else:
            procedures.step_done(complaint=complaint, step_id=step_id, actor=_agent(request))
        return ""

    return _acted(request, case, perform)


# --- compensation ------------------------------------------------------------------------------------------


@login_required
@require_POST
def compensation_propose(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(request, reference)
    complaint = _complaint(case)

    def perform() -> str:
        made = compensation.compensation_propose(
            complaint=complaint,
            actor=_agent(request),
            kind=request.POST.get("kind", ""),
            amount=request.POST.get("amount", ""),
            currency=request.POST.get("currency", ""),
            reason=request.POST.get("reason", ""),
        )
        if made.state == CompensationState.APPROVED:
            return _("Compensation approved: it is within your limit.")
        return _("Compensation proposed: it is above your limit and waits for approval.")

    return _acted(request, case, perform)


ACTIONS: dict[str, tuple[Callable[..., Any], bool, Any]] = {
    "approve": (compensation.compensation_approve, True, gettext_lazy("Compensation approved.")),
    "reject": (compensation.compensation_reject, True, gettext_lazy("Compensation rejected.")),
    "paid": (compensation.compensation_paid, False, gettext_lazy("Compensation marked as paid.")),
    "cancel": (compensation.compensation_cancel, True, gettext_lazy("Compensation cancelled.")),
}


@login_required
@require_POST
def compensation_act(request: HttpRequest, compensation_id: int, action: str) -> HttpResponse:
    """Approve, reject, mark paid or cancel a compensation on a case the agent sees (any other: not found)."""
    if action not in ACTIONS:
        raise Http404(_("There is no such action."))
    try:
        found = selectors.compensation_get_for_agent(agent=_agent(request), compensation_id=compensation_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    service, with_reason, done = ACTIONS[action]
    kwargs: dict[str, Any] = {"compensation": found, "actor": _agent(request)}
    if with_reason:
        kwargs["reason"] = request.POST.get("reason", "")

    def perform() -> str:
        service(**kwargs)
        return str(done)

    return _acted(request, found.complaint.case, perform)


def _ledger_filters(request: HttpRequest) -> selectors.LedgerFilters:
    state = request.GET.get("state", "")
    currency = request.GET.get("currency", "")
    category = request.GET.get("category", "")
    return selectors.LedgerFilters(
        state=state if state in CompensationState.values else "",
        currency=currency if currency in compensation.currencies() else "",
        category=int(category) if category.isdigit() and len(category) < 12 else None,
    )


@login_required
@require_GET
def ledger(request: HttpRequest) -> HttpResponse:
    """The compensation ledger: every line on the cases the reader sees, with totals per month, category or
    customer, and the CSV export of the same rows."""
    agent = _agent(request)
    filters = _ledger_filters(request)
    group = request.GET.get("group", "month")
    group = group if group in selectors.TOTAL_GROUPS else "month"
    try:
        page = selectors.compensation_ledger(agent=agent, filters=filters, cursor=request.GET.get("cursor") or None)
    except DomainError as exc:
        messages.error(request, exc.message)
        page = selectors.compensation_ledger(agent=agent, filters=filters)
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "complaints/ledger.html",
        {
            "page": page,
            "filters": filters,
            "group": group,
            "groups": [("month", _("Month")), ("category", _("Category")), ("customer", _("Customer"))],
            "totals": selectors.compensation_totals(agent=agent, filters=filters, group=group),
            "states": CompensationState.choices,
            "currencies": compensation.currencies(),
            "categories": selectors.categories(),
            "query": query.urlencode(),
        },
    )


CSV_HEADER = (
    "case",
    "customer",
    "category",
    "kind",
    "amount",
    "currency",
    "state",
    "reason",
    "proposed_by",
    "proposed_at",
    "decided_by",
    "decided_at",
    "decision_reason",
    "paid_at",
)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ (or a tab/CR) gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_download(header: Iterable[object], rows: Iterable[Iterable[object]], filename: str) -> StreamingHttpResponse:
    """Rows as a CSV download, written as they are read (memory stays flat at any size), every cell defused."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow([_csv_cell(v) for v in header])
        for row in rows:
            yield writer.writerow([_csv_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def ledger_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The ledger's rows (the page's filters, every page) as CSV, streamed: memory stays flat at any size."""
    agent = _agent(request)
    filters = _ledger_filters(request)
    cells = (
        (
            c.complaint.case.reference,
            c.complaint.customer.name,
            c.complaint.category.name if c.complaint.category else "",
            c.kind,
            c.amount,
            c.currency,
            c.state,
            c.reason,
            c.proposed_by.display_name,
            c.proposed_at.isoformat(),
            c.decided_by.display_name if c.decided_by else "",
            c.decided_at.isoformat() if c.decided_at else "",
            c.decision_reason,
            c.paid_at.isoformat() if c.paid_at else "",
        )
        for c in selectors.compensation_ledger_rows(agent=agent, filters=filters)
    )
    return _csv_download(CSV_HEADER, cells, "lofte-compensation.csv")


# --- the temperature check (customers, no login) -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
def check(request: HttpRequest, token: str) -> HttpResponse:
    """ "Is the problem still solved?": the question (GET never records anything: mail scanners open links) and
    the answer (POST), in the customer's language. A link that is altered, used or expired gets a friendly page
    and records nothing."""
    try:
        found = checks.check_for_token(token)
    except (checks.LinkInvalid, checks.LinkUsed, checks.LinkExpired) as exc:
        return render(request, "complaints/check_closed.html", {"reason": exc.message}, status=exc.status)
    case = found.complaint.case
    language = checks.customer_language(case)
    error = ""
    if request.method == "POST":
        try:
            with translation.override(language):
                answered = checks.check_answer(
                    token=token, answer=request.POST.get("answer", ""), comment=request.POST.get("comment", "")
                )
        except (checks.LinkInvalid, checks.LinkUsed, checks.LinkExpired) as exc:
            return render(request, "complaints/check_closed.html", {"reason": exc.message}, status=exc.status)
        except DomainError as exc:
            error = exc.message
        else:
            with translation.override(language):
                return render(
                    request, "complaints/check_done.html", {"told": answered.told, "answer": answered.check.state}
                )
    with translation.override(language):
        return render(
            request,
            "complaints/check.html",
            {
                "reference": case.reference,
                "chosen": request.POST.get("answer") or request.GET.get("answer", ""),
                "comment": request.POST.get("comment", ""),
                "error": error,
            },
            status=422 if error else 200,
        )


# --- analysis and the register's export ----------------------------------------------------------------------


def _period(request: HttpRequest) -> tuple[analysis.Period, str]:
    """The period the page asks for, or the last twelve months and the error that says why."""
    today = timezone.localdate(clock.now())
    try:
        return analysis.period_parse(request.GET.get("from"), request.GET.get("to"), today=today), ""
    except DomainError as exc:
        return analysis.default_period(today), exc.message


@login_required
@require_GET
def analysis_page(request: HttpRequest) -> HttpResponse:
    """Every figure of the period: a chart, the table behind it and its CSV."""
    period, error = _period(request)
    agent = _agent(request)
    figures = [analysis.figure(agent, period, key) for key in analysis.FIGURES]
    query = request.GET.copy()
    return render(
        request,
        "complaints/analysis.html",
        {
            "figures": figures,
            "error": error,
            "period_from": period.start.strftime("%Y-%m"),
            "period_to": (period.end - timedelta(days=1)).strftime("%Y-%m"),
            "query": query.urlencode(),
        },
        status=422 if error else 200,
    )


@login_required
@require_GET
def analysis_csv(request: HttpRequest, key: str) -> HttpResponse:
    """The rows behind one figure's chart, as CSV."""
    if key not in analysis.FIGURES:
        raise Http404(_("There is no such figure."))
    period, error = _period(request)
    if error:
        return HttpResponse(error, status=422, content_type="text/plain; charset=utf-8")
    found = analysis.figure(_agent(request), period, key)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="lofte-complaints-{key}.csv"'
    writer = csv.writer(response)
    writer.writerow([_csv_cell(c) for c in found.columns])
    for row in found.rows:
        writer.writerow([_csv_cell("" if v is None else v) for v in row])
    return response


REGISTER_HEADER = (
    "case",
    "received_at",
    "channel",
    "customer",
    "customer_tier",
    "category",
    "subcategory",
    "severity",
    "product",
    "root_cause",
    "owner",
    "deadline_at",
    "resolved_at",
    "within_deadline",
    "outcome",
    "outcome_reason",
    "compensation_paid",
    "is_complaint",
)


def _register_cells(c: dict[str, Any]) -> list[object]:
    solved, deadline = c["case__solved_at"], c["deadline_at"]
    owner = c["owner_agent__name"] or (c["owner_agent__email"] or "").split("@")[0] or c["owner_team__name"] or ""
    return [
        c["case__reference"],
        c["received_at"].isoformat(),
        c["channel"],
        c["customer__name"],
        c["customer__tier"],
        c["category__name"] or "",
        c["subcategory__name"] or "",
        c["severity"],
        c["product"],
        c["root_cause__name"] or "",
        owner,
        deadline.isoformat() if deadline else "",
        solved.isoformat() if solved else "",
        "" if not (solved and deadline) else ("yes" if solved <= deadline else "no"),
        c["outcome"],
        c["outcome_reason"],
        c["compensation_paid"],
        "yes" if c["is_active"] else "no",
    ]


@login_required
@require_GET
def register_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The register (the page's filters; every page) as CSV for a regulator or consumer authority: every
    complaint with its dates, category, outcome and compensation paid. Streamed: memory stays flat."""
    agent = _agent(request)
    filters = selectors.filters_parse(request.GET)
    cells = (_register_cells(row) for row in selectors.register_export_values(agent=agent, filters=filters))
    return _csv_download(REGISTER_HEADER, cells, "lofte-complaint-register.csv")


PRINT_MAX = 2000


@login_required
@require_GET
def register_print(request: HttpRequest) -> HttpResponse:
    """The register as a printable page (the page's filters, at most PRINT_MAX complaints: the CSV has all)."""
    agent = _agent(request)
    filters = selectors.filters_parse(request.GET)
    rows = []
    for row in selectors.register_export_rows(agent=agent, filters=filters):
        rows.append(row)
        if len(rows) > PRINT_MAX:
            break
    return render(
        request,
        "complaints/register_print.html",
        {"rows": rows[:PRINT_MAX], "more": len(rows) > PRINT_MAX, "limit": PRINT_MAX, "now": clock.now()},
    )
