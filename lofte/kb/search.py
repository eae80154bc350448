"""The one knowledge-base search: the help centre, the contact form's suggestions, the agents' reply box and the
API all ask `kb_search`.

Two searches run on every question and are fused:

* lexical (lofte.kb.lexical): the database's full-text index over stemmed words and compound parts, BM25F;
* dense (lofte.kb.dense): multilingual sentence embeddings, so a question in everyday words, with typos, or in
  another Nordic language still finds its answer.

Fusion is a weighted sum of the two scores, each scaled to the question: the lexical score divided by the best
one, the cosine placed between the worst and the best of the dense candidates (0 to 1). The weights were chosen
on the project's labelled queries (`lofte kb_evaluate`, benchmarks/kb_data); on them this beat reciprocal rank
fusion at every weight tried (MRR 0.895 against 0.888, recall@1 0.837 against 0.829).

Results are articles, each shown in the reader's language when it has a live translation there; otherwise in
the language that matched, marked `fallback` so the page can say so.

A result is *good* (worth showing as an answer) when it scores at least RELATIVE_FLOOR of the best result and the
lexical search found it or its best passage is at least GOOD_COSINE close; when none is, the reader is offered the
ways to a person first.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from django.db.models import Q
from django.utils.translation import gettext as _

from lofte.core.errors import ValidationFailed
from lofte.core.validation import check_language
from lofte.kb import analysis
from lofte.kb.dense import dense_search, embed_query, index_version, plain
from lofte.kb.lexical import lexical_search
from lofte.kb.models import ArticleTranslation, Visibility

Mode = Literal["fused", "lexical", "dense"]
MAX_QUERY = 1000
CANDIDATES = 50
# chosen on benchmarks/kb_data (252 labelled queries over 128 articles): see docs/decisions/0011-kb-search.md
LEXICAL_WEIGHT = 0.3
DENSE_WEIGHT = 0.7
GOOD_COSINE = 0.82
RELATIVE_FLOOR = 0.6  # a good result scores at least this share of the best one
SNIPPET = 200
_embedder = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kb-embed")


@dataclass(frozen=True, slots=True)
class Hit:
    article_id: int
    translation_id: int
    language: str
    title: str
    slug: str
    snippet: str
    score: float
    fallback: bool  # not in the language asked for
    public: bool
    good: bool


@dataclass(slots=True)
class SearchResult:
    query: str
    language: str
    hits: list[Hit] = field(default_factory=list)
    message: str = ""  # why there is nothing to search for, when there is not

    @property
    def good(self) -> bool:
        return any(h.good for h in self.hits)


def query_checked(query: str) -> str:
    """The query, trimmed; ValidationFailed when it is too long to be a question."""
    query = (query or "").strip()
    if len(query) > MAX_QUERY:
        raise ValidationFailed(
            _("A search can be at most %(max)s characters long; this one is %(length)s.")
            % {"max": f"{MAX_QUERY:,}", "length": f"{len(query):,}"},
            field="q",
        )
    return query


def kb_search(*, query: str, language: str, agent: bool = False, limit: int = 10, mode: Mode = "fused") -> SearchResult:
    """Articles answering `query`, best first. `agent`: internal articles too. `language`: the reader's; an
    unknown one is refused by name. A query of no words (punctuation only) finds nothing and says why."""
    query = query_checked(query)
    language = check_language(language, blank_ok=False)
    result = SearchResult(query=query, language=language)
    limit = max(1, min(limit, 50))
    terms, prefix = analysis.query_terms(query, language)
    if not analysis.words(query):
        result.message = _("Type a few words to search for.")
        return result
    public_only = not agent
    # the query's embedding (the engine lets go of the interpreter) is made while the database finds the words
    vector = _embedder.submit(embed_query, query) if mode in ("fused", "dense") else None
    version = index_version()
    ranked: dict[int, float] = {}
    matched_by: dict[int, int] = {}  # translation id of the best match per article
    lexical_articles: set[int] = set()
    best_cosine: dict[int, float] = {}
    if mode in ("fused", "lexical"):
        lexical = lexical_search(terms, prefix=prefix, public_only=public_only, limit=CANDIDATES, version=version)
        top = lexical[0].score if lexical else 1.0
        for hit in lexical:
            if hit.article_id in lexical_articles:
                continue
            lexical_articles.add(hit.article_id)
            ranked[hit.article_id] = LEXICAL_WEIGHT * hit.score / top
            matched_by.setdefault(hit.article_id, hit.translation_id)
    if vector is not None:
        dense = dense_search(vector.result(), public_only=public_only, limit=CANDIDATES, version=version)
        if dense:
            high, low = dense[0].score, dense[-1].score
            spread = high - low
            for near in dense:
                if near.article_id in best_cosine:
                    continue
                best_cosine[near.article_id] = near.score
                share = (near.score - low) / spread if spread > 1e-6 else 1.0
                ranked[near.article_id] = ranked.get(near.article_id, 0.0) + DENSE_WEIGHT * share
                matched_by.setdefault(near.article_id, near.translation_id)
    order = sorted(ranked, key=lambda a: (-ranked[a], a))[:limit]
    result.hits = _hits(order, ranked, matched_by, lexical_articles, best_cosine, language)
    return result


def _hits(
    order: list[int],
    ranked: dict[int, float],
    matched_by: dict[int, int],
    lexical_articles: set[int],
    best_cosine: dict[int, float],
    language: str,
) -> list[Hit]:
    """Each article in the reader's language when it has a live translation there, else as it matched."""
    if not order:
        return []
    wanted = {matched_by[a] for a in order}
    fields = ("pk", "article_id", "language", "title", "slug", "body", "article__visibility")
    rows = ArticleTranslation.objects.filter(
        Q(pk__in=wanted) | Q(article_id__in=order, language=language), published_at__isnull=False
    ).values_list(*fields)
    by_article: dict[int, dict[str, tuple]] = {}
    for row in rows:
        by_article.setdefault(row[1], {})[row[2]] = row
    hits = []
    best = ranked[order[0]]
    for article_id in order:
        translations = by_article.get(article_id, {})
        row = translations.get(language)
        if row is None:
            matched = [r for r in translations.values() if r[0] == matched_by[article_id]]
            if not matched:
                continue
            row = matched[0]
        near = article_id in lexical_articles or best_cosine.get(article_id, 0.0) >= GOOD_COSINE
        good = near and ranked[article_id] >= RELATIVE_FLOOR * best
        hits.append(
            Hit(
                article_id=article_id,
                translation_id=row[0],
                language=row[2],
                title=row[3],
                slug=row[4],
                snippet=_snippet(row[5]),
                score=round(ranked[article_id], 6),
                fallback=row[2] != language,
                public=row[6] == Visibility.PUBLIC,
                good=good,
            )
        )
    return hits


def _snippet(body: str) -> str:
    text = " ".join(plain(body).split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1].rsplit(" ", 1)[0] + "…"
