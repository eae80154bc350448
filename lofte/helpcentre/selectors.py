"""Reads of the help centre. Only public articles with a published translation ever leave this module: every
query starts from `_live()`, so an internal article or a draft cannot be reached by guessing its address.

Each page costs a fixed number of queries whatever the number of articles: the translations a list shows are
read in one query and the one to show for each article (the reader's language, else the article's fallback
language, else any) is chosen in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from lofte.kb.models import ArticleFile, ArticleTranslation, Category, Section, SlugRedirect, Visibility
from lofte.kb.selectors import files_by_name
from lofte.kb.services import category_name

MOST_READ = 10


def _live() -> QuerySet[ArticleTranslation]:
    return ArticleTranslation.objects.filter(published_at__isnull=False, article__visibility=Visibility.PUBLIC)


@dataclass(frozen=True)
class Entry:
    """A translation listed for an article; `fallback` when it is not in the reader's language."""

    translation: ArticleTranslation
    fallback: bool


def _choose(rows: Iterable[ArticleTranslation], language: str) -> list[Entry]:
    """One entry per article, in the order the articles first appear in `rows` (rows need `article`)."""
    by_article: dict[int, dict[str, ArticleTranslation]] = {}
    for row in rows:
        by_article.setdefault(row.article_id, {})[row.language] = row
    entries = []
    for translations in by_article.values():
        any_one = next(iter(translations.values()))
        chosen = (
            translations.get(language)
            or translations.get(any_one.article.fallback_language)
            or translations[min(translations)]
        )
        entries.append(Entry(chosen, chosen.language != language))
    return entries


# --- home ----------------------------------------------------------------------------------------------------


@dataclass
class SectionItem:
    section: Section
    name: str
    entries: list[Entry] = field(default_factory=list)


@dataclass
class CategoryItem:
    category: Category
    name: str
    description: str
    sections: list[SectionItem]


def categories_for(language: str) -> list[CategoryItem]:
    """Every category with its sections, named in `language` where they have a name in it (two queries)."""
    categories = Category.objects.prefetch_related(
        Prefetch("sections", queryset=Section.objects.order_by("position", "slug"))
    )
    return [
        CategoryItem(
            category=c,
            name=category_name(c, language),
            description=(c.descriptions or {}).get(language, ""),
            sections=[SectionItem(s, category_name(s, language)) for s in c.sections.all()],
        )
        for c in categories
    ]


def most_read(language: str, *, limit: int = MOST_READ) -> list[ArticleTranslation]:
    """The published public translations in `language` read most often (one query, on the most-read index)."""
    return list(
        _live()
        .filter(language=language)
        .order_by("-view_count", "pk")
        .only("pk", "article_id", "language", "slug", "title", "view_count")[:limit]
    )


# --- a category ----------------------------------------------------------------------------------------------


@dataclass
class CategoryPage:
    item: CategoryItem

    @property
    def has_articles(self) -> bool:
        return any(s.entries for s in self.item.sections)


def category_page(slug: str, language: str) -> CategoryPage | None:
    """The category at `slug` with its sections and their articles (three queries), or None."""
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        return None
    sections = [SectionItem(s, category_name(s, language)) for s in category.sections.order_by("position", "slug")]
    rows = (
        _live()
        .filter(article__section__category=category)
        .select_related("article")
        .only("pk", "article_id", "language", "slug", "title", "article__fallback_language", "article__section_id")
        .order_by("article__position", "article_id", "language")
    )
    by_section: dict[int, list[ArticleTranslation]] = {}
    for row in rows:
        by_section.setdefault(row.article.section_id, []).append(row)
    for item in sections:
        item.entries = _choose(by_section.get(item.section.pk, []), language)
    name = category_name(category, language)
    description = (category.descriptions or {}).get(language, "")
    return CategoryPage(CategoryItem(category, name, description, sections))


# --- an article ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    """What an address (language, slug) leads to: a translation to show (`fallback` when it is in another
    language than the address's), or one to send the reader to (`redirect`), or nothing."""

    translation: ArticleTranslation | None = None
    fallback: bool = False
    redirect: ArticleTranslation | None = None
    moved: bool = False  # `redirect` because the address's slug was renamed (for good)


def article_lookup(language: str, slug: str) -> Lookup:
    """The published public translation at (language, slug); else where an old slug went; else the published
    public translation with that slug in another language (or, when that article is in `language` under
    another slug, that one to redirect to). One query when the address is current."""
    live = _live().select_related("article__section__category")
    found = live.filter(language=language, slug=slug).first()
    if found is not None:
        return Lookup(translation=found)
    moved = (
        SlugRedirect.objects.filter(
            language=language,
            slug=slug,
            translation__published_at__isnull=False,
            translation__article__visibility=Visibility.PUBLIC,
        )
        .select_related("translation")
        .first()
    )
    if moved is not None:
        return Lookup(redirect=moved.translation, moved=True)
    others = list(live.filter(slug=slug).exclude(language=language).order_by("language"))
    if not others:
        return Lookup()
    shown = next((t for t in others if t.language == t.article.fallback_language), others[0])
    own = _live().filter(article_id=shown.article_id, language=language).first()
    if own is not None:
        return Lookup(redirect=own)
    return Lookup(translation=shown, fallback=True)


@dataclass
class ArticleExtras:
    siblings: list[ArticleTranslation]  # every published translation of the article, the shown one too
    related: list[Entry]
    files: dict[str, ArticleFile]


def article_extras(translation: ArticleTranslation, language: str) -> ArticleExtras:
    """The article's translations, its related articles (in `language` where possible) and, when the body
    shows any, its files: two or three queries."""
    siblings = list(
        _live()
        .filter(article_id=translation.article_id)
        .only("pk", "article_id", "language", "slug", "title", "updated_at")
        .order_by("language")
    )
    related_rows = (
        _live()
        .filter(article__related=translation.article_id)
        .select_related("article")
        .only("pk", "article_id", "language", "slug", "title", "article__fallback_language")
        .order_by("article__position", "article_id", "language")
    )
    files = files_by_name(translation.article_id) if "file:" in translation.body else {}
    return ArticleExtras(siblings=siblings, related=_choose(related_rows, language), files=files)


def article_file(file_id: int, name: str) -> ArticleFile | None:
    """A file of a public article that has a published translation, by its id and name (both must match)."""
    published = ArticleTranslation.objects.filter(article_id=OuterRef("article_id"), published_at__isnull=False)
    return (
        ArticleFile.objects.filter(pk=file_id, name=name, article__visibility=Visibility.PUBLIC)
        .filter(Exists(published))
        .first()
    )


# --- the sitemap ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SitemapRow:
    article_id: int
    language: str
    slug: str
    updated_at: datetime


def sitemap_rows() -> tuple[list[SitemapRow], list[str]]:
    """Every published translation of a public article, and every category's slug (two queries)."""
    rows = [
        SitemapRow(*row)
        for row in _live()
        .order_by("article_id", "language")
        .values_list("article_id", "language", "slug", "updated_at")
    ]
    return rows, list(Category.objects.values_list("slug", flat=True))
