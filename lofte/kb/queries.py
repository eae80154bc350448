"""Reads the knowledge base's API needs (the pages have their selectors)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse

from lofte.core.errors import NotFound
from lofte.kb.models import Article, ArticleTranslation, Section, Visibility

if TYPE_CHECKING:
    from lofte.kb.search import Hit


def public_url(language: str, slug: str) -> str | None:
    """The help centre's address of a translation (None while the help centre is not installed)."""
    try:
        return reverse("helpcentre:article", kwargs={"lang": language, "slug": slug})
    except NoReverseMatch:
        return None


def articles_for_api() -> QuerySet[Article]:
    return Article.objects.order_by("pk").prefetch_related("translations")


def article_get(article_id: int) -> Article:
    article = Article.objects.prefetch_related("translations").filter(pk=article_id).first()
    if article is None:
        raise NotFound(f"There is no article {article_id}.")
    return article


def section_get(section_id: int) -> Section:
    section = Section.objects.select_related("category").filter(pk=section_id).first()
    if section is None:
        raise NotFound(f"There is no section {section_id}.", field="section")
    return section


def translation_out(translation: ArticleTranslation, visibility: str) -> dict[str, object]:
    return {
        "language": translation.language,
        "slug": translation.slug,
        "title": translation.title,
        "body": translation.body,
        "published": translation.is_published,
        "published_at": translation.published_at,
        "url": public_url(translation.language, translation.slug)
        if visibility == Visibility.PUBLIC and translation.is_published
        else None,
    }


def article_out(article: Article) -> dict[str, object]:
    return {
        "id": article.pk,
        "section_id": article.section_id,
        "visibility": article.visibility,
        "fallback_language": article.fallback_language,
        "translations": [translation_out(t, article.visibility) for t in article.translations.all()],
    }


def public_translations(translation_ids: list[int]) -> list[dict[str, object]]:
    """The live translations of public articles among `translation_ids` (in that order; any other id, a draft's
    or an internal article's, is left out): what a visitor's help-centre trail may name."""
    ids = [i for i in translation_ids if isinstance(i, int)][:20]
    rows = {
        row["pk"]: row
        for row in ArticleTranslation.objects.filter(
            pk__in=ids, published_at__isnull=False, article__visibility=Visibility.PUBLIC
        ).values("pk", "article_id", "language", "title", "slug")
    }
    return [
        {
            "id": rows[i]["pk"],
            "article_id": rows[i]["article_id"],
            "language": rows[i]["language"],
            "title": rows[i]["title"],
            "url": public_url(str(rows[i]["language"]), str(rows[i]["slug"])),
        }
        for i in ids
        if i in rows
    ]


def reply_box_hits(hits: list[Hit], *, base_url: str) -> list[dict[str, object]]:
    """Search hits as the reply box offers them: with the live Markdown of each (in the language shown) and, for
    a public article, its absolute help-centre address and a Markdown link to it."""
    bodies = dict(ArticleTranslation.objects.filter(pk__in=[h.translation_id for h in hits]).values_list("pk", "body"))
    out = []
    for hit in hits:
        path = public_url(hit.language, hit.slug) if hit.public else None
        url = f"{base_url.rstrip('/')}{path}" if path else ""
        out.append(
            {
                "hit": hit,
                "url": url,
                "link": f"[{hit.title}]({url})" if url else "",
                "text": bodies.get(hit.translation_id, ""),
            }
        )
    return out
