"""The agents' knowledge-base pages: the article list, writing and translating, settings, history with diffs, the
review queue, categories and sections, the reports, and the articles' files.

Every signed-in agent reads every article (internal ones too); writing needs Perm.KB_WRITE, reviewing and the
categories Perm.KB_PUBLISH (the decorators answer 403 with the reason before anything is looked up). Whether an
agent may publish in a category without a review is the services' to say (services.may_publish,
revision_publish). Thin: each write is one service call; a ValidationFailed goes beside the field it names.
"""

from __future__ import annotations

import difflib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lofte.accounts import access
from lofte.accounts.decorators import forbidden, requires
from lofte.accounts.models import Agent
from lofte.core.errors import PermissionDenied, ValidationFailed
from lofte.core.htmx import is_htmx, render_page_or_partial
from lofte.core.markdown import markdown_html
from lofte.core.validation import check_language
from lofte.kb import selectors, services
from lofte.kb.files import (
    article_file_add,
    article_file_delete,
    file_response,
    markdown_file_ref,
    markdown_with_files,
)
from lofte.kb.forms import (
    ArticleForm,
    CategoryForm,
    EditForm,
    ReturnForm,
    SectionForm,
    SettingsForm,
    TranslationForm,
)
from lofte.kb.models import Article, ArticleFile, RevisionState, Visibility
from lofte.kb.queries import public_url

kb_reader = login_required
kb_writer = requires(access.Perm.KB_WRITE)
kb_publisher = requires(access.Perm.KB_PUBLISH)

ACTIONS = ("draft", "publish", "review")


def _agent(request: HttpRequest) -> Agent:
    return request.user  # type: ignore[return-value]


def _lang() -> str:
    return (get_language() or "en").split("-")[0]


INVALID = 422  # a form shown again with its errors, as every form of Lofte answers (HTMX swaps it in)


def apply_error(form: forms.Form, exc: ValidationFailed) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _action(request: HttpRequest) -> str:
    action = request.POST.get("action", "draft")
    return action if action in ACTIONS else "draft"


def _languages() -> dict[str, str]:
    return {code: str(name) for code, name in settings.LANGUAGES}


def _with_perms(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    agent = _agent(request)
    context["perms_kb"] = {
        "write": access.can(agent, access.Perm.KB_WRITE),
        "publish": access.can(agent, access.Perm.KB_PUBLISH),
    }
    if (translation := context.get("translation")) is not None:
        context["language_name"] = _languages().get(translation.language, translation.language)
    return context


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, template, _with_perms(request, context), status=status)


# --- the list -----------------------------------------------------------------------------------------------------


@kb_reader
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    get = request.GET
    category = get.get("category", "")
    language = get.get("language", "")
    state = get.get("state", "")
    visibility = get.get("visibility", "")
    filters = selectors.ArticleFilters(
        category=int(category) if category.isdigit() and len(category) < 10 else None,
        language=language if language in _languages() else "",
        state=state if state in selectors.STATES else "",
        visibility=visibility if visibility in Visibility.values else "",
        text=" ".join(get.get("q", "").split())[:200],
    )
    try:
        page = selectors.article_list(filters=filters, cursor=get.get("cursor") or None)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("kb:list")
    query = get.copy()
    query.pop("cursor", None)
    context = {
        "rows": selectors.article_rows(page, _lang()),
        "next_cursor": page.next_cursor,
        "query": query.urlencode(),
        "filters": filters,
        "categories": [(c.pk, services.category_name(c, _lang())) for c in selectors.categories_with_sections()],
        "languages": _languages().items(),
        "states": [
            (selectors.STATE_PUBLISHED, _("Published")),
            (selectors.STATE_DRAFT, _("Draft")),
            (selectors.STATE_REVIEW, _("Waiting for review")),
        ],
        "visibilities": Visibility.choices,
        "can_write": access.can(_agent(request), access.Perm.KB_WRITE),
        "can_publish": access.can(_agent(request), access.Perm.KB_PUBLISH),
    }
    return render_page_or_partial(
        request, page="kb/article_list.html", partial="kb/partials/_rows.html", context=_with_perms(request, context)
    )


# --- reading one translation ---------------------------------------------------------------------------------------


@kb_reader
@require_GET
def translation_view(request: HttpRequest, article_id: int, language: str) -> HttpResponse:
    translation = selectors.translation_get(article_id=article_id, language=language)
    article = translation.article
    newest = selectors.working_copy(translation)
    agent = _agent(request)
    others = list(article.translations.order_by("language"))
    files = selectors.files_by_name(article.pk)
    context = {
        "article": article,
        "translation": translation,
        "newest": newest,
        "live_html": _article_html(translation.body, files) if translation.is_published else "",
        "draft_html": _article_html(newest.body, files) if newest and newest.state != RevisionState.PUBLISHED else "",
        "others": others,
        "missing": [c for c in _languages() if c not in {t.language for t in others}],
        "can_write": access.can(agent, access.Perm.KB_WRITE),
        "public_url": public_url(translation.language, translation.slug)
        if article.visibility == Visibility.PUBLIC and translation.is_published
        else "",
        "languages": _languages(),
    }
    return _render(request, "kb/translation.html", context)


# --- writing ------------------------------------------------------------------------------------------------------


def _may_publish_any(agent: Agent, sections: list[Any]) -> dict[int, bool]:
    return {s.pk: services.may_publish(agent, s.category) for s in sections}


@kb_writer
@require_http_methods(["GET", "POST"])
def article_new(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    sections = selectors.sections_all()
    status = 200
    if request.method == "POST":
        form = ArticleForm(request.POST, sections=sections, language=_lang())
        if form.is_valid():
            data = form.cleaned_data
            section = form.sections[data["section"]]
            action = _action(request)
            try:
                translation = services.article_create(
                    actor=agent,
                    section=section,
                    language=data["language"],
                    title=data["title"],
                    body=data["body"],
                    slug=data["slug"],
                    visibility=data["visibility"],
                    publish=action == "publish",
                    review=action == "review",
                )
            except PermissionDenied as exc:
                return forbidden(request, exc)
            except ValidationFailed as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _saved_message(action))
                return redirect("kb:edit", article_id=translation.article_id, language=translation.language)
        status = INVALID
    else:
        initial = {"language": request.GET.get("language") or _lang()}
        if (wanted := request.GET.get("section", "")).isdigit():
            initial["section"] = wanted
        form = ArticleForm(initial=initial, sections=sections, language=_lang())
    allowed = _may_publish_any(agent, sections)
    context = {
        "form": form,
        "no_sections": not sections,
        "publish_everywhere": all(allowed.values()),
        "may_publish_some": any(allowed.values()),
        "reviewed_sections": [
            f"{services.category_name(s.category, _lang())} / {services.category_name(s, _lang())}"
            for s in sections
            if not allowed[s.pk]
        ],
    }
    return _render(request, "kb/article_new.html", context, status=status)


def _saved_message(action: str) -> str:
    if action == "publish":
        return _("Published.")
    if action == "review":
        return _("Sent for review: a team lead or an admin publishes it.")
    return _("Draft saved; what readers see has not changed.")


@kb_writer
@require_http_methods(["GET", "POST"])
def translation_edit(request: HttpRequest, article_id: int, language: str) -> HttpResponse:
    agent = _agent(request)
    translation = selectors.translation_get(article_id=article_id, language=language)
    newest = selectors.working_copy(translation)
    status = 200
    if request.method == "POST":
        form = EditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            action = _action(request)
            try:
                with transaction.atomic():
                    revision = services.translation_save(
                        actor=agent,
                        translation=translation,
                        title=data["title"],
                        body=data["body"],
                        slug=data["slug"],
                        note=data["note"],
                    )
                    if action == "publish":
                        services.revision_publish(actor=agent, revision=revision)
                    elif action == "review" and revision.state != RevisionState.SUBMITTED:
                        services.revision_submit(actor=agent, revision=revision)
            except PermissionDenied as exc:
                return forbidden(request, exc)
            except ValidationFailed as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _saved_message(action))
                return redirect("kb:edit", article_id=article_id, language=language)
        status = INVALID
    else:
        form = EditForm(
            initial={
                "title": newest.title if newest else translation.title,
                "body": newest.body if newest else translation.body,
                "slug": translation.slug,
            }
        )
    context = {
        "form": form,
        "translation": translation,
        "article": translation.article,
        "newest": newest,
        "may_publish": services.may_publish(agent, translation.article.section.category),
        "languages": _languages(),
        "public_url": public_url(translation.language, translation.slug),
        "files": selectors.article_files(translation.article),
    }
    return _render(request, "kb/translation_edit.html", context, status=status)


@kb_writer
@require_POST
def translation_unpublish(request: HttpRequest, article_id: int, language: str) -> HttpResponse:
    translation = selectors.translation_get(article_id=article_id, language=language)
    try:
        services.translation_unpublish(actor=_agent(request), translation=translation)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    messages.success(request, _("Unpublished: readers no longer find this translation."))
    return redirect("kb:edit", article_id=article_id, language=language)


@kb_writer
@require_http_methods(["GET", "POST"])
def translation_new(request: HttpRequest, article_id: int) -> HttpResponse:
    agent = _agent(request)
    article = selectors.article_get(article_id=article_id)
    source_language = request.GET.get("from") or article.fallback_language
    translations = {t.language: t for t in selectors.translations_annotated().filter(article=article)}
    language = request.POST.get("language") or request.GET.get("language", "")
    error = ""
    try:
        language = check_language(language, blank_ok=False)
    except ValidationFailed as exc:
        error = exc.message
    if not error and language in translations:
        error = _("The article has a %(language)s translation already; change that one instead.") % {
            "language": _languages()[language]
        }
    source = translations.get(source_language) or next(iter(translations.values()), None)
    source_revision = selectors.working_copy(source) if source else None
    status = 200
    form = TranslationForm(request.POST or None)
    if error:
        status = 422 if request.method == "POST" else 200
    elif request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            action = _action(request)
            try:
                services.translation_add(
                    actor=agent,
                    article=article,
                    language=language,
                    title=data["title"],
                    body=data["body"],
                    slug=data["slug"],
                    publish=action == "publish",
                    review=action == "review",
                )
            except PermissionDenied as exc:
                return forbidden(request, exc)
            except ValidationFailed as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _saved_message(action))
                return redirect("kb:edit", article_id=article.pk, language=language)
        status = INVALID
    context = {
        "form": form,
        "article": article,
        "language": language,
        "language_error": error,
        "source": source,
        "source_revision": source_revision,
        "missing": [(c, n) for c, n in _languages().items() if c not in translations],
        "languages": _languages(),
        "may_publish": services.may_publish(agent, article.section.category),
    }
    return _render(request, "kb/translation_new.html", context, status=status)


@kb_writer
@require_http_methods(["GET", "POST"])
def article_settings(request: HttpRequest, article_id: int) -> HttpResponse:
    agent = _agent(request)
    article = selectors.article_get(article_id=article_id)
    languages = list(article.translations.order_by("language").values_list("language", flat=True))
    kwargs = {
        "sections": selectors.sections_all(),
        "languages": languages,
        "related": selectors.related_choices(article=article),
        "language": _lang(),
    }
    status = 200
    if request.method == "POST":
        form = SettingsForm(request.POST, **kwargs)  # type: ignore[arg-type]
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.article_update(
                    actor=agent,
                    article=article,
                    section=form.sections[data["section"]],
                    visibility=data["visibility"],
                    fallback_language=data["fallback_language"],
                    related=list(Article.objects.filter(pk__in=data["related"])),
                )
            except PermissionDenied as exc:
                return forbidden(request, exc)
            except ValidationFailed as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _("The article's settings are saved."))
                return redirect("kb:settings", article_id=article.pk)
        status = INVALID
    else:
        form = SettingsForm(
            initial={
                "section": article.section_id,
                "visibility": article.visibility,
                "fallback_language": article.fallback_language,
                "related": list(article.related.values_list("pk", flat=True)),
            },
            **kwargs,  # type: ignore[arg-type]
        )
    return _render(request, "kb/article_settings.html", {"form": form, "article": article}, status=status)


@kb_writer
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The body rendered as readers will see it (sanitised), for the live preview beside the editor; with
    `article`, its files shown where the body names them."""
    body = request.POST.get("body", "")
    article = request.POST.get("article", "")
    files_of = selectors.files_by_name(int(article)) if article.isdigit() and len(article) < 12 else {}
    if len(body) > services.MAX_BODY:
        text = _("An article can be at most %(max)s characters long; this one is %(length)s.") % {
            "max": f"{services.MAX_BODY:,}",
            "length": f"{len(body):,}",
        }
        return _render(request, "kb/partials/_preview.html", {"error": text}, status=422)
    return _render(request, "kb/partials/_preview.html", {"html": _article_html(body, files_of)})


def _article_html(body: str, files: dict[str, ArticleFile]) -> str:
    """An article's Markdown as HTML, its files shown from the agents' own address (drafts' and internal ones')."""
    return markdown_html(markdown_with_files(body, files, lambda f: reverse("kb:file", args=[f.pk, f.name])))


# --- files --------------------------------------------------------------------------------------------------------


def _back(request: HttpRequest, default: str) -> str:
    """Where the form came from, when it is one of the knowledge base's own pages; else `default`."""
    back = request.POST.get("back", "")
    if back.startswith("/kb/") and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        return back
    return default


@kb_writer
@require_POST
def file_add(request: HttpRequest, article_id: int) -> HttpResponse:
    """Keep an uploaded image or PDF with the article; back to where the editor came from."""
    article = selectors.article_get(article_id=article_id)
    target = _back(request, reverse("kb:settings", args=[article.pk]))
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to add."))
        return redirect(target)
    try:
        kept = article_file_add(actor=_agent(request), article=article, upload=upload)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Added %(name)s: write %(ref)s where it belongs.") % {"name": kept.name, "ref": markdown_file_ref(kept)},
        )
    return redirect(target)


@kb_writer
@require_POST
def file_delete(request: HttpRequest, article_id: int, file_id: int) -> HttpResponse:
    found = selectors.article_file_get(article_id=article_id, file_id=file_id)
    target = _back(request, reverse("kb:settings", args=[article_id]))
    try:
        article_file_delete(actor=_agent(request), file=found)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    messages.success(request, _("Removed %(name)s.") % {"name": found.name})
    return redirect(target)


@kb_reader
@require_GET
def file(request: HttpRequest, file_id: int, name: str) -> HttpResponseBase:
    """An article's file for agents (internal articles' and drafts' too)."""
    return file_response(selectors.article_file_named(file_id=file_id, name=name))


# --- history ------------------------------------------------------------------------------------------------------


@kb_reader
@require_GET
def history(request: HttpRequest, article_id: int, language: str) -> HttpResponse:
    translation = selectors.translation_get(article_id=article_id, language=language)
    context = {
        "translation": translation,
        "article": translation.article,
        "revisions": selectors.revision_history(translation),
        "languages": _languages(),
    }
    return _render(request, "kb/history.html", context)


def diff_html(before: str, after: str) -> str:
    """A unified diff of two texts as HTML lines, every character of the texts escaped."""
    lines = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        kind = "hunk" if line.startswith("@@") else "add" if line[:1] == "+" else "del" if line[:1] == "-" else "same"
        lines.append(f'<span class="diff-{kind}">{escape(line)}</span>')
    return mark_safe("\n".join(lines))  # noqa: S308  every line is escaped above


@kb_reader
@require_GET
def revision_diff(request: HttpRequest, article_id: int, language: str, number: int) -> HttpResponse:
    translation = selectors.translation_get(article_id=article_id, language=language)
    revision, previous = selectors.revision_pair(translation, number)
    context = {
        "translation": translation,
        "article": translation.article,
        "revision": revision,
        "previous": previous,
        "title_changed": previous is not None and previous.title != revision.title,
        "diff": diff_html(previous.body if previous else "", revision.body),
        "languages": _languages(),
    }
    return _render(request, "kb/revision_diff.html", context)


# --- review -------------------------------------------------------------------------------------------------------


def _review_page(
    request: HttpRequest, *, status: int = 200, error_for: int | None = None, error: str = ""
) -> HttpResponse:
    try:
        page = selectors.review_queue(cursor=request.GET.get("cursor") or None)
    except ValidationFailed:
        page = selectors.review_queue(cursor=None)
    context = {
        "revisions": page.items,
        "next_cursor": page.next_cursor,
        "error_for": error_for,
        "error": error,
        "languages": _languages(),
    }
    return _render(request, "kb/review.html", context, status=status)


@kb_publisher
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    return _review_page(request)


@kb_publisher
@require_POST
def review_publish(request: HttpRequest, revision_id: int) -> HttpResponse:
    revision = selectors.revision_get(revision_id=revision_id)
    if revision.state != RevisionState.SUBMITTED:
        return _review_page(
            request,
            status=INVALID if is_htmx(request) else 409,
            error_for=revision.pk,
            error=_("This revision is no longer waiting for review."),
        )
    try:
        services.revision_publish(actor=_agent(request), revision=revision)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    messages.success(request, _("Published."))
    return redirect("kb:review")


@kb_publisher
@require_POST
def review_return(request: HttpRequest, revision_id: int) -> HttpResponse:
    revision = selectors.revision_get(revision_id=revision_id)
    form = ReturnForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.revision_return(actor=_agent(request), revision=revision, note=note)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    except ValidationFailed as exc:
        return _review_page(request, status=INVALID, error_for=revision.pk, error=exc.message)
    messages.success(request, _("Sent back to its author with your note."))
    return redirect("kb:review")


# --- categories and sections -----------------------------------------------------------------------------------------


@kb_reader
@require_GET
def category_list(request: HttpRequest) -> HttpResponse:
    language = _lang()
    categories = selectors.categories_with_sections()
    for c in categories:
        c.name = services.category_name(c, language)  # type: ignore[attr-defined]
        c.section_rows = [  # type: ignore[attr-defined]
            {"pk": s.pk, "slug": s.slug, "name": services.category_name(s, language)} for s in c.sections.all()
        ]
    context = {"categories": categories, "can_publish": access.can(_agent(request), access.Perm.KB_PUBLISH)}
    return _render(request, "kb/category_list.html", context)


def _category_form(request: HttpRequest, category_id: int | None) -> HttpResponse:
    category = selectors.category_get(category_id=category_id) if category_id else None
    status = 200
    if request.method == "POST":
        form = CategoryForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                category = services.category_save(
                    actor=_agent(request),
                    category=category,
                    slug=data["slug"],
                    names=form.names(),
                    descriptions=category.descriptions if category else None,
                    requires_review=data["requires_review"],
                    position=data["position"],
                )
            except PermissionDenied as exc:
                return forbidden(request, exc)
            except ValidationFailed as exc:
                apply_error(form, exc if exc.field != "names" else ValidationFailed(exc.message, field="name_en"))
            else:
                messages.success(request, _("The category is saved."))
                return redirect("kb:categories")
        status = INVALID
    else:
        form = CategoryForm(initial=CategoryForm.initial_of(category) if category else None)
    return _render(request, "kb/category_edit.html", {"form": form, "category": category}, status=status)


@kb_publisher
@require_http_methods(["GET", "POST"])
def category_new(request: HttpRequest) -> HttpResponse:
    return _category_form(request, None)


@kb_publisher
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, category_id: int) -> HttpResponse:
    return _category_form(request, category_id)


def _section_form(request: HttpRequest, *, category_id: int | None, section_id: int | None) -> HttpResponse:
    section = selectors.section_get(section_id=section_id) if section_id else None
    category = section.category if section else selectors.category_get(category_id=category_id or 0)
    status = 200
    if request.method == "POST":
        form = SectionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.section_save(
                    actor=_agent(request),
                    section=section,
                    category=category,
                    slug=data["slug"],
                    names=form.names(),
                    position=data["position"],
                )
            except PermissionDenied as exc:
                return forbidden(request, exc)
            except ValidationFailed as exc:
                apply_error(form, exc if exc.field != "names" else ValidationFailed(exc.message, field="name_en"))
            else:
                messages.success(request, _("The section is saved."))
                return redirect("kb:categories")
        status = INVALID
    else:
        form = SectionForm(initial=SectionForm.initial_of(section) if section else None)
    context = {
        "form": form,
        "section": section,
        "category": category,
        "category_label": services.category_name(category, _lang()),
    }
    return _render(request, "kb/section_edit.html", context, status=status)


@kb_publisher
@require_http_methods(["GET", "POST"])
def section_new(request: HttpRequest, category_id: int) -> HttpResponse:
    return _section_form(request, category_id=category_id, section_id=None)


@kb_publisher
@require_http_methods(["GET", "POST"])
def section_edit(request: HttpRequest, section_id: int) -> HttpResponse:
    return _section_form(request, category_id=None, section_id=section_id)


# --- reports ------------------------------------------------------------------------------------------------------


@kb_writer
@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    context = {
        "helpful": selectors.report_least_helpful(),
        "comments": selectors.latest_comments(),
        "searches": selectors.report_failed_searches(),
        "min_votes": selectors.MIN_VOTES,
        "cap": selectors.REPORT_CAP,
        "days": selectors.SEARCH_DAYS,
        "languages": _languages(),
    }
    return _render(request, "kb/reports.html", context)
