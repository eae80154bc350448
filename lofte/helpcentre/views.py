"""The public help centre: home, categories, articles, search, the sitemap and the files articles show.

Every page under /help/<lang>/ is in that language (its UI strings too); an unknown language is a 404. What a
visitor may see is decided in lofte.helpcentre.selectors: public articles with a published translation only.
A missing, internal or unpublished article is the same 404, and only a page actually shown counts a view.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lofte.core.errors import ValidationFailed
from lofte.core.htmx import is_htmx
from lofte.core.language import language_name
from lofte.core.markdown import markdown_html
from lofte.core.ratelimit import client_key, ratelimit_hit
from lofte.core.validation import language_codes
from lofte.core.views import page_not_found
from lofte.helpcentre import selectors
from lofte.kb import services
from lofte.kb.files import file_response, markdown_with_files
from lofte.kb.models import ArticleFile, ArticleTranslation, Channel
from lofte.kb.search import MAX_QUERY, kb_search
from lofte.kb.trail import trail_keep, trail_of

WEAKER = 3  # results shown under "may be related" when none answers the question
SEARCH_WINDOW = timedelta(hours=1)
VOTE_LIMIT = 30
VOTE_WINDOW = timedelta(hours=1)

View = Callable[..., HttpResponse]


def in_language(view: View) -> View:
    """Answer 404 for a language the site does not speak; render the page, its UI strings too, in it."""

    @wraps(view)
    def wrapper(request: HttpRequest, lang: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if lang not in language_codes():
            raise Http404
        with translation.override(lang):
            try:
                response = view(request, lang, *args, **kwargs)
            except Http404 as missing:  # the not-found page in the help centre's language too
                response = page_not_found(request, missing)
        response.headers["Content-Language"] = lang
        return response

    return wrapper


def in_language_note(code: str, lang: str) -> str:
    """ "In English" for a translation in `code` listed on a page in `lang`; "" when they are the same."""
    if code == lang:
        return ""
    return _("In %(language)s") % {"language": language_name(code)}


def _entries(entries: list[selectors.Entry], lang: str) -> list[dict[str, Any]]:
    return [{"t": e.translation, "note": in_language_note(e.translation.language, lang)} for e in entries]


def _languages(current: str) -> list[dict[str, Any]]:
    """The header's links to the help centre's home in each language."""
    return [
        {
            "code": code,
            "name": translation.get_language_info(code)["name_local"],
            "url": reverse("helpcentre:home", args=[code]),
            "current": code == current,
        }
        for code in language_codes()
    ]


def _onward(lang: str, *, translation_id: int | None = None, query: str = "") -> dict[str, str]:
    """The "Still need help?" links: the contact form (told the article and the search) and a call back."""
    params: dict[str, Any] = {"lang": lang}
    if translation_id is not None:
        params["article"] = translation_id
    if query:
        params["q"] = query[:200]
    return {
        "write": f"{reverse('webform:contact')}?{urlencode(params)}",
        "call": f"{reverse('callbacks:request')}?{urlencode({'lang': lang})}",
    }


def _context(lang: str, **extra: Any) -> dict[str, Any]:
    return {"lang": lang, "languages": _languages(lang), **extra}


# --- pages ---------------------------------------------------------------------------------------------------


@require_GET
def pick_language(request: HttpRequest) -> HttpResponse:
    """/help/: to the help centre in the reader's language (the browser's, else the site's default)."""
    wanted = translation.get_language_from_request(request)
    languages = language_codes()
    lang = wanted if wanted in languages else settings.LANGUAGE_CODE
    return redirect("helpcentre:home", lang)


@require_GET
@in_language
def home(request: HttpRequest, lang: str) -> HttpResponse:
    context = _context(lang, categories=selectors.categories_for(lang), most_read=selectors.most_read(lang))
    return render(request, "helpcentre/home.html", context)


@require_GET
@in_language
def category(request: HttpRequest, lang: str, category: str) -> HttpResponse:
    page = selectors.category_page(category, lang)
    if page is None:
        raise Http404
    sections = [{"item": s, "entries": _entries(s.entries, lang)} for s in page.item.sections if s.entries]
    return render(request, "helpcentre/category.html", _context(lang, item=page.item, sections=sections))


def _body_html(text: str, files: dict[str, ArticleFile]) -> str:
    """The article's HTML: each `file:NAME` reference shows or links the article's file NAME; an unknown name is
    its text."""
    return markdown_html(
        markdown_with_files(text, files, lambda found: reverse("helpcentre:file", args=[found.pk, found.name]))
    )


def _article_url(t: ArticleTranslation) -> str:
    return reverse("helpcentre:article", args=[t.language, t.slug])


@require_GET
@in_language
def article(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    found = selectors.article_lookup(lang, slug)
    if found.redirect is not None:
        target = _article_url(found.redirect)
        if found.moved:  # an old slug: the address moved for good
            return HttpResponsePermanentRedirect(target)
        return redirect(target)  # the article in the reader's language, under its own slug
    shown = found.translation
    if shown is None:
        raise Http404
    extras = selectors.article_extras(shown, lang)
    section = shown.article.section
    category = section.category
    x_default = next((s for s in extras.siblings if s.language == shown.article.fallback_language), shown)
    context = _context(
        lang,
        translation=shown,
        fallback=found.fallback,
        shown_language_name=language_name(shown.language),
        page_language_name=language_name(lang),
        body=_body_html(shown.body, extras.files),
        category=category,
        category_name=services.category_name(category, lang),
        section=section,
        section_name=services.category_name(section, lang),
        related=_entries(extras.related, lang),
        others=[
            {"t": s, "name": translation.get_language_info(s.language)["name_local"], "url": _article_url(s)}
            for s in extras.siblings
            if s.pk != shown.pk
        ],
        canonical=request.build_absolute_uri(_article_url(shown)),
        alternates=[
            {"hreflang": s.language, "href": request.build_absolute_uri(_article_url(s))} for s in extras.siblings
        ],
        x_default=request.build_absolute_uri(_article_url(x_default)),
        vote_url=reverse("helpcentre:vote", args=[lang, slug]),
        voted=request.GET.get("voted") == "1",
        onward=_onward(lang, translation_id=shown.pk),
    )
    response = render(request, "helpcentre/article.html", context)
    services.article_viewed(translation=shown)
    trail_keep(response, trail_of(request).read(shown.pk), secure=request.is_secure())
    return response


# --- did this help? ------------------------------------------------------------------------------------------


@require_POST
@in_language
def vote(request: HttpRequest, lang: str, slug: str) -> HttpResponse:
    found = selectors.article_lookup(lang, slug)
    shown = found.translation
    if shown is None:
        raise Http404
    back = reverse("helpcentre:article", args=[lang, slug])
    context = _context(lang, translation=shown, vote_url=reverse("helpcentre:vote", args=[lang, slug]), back=back)
    limit = ratelimit_hit(
        client_key(request.META.get("REMOTE_ADDR", "")) + ":kbvote", limit=VOTE_LIMIT, window=VOTE_WINDOW
    )
    if not limit.allowed:
        context["error"] = _("You have sent many answers in a short time. Please wait a while and try again later.")
        response = _vote_answer(request, context, status=429)
        response.headers["Retry-After"] = str(limit.retry_after)
        return response
    helpful = request.POST.get("helpful", "")
    comment = request.POST.get("comment", "")
    context["comment"] = comment[: services.MAX_COMMENT]
    if helpful not in ("yes", "no"):
        context["error"] = _("Choose Yes or No to say whether the article helped.")
        context["error_field"] = "helpful"
        return _vote_answer(request, context, status=422)
    try:
        services.vote_record(
            article=shown.article,
            language=shown.language,
            channel=Channel.HELP_CENTRE,
            helpful=helpful == "yes",
            comment=comment,
        )
    except ValidationFailed as error:
        context["error"] = error.message
        context["error_field"] = error.field or "comment"
        return _vote_answer(request, context, status=422)
    if is_htmx(request):
        return render(request, "helpcentre/partials/_vote.html", {**context, "voted": True})
    return HttpResponseRedirect(f"{back}?voted=1#vote")


def _vote_answer(request: HttpRequest, context: dict[str, Any], *, status: int) -> HttpResponse:
    template = "helpcentre/partials/_vote.html" if is_htmx(request) else "helpcentre/vote_problem.html"
    return render(request, template, context, status=status)


# --- search --------------------------------------------------------------------------------------------------


@require_GET
@in_language
def search(request: HttpRequest, lang: str) -> HttpResponse:
    raw = request.GET.get("q", "")
    query = " ".join(raw.split())
    context = _context(lang, query=query[:MAX_QUERY], searched=False, hits=[], good=False, message="", error="")
    status = 200
    result = None
    limit = None
    if query:
        limit = ratelimit_hit(
            client_key(request.META.get("REMOTE_ADDR", "")) + ":kbsearch",
            limit=settings.LOFTE_HELP_SEARCHES_PER_IP,
            window=SEARCH_WINDOW,
        )
    if limit is not None and not limit.allowed:
        context["error"] = _("You have searched many times in a short time. Please wait a while and try again.")
        status = 429
    elif query:
        try:
            result = kb_search(query=query, language=lang, agent=False, limit=20)
        except ValidationFailed as error:
            context["error"] = error.message
            status = 400
    if result is not None:
        shown = [h for h in result.hits if h.good] if result.good else result.hits[:WEAKER]
        hits = [{"hit": h, "note": in_language_note(h.language, lang) if h.fallback else ""} for h in shown]
        context.update(
            searched=True,
            hits=hits,
            good=result.good,
            message=result.message,
        )
        context["onward"] = _onward(lang, query=query)
        if not result.message:
            services.search_logged(
                query=query, language=lang, channel=Channel.HELP_CENTRE, found=len(shown), good=result.good
            )
    response = render(request, "helpcentre/search.html", context, status=status)
    if status == 429 and limit is not None:
        response.headers["Retry-After"] = str(limit.retry_after)
    if result is not None and not result.message:
        trail_keep(response, trail_of(request).searched(query), secure=request.is_secure())
    return response


# --- the sitemap and files -----------------------------------------------------------------------------------


@require_GET
def sitemap(request: HttpRequest) -> HttpResponse:
    rows, category_slugs = selectors.sitemap_rows()
    by_article: dict[int, list[selectors.SitemapRow]] = {}
    for row in rows:
        by_article.setdefault(row.article_id, []).append(row)

    def absolute(name: str, *args: Any) -> str:
        return request.build_absolute_uri(reverse(name, args=args))

    urls: list[dict[str, Any]] = []
    for lang in language_codes():
        urls.append({"loc": absolute("helpcentre:home", lang), "alternates": []})
        urls.extend({"loc": absolute("helpcentre:category", lang, s), "alternates": []} for s in category_slugs)
    for siblings in by_article.values():
        links = [{"hreflang": s.language, "href": absolute("helpcentre:article", s.language, s.slug)} for s in siblings]
        for row, link in zip(siblings, links, strict=True):
            urls.append({"loc": link["href"], "lastmod": row.updated_at, "alternates": links})
    return render(request, "helpcentre/sitemap.xml", {"urls": urls}, content_type="application/xml")


@require_GET
def article_file(request: HttpRequest, file_id: int, name: str) -> FileResponse:
    found = selectors.article_file(file_id, name)
    if found is None:
        raise Http404
    return file_response(found)
