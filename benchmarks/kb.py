"""Knowledge-base search, measured: `lofte kb_evaluate` (quality on labelled queries) and `lofte bench_kb` (speed
at N articles). Both work in a database of their own (benchmarks.database), never the user's, and index the
articles with the product's own code (lofte.kb.indexing, then lofte.kb.dense.embed_pending), then ask the
product's own search (lofte.kb.search.kb_search) in each of its three modes.

Recall@k is the share of a query's relevant articles among the first k results, averaged over the queries; MRR
the mean of 1 / the rank of the first relevant result (0 when none is in the first 50).
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks.command import InputError, percentile
from benchmarks.database import bench_database
from lofte.kb import dense
from lofte.kb.indexing import index_translations
from lofte.kb.models import Article, ArticleTranslation, Category, Section, Visibility
from lofte.kb.search import kb_search

MODES = ("lexical", "dense", "fused")
RANKED = 50


@dataclass(frozen=True)
class EvalArticle:
    id: str
    title: str
    body: str
    language: str


@dataclass(frozen=True)
class EvalQuery:
    query: str
    relevant: tuple[str, ...]
    language: str


def _lines(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: is not UTF-8 text.") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}, line {number}: not JSON ({exc.msg}).") from exc
        if not isinstance(value, dict):
            raise InputError(f"{path}, line {number}: expected a JSON object.")
        yield number, value


def _text(value: object, where: str, name: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) and not (isinstance(value, int) and name == "id"):
        raise InputError(f"{where}: '{name}' must be a string.")
    text = str(value).strip()
    if required and not text:
        raise InputError(f"{where}: '{name}' is empty.")
    return text


def _language(value: object, where: str) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    language = _text(value, where, "language")
    if language not in codes:
        raise InputError(f"{where}: language '{language[:16]}' is not one of {', '.join(codes)}.")
    return language


def read_articles(path: Path) -> list[EvalArticle]:
    articles, seen = [], set()
    for number, row in _lines(path):
        where = f"{path}, line {number}"
        article = EvalArticle(
            id=_text(row.get("id"), where, "id"),
            title=_text(row.get("title"), where, "title", required=False),
            body=_text(row.get("body"), where, "body"),
            language=_language(row.get("language"), where),
        )
        if article.id in seen:
            raise InputError(f"{where}: the id '{article.id}' is used twice.")
        seen.add(article.id)
        articles.append(article)
    if not articles:
        raise InputError(f"{path}: no articles.")
    return articles


def read_queries(path: Path, known: set[str]) -> list[EvalQuery]:
    queries = []
    for number, row in _lines(path):
        where = f"{path}, line {number}"
        relevant = row.get("relevant")
        if not isinstance(relevant, list) or not relevant:
            raise InputError(f"{where}: 'relevant' must be a non-empty list of article ids.")
        ids = tuple(str(r) for r in relevant)
        unknown = [r for r in ids if r not in known]
        if unknown:
            raise InputError(f"{where}: relevant article '{unknown[0]}' is not among the articles.")
        queries.append(
            EvalQuery(
                query=_text(row.get("query"), where, "query"),
                relevant=ids,
                language=_language(row.get("language"), where),
            )
        )
    if not queries:
        raise InputError(f"{path}: no queries.")
    return queries


def _seed(articles: list[tuple[str, str, str, str | None]], progress: Callable[[str], None]) -> list[int]:
    """Write (title, body, language, group) articles as the product's translations and index them; articles with
    the same group are translations of one article. Answers each input's article pk."""
    started = time.perf_counter()
    category = Category.objects.create(slug="evaluation", names={"en": "Evaluation"})
    section = Section.objects.create(category=category, slug="all", names={"en": "All"})
    now = timezone.now()
    groups: dict[str, Article] = {}
    pks: list[int] = []
    translations: list[ArticleTranslation] = []
    with transaction.atomic():
        for n, (title, body, language, group) in enumerate(articles):
            article = groups.get(group) if group else None
            if article is None:
                article = Article.objects.create(
                    section=section, visibility=Visibility.PUBLIC, fallback_language=language
                )
                if group:
                    groups[group] = article
            pks.append(article.pk)
            translations.append(
                ArticleTranslation(
                    article=article, language=language, slug=f"a-{n}", title=title, body=body, published_at=now
                )
            )
        ArticleTranslation.objects.bulk_create(translations, batch_size=500)
        index_translations(ArticleTranslation.objects.select_related("article"), embed_later=False)
    words_done = time.perf_counter()
    progress(f"indexed the words of {len(articles)} translations in {words_done - started:.1f} s; embedding ...")
    embedded = dense.embed_pending()
    progress(f"embedded {embedded} passages in {time.perf_counter() - words_done:.1f} s")
    dense.forget_matrix()
    return pks


def evaluate(
    *, articles_path: Path, queries_path: Path, ks: tuple[int, ...], progress: Callable[[str], None]
) -> dict[str, Any]:
    articles = read_articles(articles_path)
    queries = read_queries(queries_path, {a.id for a in articles})
    with bench_database("kb_eval"):
        pks = _seed([(a.title, a.body, a.language, None) for a in articles], progress)
        pk_to_id = {pk: a.id for pk, a in zip(pks, articles, strict=True)}
        for language in sorted({q.language for q in queries}):  # the model and each vocabulary load once
            kb_search(query="warm up", language=language)
        result: dict[str, Any] = {"articles": len(articles), "queries": len(queries)}
        fused_ms: list[float] = []
        for mode in MODES:
            dense.query_cache_clear()  # each mode embeds its queries itself: no time saved by the one before
            recalls: dict[int, list[float]] = {k: [] for k in ks}
            reciprocal: list[float] = []
            for q in queries:
                started = time.perf_counter()
                found = kb_search(query=q.query, language=q.language, limit=RANKED, mode=mode)  # type: ignore[arg-type]
                if mode == "fused":
                    fused_ms.append((time.perf_counter() - started) * 1000)
                ranked = [pk_to_id[h.article_id] for h in found.hits]
                relevant = set(q.relevant)
                for k in ks:
                    recalls[k].append(len(relevant & set(ranked[:k])) / len(relevant))
                first = next((i for i, a in enumerate(ranked, start=1) if a in relevant), 0)
                reciprocal.append(1 / first if first else 0.0)
            result[mode] = {f"r{k}": round(statistics.fmean(recalls[k]), 4) for k in ks} | {
                "mrr": round(statistics.fmean(reciprocal), 4)
            }
        result["search_p95_ms"] = round(percentile(fused_ms, 0.95), 2)
        result["search_p50_ms"] = round(percentile(fused_ms, 0.50), 2)
    return result


def evaluation_table(result: dict[str, Any]) -> str:
    ks = [key for key in result["fused"] if key.startswith("r")]
    lines = [
        f"{result['articles']} articles, {result['queries']} queries",
        f"{'':8} " + " ".join(f"{'recall@' + k[1:]:>10}" for k in ks) + f" {'MRR':>8}",
    ]
    for mode in MODES:
        row = result[mode]
        lines.append(f"{mode:8} " + " ".join(f"{row[k]:>10.3f}" for k in ks) + f" {row['mrr']:>8.3f}")
    lines.append(f"fused search p50 {result['search_p50_ms']:.1f} ms, p95 {result['search_p95_ms']:.1f} ms")
    return "\n".join(lines) + "\n"


# --- speed -----------------------------------------------------------------------------------------------------

_TOPICS = [
    ("faktura", "invoice", "betala fakturan i tid med autogiro eller e-faktura", "pay the invoice on time"),
    ("hemförsäkring", "home insurance", "anmäl skadan och bifoga kvitton", "report the damage with receipts"),
    ("elavtal", "electricity contract", "byt avtal i appen eller ring oss", "switch contract in the app"),
    ("bredband", "broadband", "starta om routern och kontrollera kablarna", "restart the router and check cables"),
    ("flytt", "moving house", "anmäl flytten minst två veckor innan", "tell us two weeks before you move"),
    ("reseförsäkring", "travel insurance", "ring larmcentralen dygnet runt", "call the emergency line any time"),
    ("lösenord", "password", "logga in med BankID och välj ett nytt lösenord", "choose a new password"),
    ("mätarställning", "meter reading", "läs av mätaren varje månad", "read the meter monthly"),
]
_WORDS_SV = [
    "kund",
    "avtal",
    "pris",
    "månad",
    "dag",
    "vecka",
    "konto",
    "betalning",
    "skada",
    "ersättning",
    "ansökan",
    "kontakt",
    "tjänst",
]
_WORDS_EN = [
    "customer",
    "contract",
    "price",
    "month",
    "day",
    "week",
    "account",
    "payment",
    "damage",
    "refund",
    "request",
    "contact",
]


def _synthetic(n: int, rng: random.Random) -> list[tuple[str, str, str, str | None]]:
    rows: list[tuple[str, str, str, str | None]] = []
    for i in range(n):
        sv_topic, en_topic, sv_step, en_step = _TOPICS[i % len(_TOPICS)]
        extra_sv = " ".join(rng.choice(_WORDS_SV) for _ in range(40))
        extra_en = " ".join(rng.choice(_WORDS_EN) for _ in range(40))
        group = f"g{i}"
        rows.append((f"{sv_topic.capitalize()} {i}: så gör du", f"{sv_step}. {extra_sv}.", "sv", group))
        rows.append((f"{en_topic.capitalize()} {i}: how to", f"{en_step}. {extra_en}.", "en", group))
    return rows


def bench(*, articles: int, searches: int, progress: Callable[[str], None]) -> dict[str, Any]:
    rng = random.Random(7)  # noqa: S311 - seeded test data
    with bench_database("kb_bench"):
        rows = _synthetic(articles, rng)
        started = time.perf_counter()
        _seed(rows, progress)
        index_s = time.perf_counter() - started
        for language in ("sv", "en"):
            kb_search(query="warm up", language=language)
        figures: dict[str, Any] = {"articles": articles, "translations": len(rows)}
        figures["index_per_s"] = round(articles / index_s, 1) if index_s else 0.0
        for mode in MODES:
            dense.query_cache_clear()
            took = []
            for i in range(searches):
                sv_topic, en_topic, _s, _e = _TOPICS[i % len(_TOPICS)]
                text = f"{sv_topic} {rng.choice(_WORDS_SV)} {i}" if i % 2 else f"{en_topic} {rng.choice(_WORDS_EN)} {i}"
                t0 = time.perf_counter()
                kb_search(query=text, language="sv" if i % 2 else "en", mode=mode)  # type: ignore[arg-type]
                took.append((time.perf_counter() - t0) * 1000)
            figures[f"{mode}_p50_ms"] = round(percentile(took, 0.5), 2)
            figures[f"{mode}_p95_ms"] = round(percentile(took, 0.95), 2)
        figures |= _article_pages(rng, searches)
    return figures


def _article_pages(rng: random.Random, count: int) -> dict[str, Any]:
    """The help centre's article page, in-process through Django's test client (middleware, template, the
    view count and the trail cookie included), for random published translations."""
    slugs = list(ArticleTranslation.objects.values_list("language", "slug"))
    client = Client()
    took, queries = [], []
    for i in range(count + 10):
        language, slug = rng.choice(slugs)
        t0 = time.perf_counter()
        response = client.get(f"/help/{language}/a/{slug}")
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET /help/{language}/a/{slug} answered {response.status_code}")
        if i >= 10:  # after a warm-up
            took.append(elapsed)
    for language, slug in rng.sample(slugs, min(10, len(slugs))):  # counted apart: capturing costs time too
        with CaptureQueriesContext(connection) as ctx:
            client.get(f"/help/{language}/a/{slug}")
        queries.append(len(ctx.captured_queries))
    return {
        "article_page_p50_ms": round(percentile(took, 0.5), 2),
        "article_page_p95_ms": round(percentile(took, 0.95), 2),
        "article_page_queries": max(queries),
    }


def bench_table(f: dict[str, Any]) -> str:
    lines = [
        f"{f['articles']} articles ({f['translations']} translations), indexed at {f['index_per_s']} articles/s",
        f"{'search':8} {'p50 ms':>8} {'p95 ms':>8}",
    ]
    for mode in MODES:
        lines.append(f"{mode:8} {f[mode + '_p50_ms']:>8.1f} {f[mode + '_p95_ms']:>8.1f}")
    lines.append(
        f"help centre article page p50 {f['article_page_p50_ms']:.1f} ms, p95 {f['article_page_p95_ms']:.1f} ms "
        f"({f['article_page_queries']} queries)"
    )
    return "\n".join(lines) + "\n"
