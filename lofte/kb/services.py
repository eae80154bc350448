"""Writes of the knowledge base: categories, sections, articles and their translations, revisions (save, submit,
publish, send back), slugs that survive renames, "did this help?" votes and the search log.

Who may do what (lofte.accounts.access): KB_WRITE writes drafts, and publishes where the category asks for no
review; KB_PUBLISH (team leads, admins) publishes anywhere, reviews, and keeps the categories. `actor=None` is the
system itself (the demo data, `lofte kb_evaluate`), never a request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from lofte.accounts.access import Perm, can, require
from lofte.accounts.models import Agent
from lofte.core.errors import PermissionDenied, ValidationFailed
from lofte.core.validation import check_language
from lofte.kb import indexing
from lofte.kb.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    ArticleVote,
    Category,
    Channel,
    RevisionState,
    SearchLog,
    Section,
    SlugRedirect,
    Visibility,
)

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_TITLE = 200
MAX_BODY = 100_000
MAX_COMMENT = 2000


# --- checks -----------------------------------------------------------------------------------------------------


def _require(actor: Agent | None, perm: Perm) -> None:
    if actor is not None:
        require(actor, perm)


def may_publish(actor: Agent | None, category: Category) -> bool:
    """Whether `actor` may publish in `category` without a review."""
    if actor is None:
        return True
    return can(actor, Perm.KB_PUBLISH) or (can(actor, Perm.KB_WRITE) and not category.requires_review)


def _title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationFailed(_("Give the article a title."), field="title")
    if len(title) > MAX_TITLE:
        raise ValidationFailed(
            _("A title can be at most %(max)s characters long; this one is %(length)s.")
            % {"max": MAX_TITLE, "length": len(title)},
            field="title",
        )
    return title


def _body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ValidationFailed(_("Write the article's text."), field="body")
    if len(body) > MAX_BODY:
        raise ValidationFailed(
            _("An article can be at most %(max)s characters long; this one is %(length)s.")
            % {"max": f"{MAX_BODY:,}", "length": f"{len(body):,}"},
            field="body",
        )
    return body


def _names(names: Mapping[str, str], *, field: str = "names") -> dict[str, str]:
    clean = {}
    for language, name in names.items():
        check_language(language, field=field, blank_ok=False)
        if name := " ".join((name or "").split()):
            clean[language] = name[:120]
    if not clean:
        raise ValidationFailed(_("Give it a name in at least one language."), field=field)
    return clean


def _slug_format(slug: str, *, field: str = "slug") -> str:
    slug = (slug or "").strip().lower()
    if not _SLUG.match(slug) or len(slug) > 120:
        raise ValidationFailed(
            _("'%(slug)s' cannot be an address: use lower-case letters a-z, digits and single hyphens.")
            % {"slug": slug[:60]},
            field=field,
        )
    return slug


def _slug_taken(language: str, slug: str, translation: ArticleTranslation | None) -> ArticleTranslation | None:
    clash = ArticleTranslation.objects.filter(language=language, slug=slug)
    if translation is not None:
        clash = clash.exclude(pk=translation.pk)
    return clash.first()


def _slug_for(language: str, slug: str, title: str, translation: ArticleTranslation | None) -> str:
    """The slug to use: the one asked for (refused by name when another article has it), else one made from the
    title (with -2, -3 ... when taken)."""
    if slug:
        slug = _slug_format(slug)
        clash = _slug_taken(language, slug, translation)
        if clash is not None:
            raise ValidationFailed(
                _("The address '%(slug)s' is already used by the article '%(title)s'; choose another.")
                % {"slug": slug, "title": clash.title or clash.slug},
                field="slug",
            )
        return slug
    base = slugify(title)[:100].strip("-") or "article"
    candidate, n = base, 1
    while _slug_taken(language, candidate, translation) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


# --- categories and sections --------------------------------------------------------------------------------


def category_save(
    *,
    actor: Agent | None,
    category: Category | None = None,
    slug: str,
    names: Mapping[str, str],
    descriptions: Mapping[str, str] | None = None,
    requires_review: bool = False,
    position: int = 0,
) -> Category:
    _require(actor, Perm.KB_PUBLISH)
    slug = _slug_format(slug)
    clash = Category.objects.filter(slug=slug)
    if category is not None:
        clash = clash.exclude(pk=category.pk)
    if clash.exists():
        raise ValidationFailed(
            _("A category with the address '%(slug)s' exists already.") % {"slug": slug}, field="slug"
        )
    category = category or Category()
    category.slug = slug
    category.names = _names(names)
    category.descriptions = {k: v.strip() for k, v in (descriptions or {}).items() if v and v.strip()}
    category.requires_review = requires_review
    category.position = position
    category.save()
    return category


def section_save(
    *,
    actor: Agent | None,
    section: Section | None = None,
    category: Category,
    slug: str,
    names: Mapping[str, str],
    position: int = 0,
) -> Section:
    _require(actor, Perm.KB_PUBLISH)
    slug = _slug_format(slug)
    clash = Section.objects.filter(category=category, slug=slug)
    if section is not None:
        clash = clash.exclude(pk=section.pk)
    if clash.exists():
        raise ValidationFailed(
            _("The category has a section with the address '%(slug)s' already.") % {"slug": slug}, field="slug"
        )
    section = section or Section()
    section.category = category
    section.slug = slug
    section.names = _names(names)
    section.position = position
    section.save()
    return section


# --- articles -------------------------------------------------------------------------------------------------


def _revision_add(
    translation: ArticleTranslation, *, title: str, body: str, author: Agent | None, state: str, note: str = ""
) -> ArticleRevision:
    number = (translation.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    return ArticleRevision.objects.create(
        translation=translation, number=number, title=title, body=body, author=author, state=state, note=note[:300]
    )


@transaction.atomic
def article_create(
    *,
    actor: Agent | None,
    section: Section,
    language: str,
    title: str,
    body: str,
    slug: str = "",
    visibility: str = Visibility.PUBLIC,
    publish: bool = False,
    review: bool = False,
) -> ArticleTranslation:
    """A new article with its first translation (revision 1), published at once when asked and allowed, or sent
    for review."""
    _require(actor, Perm.KB_WRITE)
    language = check_language(language, blank_ok=False)
    if visibility not in Visibility.values:
        raise ValidationFailed(_("Choose whether the article is public or internal."), field="visibility")
    title, body = _title(title), _body(body)
    article = Article.objects.create(
        section=section, visibility=visibility, fallback_language=language, created_by=actor
    )
    return _translation_create(actor, article, language, title, body, slug, publish=publish, review=review)


def _translation_create(
    actor: Agent | None,
    article: Article,
    language: str,
    title: str,
    body: str,
    slug: str,
    *,
    publish: bool,
    review: bool,
) -> ArticleTranslation:
    translation = ArticleTranslation(article=article, language=language, title=title, body=body)
    translation.slug = _slug_for(language, slug, title, None)
    SlugRedirect.objects.filter(language=language, slug=translation.slug).delete()  # an old address taken over
    try:
        with transaction.atomic():
            translation.save()
    except IntegrityError as exc:  # a concurrent writer took the slug, or the language, first
        raise ValidationFailed(
            _("The article has a %(language)s translation already, or its address was just taken.")
            % {"language": language},
            field="language",
        ) from exc
    revision = _revision_add(translation, title=title, body=body, author=actor, state=RevisionState.DRAFT)
    if publish:
        revision_publish(actor=actor, revision=revision)
        translation.refresh_from_db()
    elif review:
        revision_submit(actor=actor, revision=revision)
    return translation


@transaction.atomic
def translation_add(
    *,
    actor: Agent | None,
    article: Article,
    language: str,
    title: str,
    body: str,
    slug: str = "",
    publish: bool = False,
    review: bool = False,
) -> ArticleTranslation:
    _require(actor, Perm.KB_WRITE)
    language = check_language(language, blank_ok=False)
    if article.translations.filter(language=language).exists():
        raise ValidationFailed(
            _("The article has a %(language)s translation already; change that one instead.") % {"language": language},
            field="language",
        )
    return _translation_create(
        actor, article, language, _title(title), _body(body), slug, publish=publish, review=review
    )


@transaction.atomic
def translation_save(
    *,
    actor: Agent | None,
    translation: ArticleTranslation,
    title: str,
    body: str,
    slug: str | None = None,
    note: str = "",
) -> ArticleRevision:
    """Save the editor's text as a new draft revision (what is live does not change until it is published). A
    new slug applies at once; the old one keeps answering with a redirect. Saving what the newest draft or
    waiting revision already says (no new slug, no note) answers that revision and adds none."""
    _require(actor, Perm.KB_WRITE)
    title, body = _title(title), _body(body)
    renamed = slug is not None and bool(slug.strip()) and slug.strip() != translation.slug
    newest = translation.revisions.order_by("-number").first()
    if (
        not renamed
        and not note
        and newest is not None
        and newest.state in (RevisionState.DRAFT, RevisionState.SUBMITTED)
        and (newest.title, newest.body) == (title, body)
    ):
        return newest
    if renamed:
        slug_rename(actor=actor, translation=translation, slug=slug or "")
    return _revision_add(translation, title=title, body=body, author=actor, state=RevisionState.DRAFT, note=note)


@transaction.atomic
def slug_rename(*, actor: Agent | None, translation: ArticleTranslation, slug: str) -> ArticleTranslation:
    _require(actor, Perm.KB_WRITE)
    new = _slug_for(translation.language, slug, translation.title, translation)
    if new == translation.slug:
        return translation
    old = translation.slug
    SlugRedirect.objects.filter(language=translation.language, slug=new).delete()
    SlugRedirect.objects.update_or_create(
        language=translation.language, slug=old, defaults={"translation": translation}
    )
    translation.slug = new
    translation.save(update_fields=["slug"])
    return translation


@transaction.atomic
def revision_submit(*, actor: Agent | None, revision: ArticleRevision) -> ArticleRevision:
    """Ask for a review of a draft."""
    _require(actor, Perm.KB_WRITE)
    if revision.state != RevisionState.DRAFT:
        raise ValidationFailed(_("Only a draft can be sent for review."), field="revision")
    revision.state = RevisionState.SUBMITTED
    revision.save(update_fields=["state"])
    return revision


@transaction.atomic
def revision_publish(*, actor: Agent | None, revision: ArticleRevision) -> ArticleTranslation:
    """Make `revision` the live text of its translation and index it."""
    translation = (
        ArticleTranslation.objects.select_for_update()
        .select_related("article__section__category")
        .get(pk=revision.translation_id)
    )
    category = translation.article.section.category
    if not may_publish(actor, category):
        if actor is not None and not can(actor, Perm.KB_WRITE):
            require(actor, Perm.KB_WRITE)
        raise PermissionDenied(
            _("'%(category)s' asks for a review before publishing: send it for review instead.")
            % {"category": category_name(category, translation.language)}
        )
    now = timezone.now()
    translation.title, translation.body = revision.title, revision.body
    translation.published_at = translation.published_at or now
    translation.updated_at = now
    translation.save(update_fields=["title", "body", "published_at", "updated_at"])
    revision.state = RevisionState.PUBLISHED
    revision.reviewed_by, revision.reviewed_at = actor, now
    revision.save(update_fields=["state", "reviewed_by", "reviewed_at"])
    indexing.index_translations([translation])
    return translation


@transaction.atomic
def revision_return(*, actor: Agent | None, revision: ArticleRevision, note: str) -> ArticleRevision:
    """Send a submitted revision back to its author with a note."""
    _require(actor, Perm.KB_PUBLISH)
    if revision.state != RevisionState.SUBMITTED:
        raise ValidationFailed(_("Only a revision waiting for review can be sent back."), field="revision")
    if not (note := (note or "").strip()):
        raise ValidationFailed(_("Say what should change, so the author knows."), field="note")
    revision.state = RevisionState.RETURNED
    revision.note = note[:300]
    revision.reviewed_by, revision.reviewed_at = actor, timezone.now()
    revision.save(update_fields=["state", "note", "reviewed_by", "reviewed_at"])
    return revision


@transaction.atomic
def translation_unpublish(*, actor: Agent | None, translation: ArticleTranslation) -> ArticleTranslation:
    category = translation.article.section.category
    if not may_publish(actor, category):
        _require(actor, Perm.KB_PUBLISH)
    translation.published_at = None
    translation.save(update_fields=["published_at"])
    indexing.unindex_translations([translation.pk])
    return translation


@transaction.atomic
def article_update(
    *,
    actor: Agent | None,
    article: Article,
    section: Section,
    visibility: str,
    fallback_language: str,
    related: Iterable[Article] = (),
) -> Article:
    _require(actor, Perm.KB_WRITE)
    if visibility not in Visibility.values:
        raise ValidationFailed(_("Choose whether the article is public or internal."), field="visibility")
    fallback_language = check_language(fallback_language, field="fallback_language", blank_ok=False)
    if section.pk != article.section_id and not may_publish(actor, section.category):
        raise PermissionDenied(_("Only a team lead or an admin can move an article into a reviewed category."))
    was_public = article.visibility == Visibility.PUBLIC
    article.section, article.visibility, article.fallback_language = section, visibility, fallback_language
    article.save(update_fields=["section", "visibility", "fallback_language"])
    article.related.set([a for a in related if a.pk != article.pk])
    if was_public != (visibility == Visibility.PUBLIC):
        indexing.visibility_changed(article.pk, visibility == Visibility.PUBLIC)
    return article


# --- readers --------------------------------------------------------------------------------------------------


def article_viewed(*, translation: ArticleTranslation) -> None:
    ArticleTranslation.objects.filter(pk=translation.pk).update(view_count=F("view_count") + 1)


def vote_record(*, article: Article, language: str, channel: str, helpful: bool, comment: str = "") -> ArticleVote:
    language = check_language(language, blank_ok=False)
    if channel not in Channel.values:
        raise ValidationFailed(_("'%(value)s' is not a channel.") % {"value": channel[:20]}, field="channel")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(
            _("A comment can be at most %(max)s characters long.") % {"max": f"{MAX_COMMENT:,}"}, field="comment"
        )
    return ArticleVote.objects.create(
        article=article, language=language, channel=channel, helpful=helpful, comment=comment
    )


SEARCH_LOG_DAYS = 90  # searches are kept this long (the report reads 30 days; a query may hold personal data)


def search_log_prune(*, now: datetime | None = None) -> int:
    """Forget the searches older than SEARCH_LOG_DAYS; answers how many."""
    since = (now or timezone.now()) - timedelta(days=SEARCH_LOG_DAYS)
    deleted, _rows = SearchLog.objects.filter(created_at__lt=since).delete()
    return deleted


def search_logged(*, query: str, language: str, channel: str, found: int, good: bool) -> None:
    if query.strip():
        SearchLog.objects.create(query=query.strip()[:200], language=language, channel=channel, found=found, good=good)


def category_name(category: Category | Section, language: str) -> str:
    """A category's or a section's name in `language`, else in English, else the first it has, else its slug."""
    names = category.names or {}
    return names.get(language) or names.get("en") or next(iter(names.values()), category.slug)
