"""The public contact form at /contact, and its thanks page. No account; thin: parse, check, call a service, render.

Without JavaScript the form posts and answers a page (POST/redirect/GET to
the thanks page); with HTMX the same URL answers the form partial (errors
inline, status 422) or an HX-Redirect to the thanks page.

?embed=1 renders without the site's header, for a frame on a company's own
site: framing is allowed only from settings.LOFTE_CONTACT_FRAME_ANCESTORS
(Content-Security-Policy frame-ancestors, and no X-Frame-Options); without
that setting the embedded page refuses every frame like the rest of Lofte.
?lang=sv (da, nb, fi, en) chooses the language; without it the browser's.

Spam: a honeypot field (filled in: a normal-looking thanks and nothing
created), a signed time the form was shown (sent within
LOFTE_CONTACT_MIN_SECONDS: asked to send again), and per-hour limits per
client address (REMOTE_ADDR: a proxy in front must set it to the client's
address) and per email address or phone number (429 with when to try again).
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from lofte.core import clock
from lofte.core.csp import csp_frame_ancestors
from lofte.core.errors import DomainError
from lofte.core.htmx import is_htmx, render_page_or_partial
from lofte.core.ratelimit import RateResult
from lofte.kb.queries import public_url
from lofte.kb.search import kb_search
from lofte.kb.trail import trail_of
from lofte.webform import files, services, tokens
from lofte.webform.forms import ContactForm
from lofte.webform.selectors import public_case_types

logger = logging.getLogger(__name__)

FRAME_SOURCE = re.compile(r"^(https?://[A-Za-z0-9.\-*]+(:[0-9]+)?|'self')$")
KEPT_FIELDS = ("name", "email", "phone", "case_type", "subject", "message", "started")


@dataclass(frozen=True)
class Page:
    """How this request wants the page: embedded or not, in which language (and the query that keeps both)."""

    embed: bool
    language: str
    query: str


def _page(request: HttpRequest) -> Page:
    embed = request.GET.get("embed") == "1"
    chosen = ""
    if wanted := request.GET.get("lang", "")[:16]:
        try:
            chosen = translation.get_supported_language_variant(wanted)
        except LookupError:
            chosen = ""
    if chosen:
        translation.activate(chosen)
        request.LANGUAGE_CODE = chosen  # type: ignore[attr-defined]
    params = {k: v for k, v in (("embed", "1" if embed else ""), ("lang", chosen)) if v}
    return Page(embed=embed, language=translation.get_language() or settings.LANGUAGE_CODE, query=urlencode(params))


def _languages(request: HttpRequest, page: Page, *, same_page: bool = True) -> list[dict[str, Any]]:
    """Links to this page (or the form) in each language, keeping the rest of the query."""
    path = request.path if same_page else reverse("webform:contact")
    links = []
    for code, _name in settings.LANGUAGES:
        params = request.GET.copy() if same_page else QueryDict(page.query, mutable=True)
        params["lang"] = code
        links.append(
            {
                "code": code,
                "name": translation.get_language_info(code)["name_local"],
                "url": f"{path}?{params.urlencode()}",
                "current": code == page.language,
            }
        )
    return links


def _frame(response: HttpResponse, page: Page) -> HttpResponse:
    """Embedded pages may be framed by the configured sites only; every other page by no one.

    The site's Content-Security-Policy says frame-ancestors 'none' (and X-Frame-Options DENY); an embedded
    page keeps that policy with frame-ancestors replaced by the configured sources, or 'none' without any.
    """
    if not page.embed:
        return response
    ancestors = [a for a in settings.LOFTE_CONTACT_FRAME_ANCESTORS if FRAME_SOURCE.match(a)]
    csp_frame_ancestors(response, ancestors)
    if ancestors:
        # What @xframe_options_exempt does, here only when framing is configured (a CSP-less browser
        # would otherwise be told DENY, and CSP frame-ancestors overrides X-Frame-Options where both are known).
        response.xframe_options_exempt = True  # type: ignore[attr-defined]
    return response


def _privacy_text(language: str) -> str:
    text = settings.LOFTE_CONTACT_PRIVACY_TEXT
    if isinstance(text, dict):
        return str(text.get(language) or text.get(language.split("-")[0]) or text.get("en") or "")
    return str(text)


def _action(page: Page) -> str:
    url = reverse("webform:contact")
    return f"{url}?{page.query}" if page.query else url


def _render_form(
    request: HttpRequest,
    page: Page,
    form: ContactForm,
    *,
    notice: str = "",
    too_many: str = "",
    files_dropped: bool = False,
    status: int = 200,
) -> HttpResponse:
    form.suggest_from(f"{reverse('webform:suggestions')}?lang={page.language}")
    context = {
        "form": form,
        "page": page,
        "action": _action(page),
        "notice": notice,
        "too_many": too_many,
        "files_dropped": files_dropped,
        "privacy_text": _privacy_text(page.language),
        "languages": _languages(request, page),
    }
    return render_page_or_partial(
        request, page="webform/contact.html", partial="webform/partials/_form.html", context=context, status=status
    )


def _kept_form(post: QueryDict, case_types: list[Any], **changes: str) -> ContactForm:
    """The form showing what was typed, without judging it (no errors shown); files are never kept."""
    initial: dict[str, Any] = {key: post.get(key, "") for key in KEPT_FIELDS}
    initial.update(changes)
    return ContactForm(initial=initial, case_types=case_types)


def _too_many(request: HttpRequest, page: Page, case_types: list[Any], result: RateResult) -> HttpResponse:
    """429, with when to try again and the form still holding what was typed."""
    minutes = max(1, math.ceil(result.retry_after / 60))
    message = ngettext(
        "Too many requests: we cannot take more messages from you right now. Please try again in %(minutes)d minute.",
        "Too many requests: we cannot take more messages from you right now. Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    form = _kept_form(request.POST, case_types)
    dropped = bool(request.FILES.getlist("attachments"))
    response = _render_form(request, page, form, too_many=message, files_dropped=dropped, status=429)
    response["Retry-After"] = str(result.retry_after)
    return response


def _to_thanks(request: HttpRequest, page: Page, *, reference: str, address: str) -> HttpResponse:
    token = tokens.thanks_token(reference=reference, address=tokens.mask_address(address))
    query = urlencode({"k": token}) + (f"&{page.query}" if page.query else "")
    url = f"{reverse('webform:thanks', args=[reference])}?{query}"
    if is_htmx(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _same_origin(request: HttpRequest) -> bool:
    """The browser says this POST comes from a page of our own origin (the embedded form itself).

    In a frame on another site the CSRF cookie is a third-party cookie,
    which browsers hold back (SameSite=Lax) or block, so Django's CSRF check
    would refuse every embedded submission. There the form relies on the
    browser's own statement instead: Sec-Fetch-Site (or, from browsers
    without it, Origin) cannot be set by another site's page.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin")
    return bool(origin) and origin == f"{request.scheme}://{request.get_host()}"


def _limit_uploads(request: HttpRequest) -> None:
    """Stop keeping files beyond the limits while they arrive (before anything reads request.POST)."""
    handler = files.LimitedUploadHandler(
        request,
        per_file=settings.LOFTE_MAX_ATTACHMENT_BYTES,
        total=max(settings.LOFTE_MAX_ATTACHMENT_BYTES, settings.LOFTE_CONTACT_MAX_TOTAL_BYTES),
        max_files=settings.LOFTE_CONTACT_MAX_FILES,
    )
    with contextlib.suppress(AttributeError):  # already parsed: the form still checks every size
        request.upload_handlers.insert(0, handler)


def _fake_reference() -> str:
    return f"{settings.LOFTE_REFERENCE_PREFIX}-{clock.now().year}-{secrets.randbelow(10**6):06d}"


def _contact_post(request: HttpRequest, page: Page) -> HttpResponse:
    case_types = public_case_types(language=page.language)
    form = ContactForm(request.POST, request.FILES, case_types=case_types)
    ip_rate = services.contact_rate_ip(remote_addr=request.META.get("REMOTE_ADDR", ""))
    if not ip_rate.allowed:
        return _too_many(request, page, case_types, ip_rate)
    if form.is_spam:
        logger.info("contact form: honeypot filled in from %s; nothing created", request.META.get("REMOTE_ADDR"))
        address = request.POST.get("email", "") or request.POST.get("phone", "")
        return _to_thanks(request, page, reference=_fake_reference(), address=address[:254])
    if not form.is_valid():
        return _render_form(request, page, form, files_dropped=form.had_files, status=422)
    age = tokens.started_age(form.cleaned_data["started"])
    if age is None:
        fresh = _kept_form(request.POST, case_types, started=tokens.started_token())
        notice = _("The form was open for a long time. Please check what you wrote, then send it again.")
        return _render_form(request, page, fresh, notice=notice, files_dropped=form.had_files, status=422)
    if age < settings.LOFTE_CONTACT_MIN_SECONDS:
        kept = _kept_form(request.POST, case_types)
        notice = _("That was quick! Please take a moment to check what you wrote, then send again.")
        return _render_form(request, page, kept, notice=notice, files_dropped=form.had_files, status=422)
    trail = trail_of(request)
    submission = form.submission(language=page.language, read=tuple(trail.translations), searched=tuple(trail.searches))
    address_rate = services.contact_rate_address(address=submission.email or submission.phone)
    if not address_rate.allowed:
        return _too_many(request, page, case_types, address_rate)
    try:
        case = services.contact_submit(submission=submission)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _render_form(request, page, form, files_dropped=form.had_files, status=422)
    return _to_thanks(request, page, reference=case.reference, address=submission.email or submission.phone)


@csrf_exempt  # checked in the view, after the upload limits are in place (Django's CSRF check reads the upload)
@require_http_methods(["GET", "HEAD", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    page = _page(request)
    if request.method == "POST":
        _limit_uploads(request)
        if page.embed and _same_origin(request):
            response = _contact_post(request, page)
        else:
            response = csrf_protect(_contact_post)(request, page)
    else:
        initial: dict[str, Any] = {"started": tokens.started_token(), "kb_search": request.GET.get("q", "")[:100]}
        if (article := request.GET.get("article", "")).isdigit() and len(article) < 12:
            initial["kb_article"] = int(article)
        form = ContactForm(initial=initial, case_types=public_case_types(language=page.language))
        response = _render_form(request, page, form)
    add_never_cache_headers(response)  # the page holds a CSRF token and the time it was shown
    return _frame(response, page)


SUGGESTIONS = 3
SUGGESTION_TEXT = 300  # characters of subject and message searched


@require_GET
def suggestions(request: HttpRequest) -> HttpResponse:
    """Help-centre answers to what the customer is typing (the contact form asks as they type; the partial)."""
    page = _page(request)
    text = f"{request.GET.get('subject', '')[:200]} {request.GET.get('message', '')[:SUGGESTION_TEXT]}".strip()
    hits: list[dict[str, Any]] = []
    rate = services.contact_rate_suggestions(remote_addr=request.META.get("REMOTE_ADDR", ""))
    if len(text) >= 3 and rate.allowed:
        for hit in kb_search(query=text, language=page.language, limit=SUGGESTIONS).hits:
            url = public_url(hit.language, hit.slug)
            if hit.good and url:
                name = translation.get_language_info(hit.language)["name_translated"]
                hits.append(
                    {
                        "title": hit.title,
                        "snippet": hit.snippet,
                        "url": url,
                        "fallback": hit.fallback,
                        "language_name": name,
                    }
                )
    response = render(request, "webform/partials/_suggestions.html", {"hits": hits})
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def thanks(request: HttpRequest, reference: str) -> HttpResponse:
    """The case number and where the confirmation goes, for the person who just sent it (a signed, short-lived URL)."""
    page = _page(request)
    found = tokens.thanks_read(token=request.GET.get("k", ""), reference=reference)
    languages = _languages(request, page, same_page=found is not None)
    context = {"thanks": found, "page": page, "action": _action(page), "languages": languages}
    if found is None:
        response = render(request, "webform/thanks_expired.html", context, status=404)
    else:
        response = render(request, "webform/thanks.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return _frame(response, page)
