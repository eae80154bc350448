"""Agent pages: the inbox and the case page. Thin: parse, call a selector or service, render.

Every action is an HTMX request that answers with the refreshed case body;
without HTMX the same URL answers a redirect (POST/redirect/GET), so every
page also works as a plain page load. A case the agent may not see is 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.accounts.selectors import agent_list_active, team_get, team_list
from lofte.cases import bulk, macros, mentions, merge, saved_views, selectors, services, transitions
from lofte.cases.attachments import previewable
from lofte.cases.delivery import follow_up_sentence
from lofte.cases.forms import (
    AssignForm,
    ForwardForm,
    LinkForm,
    MacroForm,
    MergeForm,
    NewCaseForm,
    NoteForm,
    PromiseForm,
    PropertiesForm,
    ReplyForm,
    SplitForm,
    StatusForm,
)
from lofte.cases.intake import Contact, intake_receive
from lofte.cases.models import Case, Channel, Priority, Status
from lofte.cases.services import AttachmentInput
from lofte.core import clock
from lofte.core.csp import csp_download, csp_preview
from lofte.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from lofte.core.htmx import is_htmx, render_page_or_partial
from lofte.core.markdown import markdown_html
from lofte.core.panels import panels_render
from lofte.customers import lights
from lofte.customers.models import IdentityKind
from lofte.customers.selectors import identity_suggestions
from lofte.customers.services import identifier
from lofte.kb import queries as kb_queries
from lofte.kb.search import kb_search

SORT_LABELS = {
    "-updated_at": gettext_lazy("Recently updated"),
    "updated_at": gettext_lazy("Least recently updated"),
    "-created_at": gettext_lazy("Newest"),
    "created_at": gettext_lazy("Oldest"),
    "next_due_at": gettext_lazy("Next promise due"),
    "-priority": gettext_lazy("Priority"),
    "relevance": gettext_lazy("Best match (with a search)"),
}


def _agent(request: HttpRequest) -> Agent:
    return request.user  # type: ignore[return-value]


def filters_from(params: QueryDict, *, default_view: str = "mine") -> selectors.CaseFilters:
    return selectors.filters_parse(params, default_view=default_view)


def _filter_options() -> dict[str, Any]:
    return {
        "teams": list(team_list()),
        "agents": list(agent_list_active()),
        "case_types": selectors.case_type_list(),
        "tags": selectors.tag_names(),
        "statuses": Status.choices,
        "channels": Channel.choices,
        "sorts": list(SORT_LABELS.items()),
        "views": [
            ("mine", _("Mine, and nobody's in my teams or in no team")),
            ("team_unassigned", _("My teams' unassigned")),
            ("unassigned", _("Unassigned")),
            ("triage", _("No team yet")),
            ("due_soon", _("Due within the hour")),
            ("broken", _("Broken promises")),
            ("waiting", _("Waiting on customer")),
            ("solved_today", _("Solved today")),
            ("all", _("All I can see")),
        ],
    }


def _list_context(agent: Agent, params: QueryDict) -> dict[str, Any]:
    """The inbox's list for these filters (and cursor)."""
    filters = filters_from(params)
    error = None
    try:
        page = selectors.case_list_for_agent(
            agent=agent, filters=filters, cursor=params.get("cursor") or None, limit=25
        )
    except ValidationFailed as exc:
        error = exc.message
        page = selectors.Page(items=[], next_cursor=None)
    query = params.copy()
    query.pop("cursor", None)
    return {
        "page": page,
        "filters": filters,
        "error": error,
        "query": query.urlencode(),
        "is_first_page": not params.get("cursor"),
        "statuses_selected": filters.status,
    }


INBOX_QUERY = "lofte_inbox_view"
MAX_VIEW_QUERY = 1000


def _view_query(params: QueryDict) -> str:
    """The inbox's filters without the page and the open case."""
    query = params.copy()
    for key in ("cursor", "open"):
        query.pop(key, None)
    return query.urlencode()


def _pane(request: HttpRequest, reference: str) -> str:
    """The case the inbox's third pane shows (`?open=`, so that a reload or a shared link opens it again)."""
    if not reference:
        return ""
    try:
        case = selectors.case_get_for_agent(agent=_agent(request), reference=reference[:32])
    except NotFound:
        return render_to_string("cases/partials/_pane_gone.html", {"reference": reference[:32]}, request=request)
    return render_to_string("cases/partials/_case_body.html", _case_context(request, case), request=request)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    context = _list_context(_agent(request), request.GET)
    error = context["error"]
    if is_htmx(request) and request.GET.get("cursor"):
        return render(request, "cases/partials/_case_rows.html", context)
    if is_htmx(request) and request.htmx.target == "case-list":  # type: ignore[attr-defined]
        return render(request, "cases/partials/_case_list.html", context)
    context.update(_filter_options())
    context["pane"] = _pane(request, request.GET.get("open", ""))

    # the views' counts come with the sidebar's own first request (hx-trigger load): the list is not kept waiting
    context.update(
        view_counts=selectors.view_links(),
        current_view=context["filters"].view,
        count_now=True,
        saved=_saved_rows(_agent(request), counted=False),
        share_teams=access.managed_teams(_agent(request), context["teams"]),  # of the teams the filters read
    )
    response = render(request, "cases/inbox.html", context, status=422 if error else 200)
    query = _view_query(request.GET)
    if not error and request.COOKIES.get(INBOX_QUERY) != query and len(query) <= MAX_VIEW_QUERY:
        # where "send and next" on a case's own page goes on (a cookie: no write to the database per listing)
        response.set_cookie(INBOX_QUERY, query, samesite="Lax", httponly=True, secure=request.is_secure())
    return response


# the bulk form's own fields; the rest of what it sends are the inbox's filters (hx-include), to list again
BULK_FIELDS = (
    "csrfmiddlewaretoken",
    "cases",
    "set_status",
    "set_assignee",
    "set_team",
    "add_tags",
    "remove_tags",
    "merge",
)


def _bulk_change(agent: Agent, data: QueryDict) -> bulk.BulkChange:
    return bulk.bulk_change(
        agent=agent,
        status=data.get("set_status"),
        assignee=data.get("set_assignee"),
        team=data.get("set_team"),
        add_tags=data.get("add_tags", "").split(","),
        remove_tags=data.get("remove_tags", "").split(","),
        field_prefix="set_",
    )


def bulk_summary(result: bulk.BulkResult) -> str:
    """ "3 cases updated. 1 unchanged. 1 skipped: LF-2026-000012 (closed)." """
    parts = [ngettext("%(n)d case updated.", "%(n)d cases updated.", len(result.updated)) % {"n": len(result.updated)}]
    if result.unchanged:
        n = len(result.unchanged)
        parts.append(ngettext("%(n)d was so already.", "%(n)d were so already.", n) % {"n": n})
    if result.skipped:
        n = len(result.skipped)
        which = "; ".join(f"{ref} ({why})" for ref, why in result.skipped[:10]) + ("; …" if n > 10 else "")
        parts.append(ngettext("%(n)d skipped: %(which)s.", "%(n)d skipped: %(which)s.", n) % {"n": n, "which": which})
    return " ".join(parts)


@login_required
@require_POST
def cases_bulk(request: HttpRequest) -> HttpResponse:
    """The inbox's bulk form: one change over the selected cases (lofte.cases.bulk); answers the list again, for
    the filters it was sent with, with what happened to each case."""
    agent = _agent(request)
    params = request.POST.copy()
    for name in BULK_FIELDS:
        params.pop(name, None)
    done, failed, status = "", "", 200
    try:
        if request.POST.get("merge"):
            into, merged = merge.cases_merge_selected(agent=agent, references=request.POST.getlist("cases"))
            done = ngettext(
                "%(n)d case merged into %(reference)s.", "%(n)d cases merged into %(reference)s.", len(merged)
            ) % {"n": len(merged), "reference": into.reference}
        else:
            result = bulk.cases_bulk_update(
                agent=agent, references=request.POST.getlist("cases"), change=_bulk_change(agent, request.POST)
            )
            done = bulk_summary(result)
    except PermissionDenied as exc:
        return render(request, "403.html", {"reason": exc.message}, status=403)
    except DomainError as exc:
        failed, status = exc.message, 422
    if not is_htmx(request):
        (messages.success if done else messages.error)(request, done or failed)
        query = params.urlencode()
        return redirect(reverse("cases:inbox") + (f"?{query}" if query else ""))
    context = {**_list_context(agent, params), "bulk_done": done, "bulk_error": failed}
    response = render(request, "cases/partials/_case_list.html", context, status=status)
    if done:
        response["HX-Trigger"] = "bulk-done"  # the views' counts refresh
    return response


def _saved_rows(agent: Agent, *, counted: bool) -> list[dict[str, Any]]:
    views = saved_views.saved_views_for_agent(agent=agent)
    counts = saved_views.saved_view_counts(agent=agent, views=views) if counted else {}
    return [
        {
            "view": v,
            "href": reverse("cases:inbox") + (f"?{v.query}" if v.query else ""),
            "count": counts.get(v.pk),
            "can_delete": saved_views.saved_view_can_delete(agent, v),
        }
        for v in views
    ]


@login_required
@require_GET
def inbox_views(request: HttpRequest) -> HttpResponse:
    """The inbox's views with their counts (the sidebar refreshes itself with this): the built-in ones in one
    query, the saved ones in another."""
    agent = _agent(request)
    context = {
        "view_counts": selectors.view_counts(agent=agent),
        "current_view": request.GET.get("view", ""),
        "saved": _saved_rows(agent, counted=True),
    }
    return render(request, "cases/partials/_views.html", context)


def _back_to_inbox(query: str) -> HttpResponse:
    try:
        clean = saved_views.filters_query(query)
    except ValidationFailed:
        clean = ""
    return redirect(reverse("cases:inbox") + (f"?{clean}" if clean else ""))


@login_required
@require_POST
def view_save(request: HttpRequest) -> HttpResponse:
    """Save the inbox's filters as a view: one's own, or shared with a team one leads."""
    agent = _agent(request)
    query = request.POST.get("query", "")
    try:
        team_id = request.POST.get("team", "")
        team = team_get(team_id=int(team_id), field="team") if team_id.isdigit() and len(team_id) < 19 else None
        view = saved_views.saved_view_create(agent=agent, name=request.POST.get("name", ""), query=query, team=team)
    except PermissionDenied as exc:
        return render(request, "403.html", {"reason": exc.message}, status=403)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The view %(name)s is saved.") % {"name": view.name})
    return _back_to_inbox(query)


def _delete(
    request: HttpRequest, get: Callable[[], Any], delete: Callable[[Any], None], done: str, to: str
) -> HttpResponse:
    """Delete what `get` finds for the agent: 404 for what they may not use, 403 (with the reason) for what they
    may use but not delete; then back to `to` with `done` (a sentence with the thing's %(name)s)."""
    try:
        thing = get()
        name = thing.name
        delete(thing)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        return render(request, "403.html", {"reason": exc.message}, status=403)
    messages.success(request, done % {"name": name})
    return redirect(to)


@login_required
@require_POST
def view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    agent = _agent(request)
    return _delete(
        request,
        lambda: saved_views.saved_view_get_for_agent(agent=agent, view_id=view_id),
        lambda view: saved_views.saved_view_delete(agent=agent, view=view),
        _("The view %(name)s is deleted."),
        "cases:inbox",
    )


def _get_case(request: HttpRequest, reference: str) -> Case:
    try:
        return selectors.case_get_for_agent(agent=_agent(request), reference=reference)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _case_context(request: HttpRequest, case: Case, **forms_and_errors: Any) -> dict[str, Any]:
    agent = _agent(request)
    timeline = selectors.case_timeline(case=case)
    lights.attach([case.customer])
    context: dict[str, Any] = {
        "case": case,
        "timeline": timeline,
        "other_cases": selectors.case_list_for_customer(agent=agent, customer=case.customer, exclude=case, limit=10),
        "transitions": [(s, Status(s).label) for s in transitions.allowed_targets(case.status)],
        "teams": list(team_list()),
        "agents": list(agent_list_active()),
        "case_types": selectors.case_type_list(),
        "priorities": Priority.choices,
        "tags_text": ", ".join(t.name for t in case.tags.all()),
        "reply_form": ReplyForm(),
        "macros": _macro_names(agent, case),
        "composer": _composer_from(forms_and_errors.get("reply_form"), agent),
        "note_form": NoteForm(),
        "promise_form": PromiseForm(),
        "promises": selectors.case_promises(case=case),
        "last_message_id": selectors.timeline_last_message_id(timeline),
        "links": merge.case_links(agent=agent, case=case),
        "can_work": access.can(agent, access.Perm.CASE_WORK),
        "suggestions": identity_suggestions(customer=case.customer),
        # what other apps show on the case page (calls and callbacks, ...), registered with lofte.core.panels
        "panels": panels_render("case", request, case),
    }
    context.update(forms_and_errors)
    return context


def _macro_names(agent: Agent, case: Case) -> list[str]:
    """The names the reply box offers (the first of each name is the one picked, macro_find_for_agent)."""
    if not access.can(agent, access.Perm.CASE_WORK):
        return []
    names = macros.macro_list_for_agent(agent=agent, language=case.language or None).values_list("name", flat=True)
    return list(dict.fromkeys(names[:200]))


def _composer_from(form: forms.Form | None, agent: Agent) -> dict[str, Any]:
    """What the reply box shows: empty, or what the agent sent when it came back with an error."""
    if form is None or not form.is_bound:
        return {"body": "", "status": "", "follow_up_at": "", "macro": None, "cc": "", "bcc": ""}
    data = form.data
    macro = None
    if (macro_id := str(data.get("macro", ""))).isdigit():
        try:
            macro = macros.macro_get_for_agent(agent=agent, macro_id=int(macro_id))
        except NotFound:
            macro = None
    return {
        "body": data.get("body", ""),
        "status": data.get("status", ""),
        "follow_up_at": data.get("follow_up_at", ""),
        "macro": macro,
        "cc": data.get("cc", ""),
        "bcc": data.get("bcc", ""),
    }


@login_required
@require_GET
def case_macro(request: HttpRequest, reference: str) -> HttpResponse:
    """The reply box with the macro the agent picked (by its name, as the list offers it): its text filled in for
    the case after what the agent had typed, its status and follow-up chosen, what it also does shown."""
    case = _get_case(request, reference)
    agent = _agent(request)
    typed = request.GET.get("body", "")[: macros.MAX_BODY].strip()
    composer: dict[str, Any] = {"body": typed, "status": "", "follow_up_at": "", "macro": None}
    try:
        access.require(agent, access.Perm.CASE_WORK)
    except PermissionDenied as exc:
        return render(request, "403.html", {"reason": exc.message}, status=403)
    error, status = None, 200
    try:
        macro = macros.macro_find_for_agent(
            agent=agent, name=request.GET.get("macro_name", "")[:100], language=case.language or None
        )
        text = macros.macro_text(macro=macro, case=case, agent=agent)
    except DomainError as exc:
        error, status = exc.message, 422
    else:
        follow_up = macros.macro_follow_up_at(macro=macro, case=case, now=clock.now())
        composer = {
            "body": f"{typed}\n\n{text}" if typed else text,
            "status": macro.set_status,
            "follow_up_at": timezone.localtime(follow_up).strftime("%Y-%m-%dT%H:%M") if follow_up else "",
            "macro": macro,
        }
    if not is_htmx(request):  # without JavaScript: the case page with the reply box filled in
        context = _case_context(request, case, composer=composer, macro_error=error)
        return render(request, "cases/case_detail.html", context, status=status)
    context = {
        "case": case,
        "reply_form": ReplyForm(),
        "macros": _macro_names(agent, case),
        "composer": composer,
        "macro_error": error,
        "last_message_id": request.GET.get("seen", "")[:20],  # what the page showed, not what is there now
    }
    return render(request, "cases/partials/_composer.html", context, status=status)


@login_required
@require_GET
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = _get_case(request, reference)
    template = "cases/partials/_case_body.html" if is_htmx(request) else "cases/case_detail.html"
    return render(request, template, _case_context(request, case))


def _form_error(form: forms.Form) -> ValidationFailed:
    field, errors = next(iter(form.errors.items()))
    return ValidationFailed(f"{errors[0]}", field=None if field == "__all__" else field)


def _act(
    request: HttpRequest,
    reference: str,
    form_class: type[forms.Form],
    perform: Callable[[Case, Any], str],
    *,
    form_key: str,
) -> HttpResponse:
    """Run one action on a case and answer with the refreshed case (HTMX) or a redirect.

    On an error nothing was changed; the page comes back with the message and
    with what the agent typed still in the form.
    """
    case = _get_case(request, reference)
    form = form_class(request.POST, request.FILES)
    try:
        access.require(_agent(request), access.Perm.CASE_WORK)
        if not form.is_valid():
            raise _form_error(form)
        done = perform(case, form)
    except DomainError as exc:
        context = _case_context(request, case, **{form_key: form, "action_error": exc, "error_form": form_key})
        template = "cases/partials/_case_body.html" if is_htmx(request) else "cases/case_detail.html"
        return render(request, template, context, status=403 if exc.status == 403 else 422)
    try:
        case = _get_case(request, reference)
    except Http404:
        # The agent handed the case to a team they are not in: back to the inbox.
        messages.info(request, _("%(ref)s moved out of your view.") % {"ref": reference})
        url = reverse("cases:inbox")
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    if is_htmx(request):
        return render(request, "cases/partials/_case_body.html", _case_context(request, case, flash=done))
    messages.success(request, done)
    return redirect("cases:detail", reference=case.reference)


def _uploads(request: HttpRequest) -> list[AttachmentInput]:
    return [
        AttachmentInput(filename=f.name or "attachment", content_type=f.content_type or "", content=f.read())
        for f in request.FILES.getlist("attachments")
    ]


@login_required
@require_POST
def case_reply(request: HttpRequest, reference: str) -> HttpResponse:
    sent: list[str] = []  # the next case to open after sending ("send and next"), once the reply went

    def perform(case: Case, form: ReplyForm) -> str:
        following = _next_in_view(request, case)
        done = _reply(case, form)
        sent.append(following)
        return done

    def _reply(case: Case, form: ReplyForm) -> str:
        seen = request.POST.get("seen", "")
        if seen.isdigit() and selectors.case_newer_message(case=case, seen=int(seen), agent=_agent(request)):
            # the page comes back with the new message in the timeline and the reply kept; sending again sends
            raise Conflict(
                _(
                    "A new message came in on this case while you were writing (it is in the timeline now). "
                    "Read it, then send your reply again."
                ),
                field="body",
            )
        follow_up_at = form.cleaned_data.get("follow_up_at")
        if macro_id := form.cleaned_data.get("macro"):
            agent = _agent(request)
            macros.macro_reply(
                case=case,
                agent=agent,
                macro=macros.macro_get_for_agent(agent=agent, macro_id=macro_id),
                body=form.cleaned_data["body"],
                status=form.cleaned_data["status"] or None,
                attachments=_uploads(request),
                follow_up_at=follow_up_at,
                follow_up_text=follow_up_sentence(case=case, when=follow_up_at) if follow_up_at else "",
                add_tags=form.cleaned_data["macro_tags"],
                move_team=form.cleaned_data["macro_team"],
                cc=[form.cleaned_data["cc"]],
                bcc=[form.cleaned_data["bcc"]],
            )
            return _("Reply sent.")
        services.case_reply(
            case=case,
            author=_agent(request),
            body=form.cleaned_data["body"],
            status=form.cleaned_data["status"] or None,
            attachments=_uploads(request),
            follow_up_at=follow_up_at,
            follow_up_text=follow_up_sentence(case=case, when=follow_up_at) if follow_up_at else "",
            cc=[form.cleaned_data["cc"]],
            bcc=[form.cleaned_data["bcc"]],
        )
        return _("Reply sent.")

    response = _act(request, reference, ReplyForm, perform, form_key="reply_form")
    if sent and sent[0] and response.status_code in (200, 302):
        messages.success(
            request, _("Reply sent on %(reference)s. This is the next case in your view.") % {"reference": reference}
        )
        url = reverse("cases:detail", args=[sent[0]])
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    return response


def _next_in_view(request: HttpRequest, case: Case) -> str:
    """Send and next (an agent's setting) on the case's own page: the case after this one in the inbox view the
    agent last opened, as the list stood before the reply ("" when the setting is off, the reply comes from the
    inbox's own pane, which opens the next row itself, or the view has no other case)."""
    agent = _agent(request)
    current = request.headers.get("HX-Current-URL", "")
    if not agent.send_and_next or urlsplit(current).path == reverse("cases:inbox"):
        return ""
    query = QueryDict(request.COOKIES.get(INBOX_QUERY, "")[:MAX_VIEW_QUERY])
    try:
        page = selectors.case_list_for_agent(agent=agent, filters=filters_from(query), cursor=None, limit=50)
    except ValidationFailed:
        return ""
    refs = [c.reference for c in page.items]
    after = refs[refs.index(case.reference) + 1 :] if case.reference in refs else refs
    return next((r for r in after if r != case.reference), "")


@login_required
@require_POST
def case_promise(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(case: Case, form: PromiseForm) -> str:
        services.case_promise_make(
            case=case,
            author=_agent(request),
            due_at=form.cleaned_data["due_at"],
            customer_text=form.cleaned_data["customer_text"],
        )
        return _("Promise made.")

    return _act(request, reference, PromiseForm, perform, form_key="promise_form")


@login_required
@require_POST
def case_note(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(case: Case, form: NoteForm) -> str:
        services.case_note_add(case=case, author=_agent(request), body=form.cleaned_data["body"])
        return _("Note added.")

    return _act(request, reference, NoteForm, perform, form_key="note_form")


@login_required
@require_GET
@never_cache
def case_mention_candidates(request: HttpRequest, reference: str) -> HttpResponse:
    """Whom the note box offers after "@" (JSON: handle, label, kind): only colleagues who may see the case."""
    case = _get_case(request, reference)
    agent = _agent(request)
    try:
        access.require(agent, access.Perm.CASE_WORK)
    except PermissionDenied as exc:
        return JsonResponse({"detail": exc.message}, status=403)
    found = mentions.mention_candidates(case=case, query=request.GET.get("q", ""), author=agent)
    return JsonResponse({"candidates": found})


@login_required
@require_GET
@never_cache
def case_kb_pick(request: HttpRequest, reference: str) -> HttpResponse:
    """Knowledge-base answers for the reply box, in the case's language where they have it: each with its link
    (public articles only: an internal one is for the agent to read, never to send) and its text."""
    case = _get_case(request, reference)
    query = request.GET.get("q", "")
    context: dict[str, Any] = {"case": case, "query": query, "hits": [], "message": ""}
    if query.strip():
        try:
            found = kb_search(query=query, language=case.language or settings.LANGUAGE_CODE, agent=True, limit=6)
        except DomainError as exc:
            context["message"] = exc.message
        else:
            context["message"] = found.message
            context["hits"] = kb_queries.reply_box_hits(found.hits, base_url=settings.LOFTE_BASE_URL)
    return render_page_or_partial(
        request, page="cases/kb_pick.html", partial="cases/partials/_kb_results.html", context=context
    )


@login_required
@require_POST
def case_status(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(case: Case, form: StatusForm) -> str:
        services.case_transition(case=case, actor=_agent(request), status=form.cleaned_data["status"])
        return _("Status changed to %(status)s.") % {"status": case.get_status_display()}

    return _act(request, reference, StatusForm, perform, form_key="status_form")


@login_required
@require_POST
def case_assign(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(case: Case, form: AssignForm) -> str:
        raw = form.cleaned_data["assignee"].strip()
        agent = _agent(request)
        if raw == "me":
            assignee: Agent | None = agent
        elif raw:
            if not raw.isdigit():
                raise ValidationFailed(_("Choose an agent."), field="assignee")
            assignee = selectors.assignee_get(agent_id=int(raw))
        else:
            assignee = None
        services.case_assign(case=case, actor=agent, assignee=assignee)
        if assignee is None:
            return _("The case is unassigned.")
        return _("Assigned to %(name)s.") % {"name": assignee.display_name}

    return _act(request, reference, AssignForm, perform, form_key="assign_form")


@login_required
@require_POST
def case_properties(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(case: Case, form: PropertiesForm) -> str:
        data = form.cleaned_data
        services.case_update(
            case=case,
            actor=_agent(request),
            priority=data["priority"],
            team=team_get(team_id=data["team"]) if data["team"] else None,
            case_type=selectors.case_type_get_active(case_type_id=data["case_type"]) if data["case_type"] else None,
            tags=form.tag_list(),  # type: ignore[attr-defined]
        )
        return _("Case updated.")

    return _act(request, reference, PropertiesForm, perform, form_key="properties_form")


@login_required
@require_POST
def case_reply_preview(request: HttpRequest, reference: str) -> HttpResponse:
    """The reply as the customer's email will show it (its Markdown as HTML, sanitised)."""
    _get_case(request, reference)
    html = markdown_html(request.POST.get("body", "")[:20000])
    empty = '<p class="muted small">' + str(_("Nothing to preview yet.")) + "</p>"
    return HttpResponse(html or empty)


@login_required
@require_POST
def case_forward(request: HttpRequest, reference: str) -> HttpResponse:
    """Send the conversation to an outside address (a supplier); their answer comes back onto the case."""

    def perform(case: Case, form: ForwardForm) -> str:
        data = form.cleaned_data
        services.case_forward(case=case, author=_agent(request), to=data["to"], note=data["note"], cc=[data["cc"]])
        return _("The case is forwarded to %(to)s.") % {"to": data["to"].strip()}

    return _act(request, reference, ForwardForm, perform, form_key="forward_form")


@login_required
@require_POST
def case_merge(request: HttpRequest, reference: str) -> HttpResponse:
    """Merge this case into another of the same customer (lofte.cases.merge); this one is closed with a link."""

    def perform(case: Case, form: MergeForm) -> str:
        into, _merged = merge.cases_merge(
            agent=_agent(request), target=form.cleaned_data["into"], sources=[case.reference]
        )
        return _("Merged into %(reference)s.") % {"reference": into.reference}

    return _act(request, reference, MergeForm, perform, form_key="merge_form")


@login_required
@require_POST
def case_split(request: HttpRequest, reference: str) -> HttpResponse:
    """Move one of the customer's messages out of this case into a new case."""

    def perform(case: Case, form: SplitForm) -> str:
        new = merge.case_split(agent=_agent(request), case=case, message_id=form.cleaned_data["message"])
        return _("The message is now case %(reference)s.") % {"reference": new.reference}

    return _act(request, reference, SplitForm, perform, form_key="split_form")


@login_required
@require_POST
def case_link(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(case: Case, form: LinkForm) -> str:
        link = merge.case_link(agent=_agent(request), case=case, other=form.cleaned_data["reference"])
        return _("Linked to %(reference)s.") % {"reference": link.to_case.reference}

    return _act(request, reference, LinkForm, perform, form_key="link_form")


@login_required
@require_POST
def case_unlink(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(case: Case, form: LinkForm) -> str:
        merge.case_unlink(agent=_agent(request), case=case, other=form.cleaned_data["reference"])
        return _("The link to %(reference)s is removed.") % {
            "reference": form.cleaned_data["reference"].strip().upper()
        }

    return _act(request, reference, LinkForm, perform, form_key="link_form")


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    """Open a case on a customer's behalf; the customer is found by email or phone, or created."""
    agent = _agent(request)
    error: DomainError | None = None
    if request.method == "POST":
        form = NewCaseForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                access.require(agent, access.Perm.CASE_WORK)
                given = [
                    identifier(kind, data[kind], field=kind)
                    for kind in (IdentityKind.EMAIL, IdentityKind.PHONE)
                    if data[kind]
                ]
                case = intake_receive(
                    contact=Contact(
                        channel=data["channel"],
                        body=data["body"],
                        identifiers=given,
                        name=data["name"],
                        subject=data["subject"],
                        sender=data["email"] or data["phone"],
                        case_type=selectors.case_type_get_active(case_type_id=data["case_type"])
                        if data["case_type"]
                        else None,
                        team=team_get(team_id=data["team"]) if data["team"] else None,
                        assignee=agent if data["assign_to_me"] else None,
                        actor=agent,
                    )
                ).case
            except DomainError as exc:
                error = exc
            else:
                messages.success(request, _("Case %(ref)s created.") % {"ref": case.reference})
                if not access.case_visible(agent, team_id=case.team_id, assignee_id=case.assignee_id):
                    # filed for a team the agent is not in: its page would be a 404
                    return redirect("cases:inbox")
                return redirect("cases:detail", reference=case.reference)
    else:
        form = NewCaseForm(initial={"channel": Channel.PHONE, "assign_to_me": True})
    context = {"form": form, "error": error, "teams": list(team_list()), "case_types": selectors.case_type_list()}
    status = 200 if request.method != "POST" else 403 if isinstance(error, PermissionDenied) else 422
    return render(request, "cases/case_new.html", context, status=status)


@never_cache
@login_required
@require_GET
def case_attachment(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponseBase:
    """A file from the case's timeline, never sniffed. As a download; or, asked for `?inline=1`, shown in the
    browser when it is an image or a PDF by its first bytes as well as by its stated type (a sender states any
    type: HTML called a PNG is still a download)."""
    try:
        found = selectors.case_attachment_get(agent=_agent(request), reference=reference, attachment_id=attachment_id)
        handle = found.file.open("rb")
    except (NotFound, FileNotFoundError) as exc:
        raise Http404(_("Not found.")) from exc
    content_type = (found.content_type or "").lower()
    inline = request.GET.get("inline") == "1" and previewable(content_type, handle.read(16))
    handle.seek(0)
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=found.filename,
        content_type=content_type if inline else found.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return csp_preview(response) if inline and content_type == "application/pdf" else csp_download(response)


# --- macros ------------------------------------------------------------------------------------

SCOPE_LABELS = {
    "personal": gettext_lazy("Only me"),
    "team": gettext_lazy("A team"),
    "everyone": gettext_lazy("Every agent"),
}


@login_required
@require_GET
def macro_list(request: HttpRequest) -> HttpResponse:
    """The macros the agent may use, with how often each was used, and which of them they may change."""
    agent = _agent(request)
    q = request.GET.get("q", "")[:100]
    rows = list(macros.macro_list_for_agent(agent=agent, q=q)[:501])
    context = {
        "rows": [{"macro": m, "can_change": macros.macro_can_change(agent, m)} for m in rows[:500]],
        "more": len(rows) > 500,
        "q": q,
        "can_work": access.can(agent, access.Perm.CASE_WORK),
        "scope_labels": SCOPE_LABELS,
    }
    return render(request, "cases/macro_list.html", context)


def _macro_form(agent: Agent, data: QueryDict | None = None, initial: dict[str, Any] | None = None) -> MacroForm:
    scopes = [("personal", SCOPE_LABELS["personal"])]
    teams = [(t.pk, t.name) for t in access.managed_teams(agent)]
    if teams:
        scopes.append(("team", SCOPE_LABELS["team"]))
    if access.is_admin(agent):
        scopes.append(("everyone", SCOPE_LABELS["everyone"]))
    all_teams = [(t.pk, t.name) for t in team_list()]
    return MacroForm(data, initial=initial, scopes=scopes, teams=teams, all_teams=all_teams)


def _macro_input(agent: Agent, form: MacroForm) -> macros.MacroInput:
    data = form.cleaned_data
    return macros.MacroInput(
        name=data["name"],
        body=data["body"],
        language=data["language"] or "",
        scope=data["scope"],
        team=team_get(team_id=data["team"]) if data["scope"] == "team" and data["team"] else None,
        set_status=data["set_status"] or "",
        add_tags=data["add_tags"] or "",
        set_team=team_get(team_id=data["set_team"]) if data["set_team"] else None,
        follow_up_hours=data["follow_up_hours"],
    )


@login_required
@require_http_methods(["GET", "POST"])
def macro_edit(request: HttpRequest, macro_id: int | None = None) -> HttpResponse:
    """A new macro, or one the agent may change; a preview of its text filled in with sample values."""
    agent = _agent(request)
    macro = None
    if macro_id is not None:
        try:
            macro = macros.macro_get_for_agent(agent=agent, macro_id=macro_id)
        except NotFound as exc:
            raise Http404(exc.message) from exc
    try:
        if macro is not None:
            macros.macro_require_change(agent, macro)
        else:
            access.require(agent, access.Perm.CASE_WORK)
    except PermissionDenied as exc:
        return render(request, "403.html", {"reason": exc.message}, status=403)
    status = 200
    preview = None
    if request.method == "POST":
        form = _macro_form(agent, request.POST)
        if form.is_valid():
            try:
                data = _macro_input(agent, form)
                if macro is None:
                    macro = macros.macro_create(agent=agent, data=data)
                else:
                    macro = macros.macro_update(agent=agent, macro=macro, data=data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The macro %(name)s is saved.") % {"name": macro.name})
                return redirect("cases:macros")
        status = 422
    else:
        initial: dict[str, Any] = {"scope": "personal"}
        if macro is not None:
            initial = {
                "name": macro.name,
                "body": macro.body,
                "language": macro.language,
                "scope": macro.scope,
                "team": macro.team_id,
                "set_status": macro.set_status,
                "add_tags": macro.add_tags,
                "set_team": macro.set_team_id,
                "follow_up_hours": macro.follow_up_hours,
            }
            preview = macros.macro_preview(body=macro.body, language=macro.language, agent=agent)
        form = _macro_form(agent, initial=initial)
    context = {"form": form, "macro": macro, "preview": preview, "placeholders": macros.PLACEHOLDERS}
    return render(request, "cases/macro_edit.html", context, status=status)


@login_required
@require_POST
def macro_delete(request: HttpRequest, macro_id: int) -> HttpResponse:
    agent = _agent(request)
    return _delete(
        request,
        lambda: macros.macro_get_for_agent(agent=agent, macro_id=macro_id),
        lambda macro: macros.macro_delete(agent=agent, macro=macro),
        _("The macro %(name)s is deleted."),
        "cases:macros",
    )
