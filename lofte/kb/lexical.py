"""The lexical half of knowledge-base search: the database's own full-text index over the analysed words.

`lofte.kb.analysis` turns a translation into plain words (stems without diacritics, compound parts); this module
keeps them in `KbDocument` and asks the database which documents hold a query's words:

* PostgreSQL: a `document` tsvector beside the words, set by a trigger (the title's words weighted A, the body's
  D; the 'simple' configuration, since the words are already stemmed in their language), under a GIN index.
* SQLite: an FTS5 table over the title's and the body's words, kept by triggers.

Either way the database counts each asked word's documents (one query) and hands over the best candidates it
finds for the rarer words (PostgreSQL by ts_rank, SQLite by bm25), with their words; they are ranked here by BM25F
(the title's words count three times) over every asked word, so both databases rank alike. The number of
documents and their average length are read once per version of the index.
"""

# SQL here is built from this module's constants and table names only; what a user typed is always a parameter.
# ruff: noqa: S608

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from django.db import connection

from lofte.kb.dense import index_version
from lofte.kb.models import KbDocument

TABLE = KbDocument._meta.db_table
FTS = f"{TABLE}_fts"
CANDIDATES = 100  # documents the database hands over for ranking
K1 = 1.2
B = 0.75
TITLE_WEIGHT = 3.0

PG_INDEX = [
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS document tsvector",
    f"""CREATE OR REPLACE FUNCTION {TABLE}_document() RETURNS trigger AS $$
BEGIN
  NEW.document := setweight(to_tsvector('simple', coalesce(NEW.title_terms, '')), 'A')
    || setweight(to_tsvector('simple', coalesce(NEW.body_terms, '')), 'D');
  RETURN NEW;
END
$$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS {TABLE}_document ON {TABLE}",
    f"""CREATE TRIGGER {TABLE}_document BEFORE INSERT OR UPDATE OF title_terms, body_terms ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION {TABLE}_document()""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_document ON {TABLE} USING gin (document)",
]

SQLITE_INDEX = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(title_terms, body_terms, content='{TABLE}',
content_rowid='id', tokenize="unicode61 remove_diacritics 0", prefix='3')""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_ai AFTER INSERT ON {TABLE} BEGIN
  INSERT INTO {FTS}(rowid, title_terms, body_terms) VALUES (new.id, new.title_terms, new.body_terms);
END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_ad AFTER DELETE ON {TABLE} BEGIN
  INSERT INTO {FTS}({FTS}, rowid, title_terms, body_terms) VALUES ('delete', old.id, old.title_terms, old.body_terms);
END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS}_au AFTER UPDATE ON {TABLE} BEGIN
  INSERT INTO {FTS}({FTS}, rowid, title_terms, body_terms) VALUES ('delete', old.id, old.title_terms, old.body_terms);
  INSERT INTO {FTS}(rowid, title_terms, body_terms) VALUES (new.id, new.title_terms, new.body_terms);
END""",
]


def lexical_index_ensure(schema_connection=None) -> None:  # type: ignore[no-untyped-def]
    """Make the database's full-text index over the documents where it is missing (idempotent)."""
    conn = schema_connection or connection
    statements = {"postgresql": PG_INDEX, "sqlite": SQLITE_INDEX}.get(conn.vendor, [])
    with conn.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@dataclass(frozen=True, slots=True)
class LexicalHit:
    document_id: int
    translation_id: int
    article_id: int
    language: str
    score: float


def _pg_query(terms: list[str], prefix: str) -> str:
    parts = [f"'{t}'" for t in terms]
    if prefix:
        parts.append(f"'{prefix}':*")
    return " | ".join(parts)


def _fts_query(terms: list[str], prefix: str) -> str:
    parts = [f'"{t}"' for t in terms]
    if prefix:
        parts.append(f'"{prefix}"*')
    return " OR ".join(parts)


COMMON_SHARE = 0.1  # a word in more documents than this share does not pick candidates (it still counts)
_collection: list[tuple[int, int, float]] = [(-1, 0, 1.0)]  # (version, documents, average length)


def _collection_stats(version: int) -> tuple[int, float]:
    """How many documents there are and their average length (characters of words), read again only when the
    index's version moved (a full scan: 26 ms at 20,000 documents)."""
    known, total, average = _collection[0]
    if known != version:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*), avg(length(title_terms) + length(body_terms)) FROM {TABLE}")
            row = cursor.fetchone() or (0, 1.0)
        total, average = int(row[0] or 0), float(row[1] or 1.0)
        _collection[0] = (version, total, average)
    return total, average


def lexical_search(
    terms: list[str], *, prefix: str = "", public_only: bool, limit: int = 50, version: int | None = None
) -> list[LexicalHit]:
    """The documents holding any of `terms` (or a word beginning with `prefix`), best first by BM25F. The
    words in more than COMMON_SHARE of the documents do not pick the candidates when a rarer one is asked for
    (every document holds "kund" in a customer-service knowledge base); they still count in the ranking."""
    asked = list(dict.fromkeys(terms))
    if prefix and prefix in asked:
        prefix = ""
    if not asked and not prefix:
        return []
    total, average_chars = _collection_stats(index_version() if version is None else version)
    if not total:
        return []
    pg = connection.vendor == "postgresql"
    visible = "" if not public_only else " AND d.public = %s"
    visible_params: list[bool] = [] if not public_only else [True]
    with connection.cursor() as cursor:
        if asked:
            if pg:
                count = f"(SELECT count(*) FROM {TABLE} WHERE document @@ to_tsquery('simple', %s))"
                cursor.execute("SELECT " + ", ".join([count] * len(asked)), [_pg_query([t], "") for t in asked])
            else:
                count = f"(SELECT count(*) FROM {FTS} WHERE {FTS} MATCH %s)"
                cursor.execute("SELECT " + ", ".join([count] * len(asked)), [_fts_query([t], "") for t in asked])
            df = {term: int(n or 0) for term, n in zip(asked, cursor.fetchone(), strict=True)}
        else:
            df = {}
        picking = [t for t in asked if df[t] <= COMMON_SHARE * total] or (
            [min(asked, key=lambda t: df[t])] if asked else []
        )
        if pg:
            query = _pg_query(picking, prefix)
            cursor.execute(
                f"""SELECT d.id, d.translation_id, d.article_id, d.language, d.title_terms, d.body_terms
FROM {TABLE} d WHERE d.document @@ to_tsquery('simple', %s){visible}
ORDER BY ts_rank(d.document, to_tsquery('simple', %s)) DESC, d.id LIMIT %s""",
                [query, *visible_params, query, CANDIDATES],
            )
        else:
            cursor.execute(
                f"""SELECT d.id, d.translation_id, d.article_id, d.language, d.title_terms, d.body_terms
FROM {FTS} JOIN {TABLE} d ON d.id = {FTS}.rowid WHERE {FTS} MATCH %s{visible}
ORDER BY bm25({FTS}, {TITLE_WEIGHT}, 1.0), d.id LIMIT %s""",
                [_fts_query(picking, prefix), *visible_params, CANDIDATES],
            )
        candidates = cursor.fetchall()
    if not candidates:
        return []
    return _ranked(candidates, df, total, average_chars, prefix, limit)


def _idf(df: int, total: int) -> float:
    return math.log(1 + (total - df + 0.5) / (df + 0.5))


def _ranked(
    candidates: list[tuple], df: dict[str, int], total: int, average_chars: float, prefix: str, limit: int
) -> list[LexicalHit]:
    """BM25F over the candidates: each term's frequency is the title's count times TITLE_WEIGHT plus the body's,
    normalised by the document's length against the average (in characters: the same on both databases)."""
    idf = {term: _idf(n, total) for term, n in df.items()}
    prefix_idf = _idf(max(1, total // 20), total) * 0.5 if prefix else 0.0
    hits = []
    for doc_id, translation_id, article_id, language, title_terms, body_terms in candidates:
        title = Counter(title_terms.split())
        body = Counter(body_terms.split())
        norm = 1 - B + B * (len(title_terms) + len(body_terms)) / average_chars
        score = 0.0
        for term, weight in idf.items():
            tf = TITLE_WEIGHT * title.get(term, 0) + body.get(term, 0)
            if tf:
                score += weight * tf * (K1 + 1) / (tf + K1 * norm)
        if prefix:
            tf = TITLE_WEIGHT * sum(n for w, n in title.items() if w.startswith(prefix)) + sum(
                n for w, n in body.items() if w.startswith(prefix)
            )
            if tf:
                score += prefix_idf * tf * (K1 + 1) / (tf + K1 * norm)
        if score > 0:
            hits.append(LexicalHit(doc_id, translation_id, article_id, language, score))
    hits.sort(key=lambda h: (-h.score, h.document_id))
    return hits[:limit]
