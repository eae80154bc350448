"""Reads of the knowledge base for the agents' pages: the article list with each translation's state, one article
or translation (404 when there is none: every signed-in agent may read every article, internal ones too), the
revision history, the review queue, the categories and the reports.

Writes are lofte.kb.services; who may write is asked there (and by the views' decorators)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from lofte.core.pagination import Page, SortKey, paginate
from lofte.kb.files import markdown_file_ref
from lofte.kb.models import (
    Article,
    ArticleFile,
    ArticleRevision,
    ArticleTranslation,
    ArticleVote,
    Category,
    Channel,
    RevisionState,
    SearchLog,
    Section,
)
from lofte.kb.services import category_name

ARTICLES_PER_PAGE = 50
REVIEW_PER_PAGE = 50
REPORT_CAP = 100
MIN_VOTES = 3
SEARCH_DAYS = 30
ARTICLE_KEY = SortKey("pk", descending=True, kind="int")
REVIEW_KEY = SortKey("created_at", descending=False)

# A translation's state on the list: its newest revision waits for review, else it is live, else a draft.
STATE_PUBLISHED = "published"
STATE_DRAFT = "draft"
STATE_REVIEW = "review"
STATES = (STATE_PUBLISHED, STATE_DRAFT, STATE_REVIEW)


def _newest(field_name: str) -> Subquery:
    newest = ArticleRevision.objects.filter(translation=OuterRef("pk")).order_by("-number")
    return Subquery(newest.values(field_name)[:1])


def translations_annotated() -> QuerySet[ArticleTranslation]:
    """Translations with their newest revision's state, title, time and number (the working copy)."""
    return ArticleTranslation.objects.annotate(
        latest_state=_newest("state"),
        latest_title=_newest("title"),
        latest_at=_newest("created_at"),
        latest_number=_newest("number"),
    ).order_by("language")


def translation_state(translation: ArticleTranslation) -> str:
    if getattr(translation, "latest_state", None) == RevisionState.SUBMITTED:
        return STATE_REVIEW
    return STATE_PUBLISHED if translation.published_at is not None else STATE_DRAFT


@dataclass(frozen=True)
class ArticleFilters:
    category: int | None = None
    language: str = ""
    state: str = ""
    visibility: str = ""
    text: str = ""

    @property
    def active(self) -> bool:
        return bool(self.category or self.language or self.state or self.visibility or self.text)


def _state_q(state: str, language: str) -> Q:
    """Articles with a translation (in `language`, when given) in `state`."""
    translations = translations_annotated().filter(article=OuterRef("pk"))
    if language:
        translations = translations.filter(language=language)
    if state == STATE_PUBLISHED:
        translations = translations.filter(published_at__isnull=False)
    elif state == STATE_REVIEW:
        translations = translations.filter(latest_state=RevisionState.SUBMITTED)  # type: ignore[misc]
    elif state == STATE_DRAFT:
        translations = translations.filter(published_at__isnull=True).exclude(
            latest_state=RevisionState.SUBMITTED  # type: ignore[misc]
        )
    return Q(Exists(translations))


def article_list(*, filters: ArticleFilters, cursor: str | None, limit: int = ARTICLES_PER_PAGE) -> Page[Article]:
    """One page of articles, newest first, each with its section and category and its translations (annotated
    with their working copies): four queries whatever the number of rows."""
    articles = Article.objects.all()
    if filters.category:
        articles = articles.filter(section__category_id=filters.category)
    if filters.visibility:
        articles = articles.filter(visibility=filters.visibility)
    if filters.state:
        articles = articles.filter(_state_q(filters.state, filters.language))
    elif filters.language:
        articles = articles.filter(
            Exists(ArticleTranslation.objects.filter(article=OuterRef("pk"), language=filters.language))
        )
    if filters.text:
        titled = ArticleRevision.objects.filter(translation__article=OuterRef("pk"), title__icontains=filters.text)
        live = ArticleTranslation.objects.filter(article=OuterRef("pk"), title__icontains=filters.text)
        articles = articles.filter(Q(Exists(live)) | Q(Exists(titled)))
    rows = Article.objects.select_related("section__category").prefetch_related(
        Prefetch("translations", queryset=translations_annotated())
    )
    return paginate(articles, key=ARTICLE_KEY, cursor=cursor, limit=limit, rows_from=rows)


def article_rows(page: Page[Article], language: str) -> list[dict[str, Any]]:
    """What the list shows of each article: its title (in the reader's language when it has it, else its
    fallback's), its translations' states and its newest change."""
    out = []
    for article in page.items:
        translations = list(article.translations.all())
        by_language = {t.language: t for t in translations}
        shown: Any = by_language.get(language) or by_language.get(article.fallback_language)
        if shown is None and translations:
            shown = translations[0]
        times = [t.latest_at for t in translations if getattr(t, "latest_at", None)]  # type: ignore[attr-defined]
        out.append(
            {
                "article": article,
                "title": (shown.latest_title or shown.title) if shown else "",
                "shown": shown,
                "translations": [{"t": t, "state": translation_state(t)} for t in translations],
                "updated": max(times) if times else article.created_at,
                "place": f"{category_name(article.section.category, language)} / "
                f"{category_name(article.section, language)}",
            }
        )
    return out


def article_get(*, article_id: int) -> Article:
    article = Article.objects.select_related("section__category").filter(pk=article_id).first()
    if article is None:
        raise Http404(_("There is no such article."))
    return article


def translation_get(*, article_id: int, language: str) -> ArticleTranslation:
    """A translation with its article, section and category, annotated with its working copy; 404 when none."""
    translation = (
        translations_annotated()
        .select_related("article__section__category")
        .filter(article_id=article_id, language=language)
        .first()
    )
    if translation is None:
        raise Http404(_("The article has no translation in this language."))
    return translation


def working_copy(translation: ArticleTranslation) -> ArticleRevision | None:
    """The newest revision (what the editor opens), with its author."""
    return translation.revisions.select_related("author").order_by("-number").first()


def revision_history(translation: ArticleTranslation) -> list[ArticleRevision]:
    return list(translation.revisions.select_related("author", "reviewed_by").order_by("-number"))


def revision_pair(translation: ArticleTranslation, number: int) -> tuple[ArticleRevision, ArticleRevision | None]:
    """A revision and the one before it (None for the first); 404 when there is no such revision."""
    revisions = list(translation.revisions.select_related("author").filter(number__lte=number).order_by("-number")[:2])
    if not revisions or revisions[0].number != number:
        raise Http404(_("There is no such revision."))
    return revisions[0], (revisions[1] if len(revisions) > 1 else None)


def revision_get(*, revision_id: int) -> ArticleRevision:
    revision = (
        ArticleRevision.objects.select_related("translation__article__section__category", "author")
        .filter(pk=revision_id)
        .first()
    )
    if revision is None:
        raise Http404(_("There is no such revision."))
    return revision


def review_queue(*, cursor: str | None, limit: int = REVIEW_PER_PAGE) -> Page[ArticleRevision]:
    """Revisions waiting for review, oldest first (the longest wait at the top)."""
    waiting = ArticleRevision.objects.filter(state=RevisionState.SUBMITTED)
    rows = ArticleRevision.objects.select_related("translation__article__section__category", "author")
    return paginate(waiting, key=REVIEW_KEY, cursor=cursor, limit=limit, rows_from=rows)


def categories_with_sections() -> list[Category]:
    return list(
        Category.objects.prefetch_related(Prefetch("sections", queryset=Section.objects.order_by("position", "slug")))
    )


def category_get(*, category_id: int) -> Category:
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise Http404(_("There is no such category."))
    return category


def section_get(*, section_id: int) -> Section:
    section = Section.objects.select_related("category").filter(pk=section_id).first()
    if section is None:
        raise Http404(_("There is no such section."))
    return section


def sections_all() -> list[Section]:
    return list(
        Section.objects.select_related("category").order_by("category__position", "category__slug", "position", "slug")
    )


def related_choices(*, article: Article) -> list[tuple[int, str]]:
    """Every other article, by its title (its fallback language's, else any), for the related-articles list."""
    titles: dict[int, str] = {}
    fallback: dict[int, str] = dict(Article.objects.exclude(pk=article.pk).values_list("pk", "fallback_language"))
    for article_id, language, title in ArticleTranslation.objects.filter(article_id__in=fallback).values_list(
        "article_id", "language", "title"
    ):
        if article_id not in titles or language == fallback[article_id]:
            titles[article_id] = title
    return sorted(((pk, titles.get(pk) or f"#{pk}") for pk in fallback), key=lambda c: c[1].lower())


# --- reports ----------------------------------------------------------------------------------------------------


@dataclass
class HelpRow:
    article_id: int
    language: str
    title: str
    yes: int
    no: int
    channels: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.yes + self.no

    @property
    def share(self) -> int:
        """Percent helpful, rounded."""
        return round(100 * self.yes / self.total) if self.total else 0


@dataclass
class HelpReport:
    rows: list[HelpRow]
    fewer_votes: int  # articles (per language) with votes, but fewer than MIN_VOTES
    capped: bool


def report_least_helpful() -> HelpReport:
    """Per article and language: yes and no, the share helpful and the same per channel; worst first, only those
    with at least MIN_VOTES votes."""
    helpful, unhelpful = Count("pk", filter=Q(helpful=True)), Count("pk", filter=Q(helpful=False))
    totals = list(ArticleVote.objects.values("article_id", "language").annotate(yes=helpful, no=unhelpful).order_by())
    enough = [t for t in totals if t["yes"] + t["no"] >= MIN_VOTES]
    fewer = len(totals) - len(enough)
    enough.sort(key=lambda t: (t["yes"] / (t["yes"] + t["no"]), -(t["yes"] + t["no"]), t["article_id"], t["language"]))
    capped = len(enough) > REPORT_CAP
    enough = enough[:REPORT_CAP]
    keys = {(t["article_id"], t["language"]) for t in enough}
    article_ids = {a for a, _l in keys}
    titles = {
        (a, lang): title
        for a, lang, title in ArticleTranslation.objects.filter(article_id__in=article_ids).values_list(
            "article_id", "language", "title"
        )
    }
    per_channel: dict[tuple[int, str], list[dict[str, Any]]] = {}
    labels = dict(Channel.choices)
    for c in (
        ArticleVote.objects.filter(article_id__in=article_ids)
        .values("article_id", "language", "channel")
        .annotate(yes=helpful, no=unhelpful)
        .order_by("channel")
    ):
        key = (c["article_id"], c["language"])
        if key in keys:
            total = c["yes"] + c["no"]
            per_channel.setdefault(key, []).append(
                {
                    "channel": c["channel"],
                    "label": labels.get(c["channel"], c["channel"]),
                    "yes": c["yes"],
                    "no": c["no"],
                    "share": round(100 * c["yes"] / total),
                }
            )
    rows = [
        HelpRow(
            article_id=t["article_id"],
            language=t["language"],
            title=titles.get((t["article_id"], t["language"]), "") or f"#{t['article_id']}",
            yes=t["yes"],
            no=t["no"],
            channels=per_channel.get((t["article_id"], t["language"]), []),
        )
        for t in enough
    ]
    return HelpReport(rows=rows, fewer_votes=fewer, capped=capped)


def latest_comments(limit: int = 20) -> list[ArticleVote]:
    return list(ArticleVote.objects.exclude(comment="").order_by("-created_at", "-pk")[:limit])


@dataclass
class FailedSearches:
    rows: list[dict[str, Any]]
    capped: bool
    since: datetime


def report_failed_searches(*, now: datetime | None = None) -> FailedSearches:
    """Searches of the last SEARCH_DAYS days that found nothing good, by lower-cased query and language, the most
    frequent first; at most REPORT_CAP rows."""
    since = (now or timezone.now()) - timedelta(days=SEARCH_DAYS)
    grouped: list[dict[str, Any]] = [
        dict(row)
        for row in SearchLog.objects.filter(good=False, created_at__gte=since)
        .annotate(q=Lower("query"))
        .values("q", "language")
        .annotate(count=Count("pk"), last=Max("created_at"))
        .order_by("-count", "-last", "q")[: REPORT_CAP + 1]
    ]
    return FailedSearches(rows=grouped[:REPORT_CAP], capped=len(grouped) > REPORT_CAP, since=since)


def files_by_name(article_id: int) -> dict[str, ArticleFile]:
    """The article's files by name (none for an id that is no article)."""
    return {f.name: f for f in ArticleFile.objects.filter(article_id=article_id)}


def article_files(article: Article) -> list[dict[str, object]]:
    """The article's files with what the editor offers to paste for each."""
    return [{"file": f, "ref": markdown_file_ref(f)} for f in ArticleFile.objects.filter(article=article)]


def article_file_get(*, article_id: int, file_id: int) -> ArticleFile:
    found = ArticleFile.objects.filter(article_id=article_id, pk=file_id).first()
    if found is None:
        raise Http404(_("There is no such file."))
    return found


def article_file_named(*, file_id: int, name: str) -> ArticleFile:
    found = ArticleFile.objects.filter(pk=file_id, name=name).first()
    if found is None:
        raise Http404(_("There is no such file."))
    return found
