"""Search over what was written on a case: one row of text per case (`CaseSearch`), an index of the database's
own over it, and the one query that the inbox, the API and the customer page use.

Writing: `search_case_opened` when a case is opened, `search_text_add` for every message written on it (the
customer's and the agents'; automatic messages are not searched) and for a new subject, `search_rebuild` for what
was written before (the migration, the benchmarks' bulk seeding). Customers' names have an index of their own,
kept by the database alone.

The index (made by the migration, and by `search_index_ensure` after every migrate, so a test database made
without migrations has it too):

* PostgreSQL: a `document` tsvector beside the text, set by a trigger: the words as written ('simple') and the
  words stemmed in the case's language ('swedish', 'danish', 'norwegian', 'finnish', 'english'), under a GIN
  index. A query matches a word by its beginning as written, or by its stem in any of the five languages (a
  Finnish customer's case found by a Swedish-speaking agent's word is still found by the word as written).
  Ranked by ts_rank. Customers' names: a GIN index over their words as written.
* SQLite: an FTS5 table over the text (unicode61, diacritics folded), kept by triggers; each word of the query
  matches by its beginning. Ranked by bm25. Customers' names: an FTS5 table of their own, kept by triggers.
"""

# SQL here is built from this module's constants and table names only; what a user typed is always a parameter.
# ruff: noqa: S608, S611

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Iterable

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, F, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat

from lofte.cases.models import Case, CaseSearch
from lofte.customers.models import Customer

CONFIGS = {"sv": "swedish", "da": "danish", "nb": "norwegian", "fi": "finnish", "en": "english"}
MAX_TERMS = 8
_WORD = re.compile(r"\w+", re.UNICODE)

TABLE = CaseSearch._meta.db_table
FTS = f"{TABLE}_fts"
CUSTOMERS = Customer._meta.db_table
CUSTOMERS_FTS = f"{CUSTOMERS}_fts"

_PG_CONFIG_CASE = (
    "CASE NEW.language " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in CONFIGS.items()) + " ELSE 'simple' END"
)
PG_INDEX = [
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS document tsvector",
    f"""CREATE OR REPLACE FUNCTION {TABLE}_document() RETURNS trigger AS $$
BEGIN
  NEW.document := to_tsvector('simple', coalesce(NEW.text, ''))
    || to_tsvector(({_PG_CONFIG_CASE})::regconfig, coalesce(NEW.text, ''));
  RETURN NEW;
END
$$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS {TABLE}_document ON {TABLE}",
    f"""CREATE TRIGGER {TABLE}_document BEFORE INSERT OR UPDATE OF language, text ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION {TABLE}_document()""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_document ON {TABLE} USING gin (document)",
    f"CREATE INDEX IF NOT EXISTS {CUSTOMERS}_name_words ON {CUSTOMERS} USING gin (to_tsvector('simple', name))",
]


def _fts5(table: str, fts: str, key: str, column: str) -> list[str]:
    """An FTS5 index over `table.column` (rowid: `key`), kept in step by triggers."""
    return [
        f"""CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({column}, content='{table}', content_rowid='{key}',
tokenize="unicode61 remove_diacritics 2")""",
        f"""CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN
  INSERT INTO {fts}(rowid, {column}) VALUES (new.{key}, new.{column});
END""",
        f"""CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN
  INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.{key}, old.{column});
END""",
        f"""CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {column} ON {table} BEGIN
  INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.{key}, old.{column});
  INSERT INTO {fts}(rowid, {column}) VALUES (new.{key}, new.{column});
END""",
    ]


SQLITE_INDEX = [*_fts5(TABLE, FTS, "case_id", "text"), *_fts5(CUSTOMERS, CUSTOMERS_FTS, "id", "name")]


def search_index_ensure(schema_connection=None) -> None:  # type: ignore[no-untyped-def]
    """Make the database's index over the search texts where it is missing (idempotent)."""
    conn = schema_connection or connection
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            for sql in PG_INDEX:
                cursor.execute(sql)
    elif conn.vendor == "sqlite":
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [CUSTOMERS_FTS])
            new = cursor.fetchone() is None
            for sql in SQLITE_INDEX:
                cursor.execute(sql)
            if new:  # the customers written before the index
                cursor.execute(f"INSERT INTO {CUSTOMERS_FTS}({CUSTOMERS_FTS}) VALUES ('rebuild')")


# --- writing ------------------------------------------------------------------------------------------


def search_case_opened(case: Case, body: str) -> None:
    CaseSearch.objects.create(case=case, language=case.language, text=f"{case.subject}\n{body}")


def search_text_add(case: Case, text: str) -> None:
    """Append `text` (a message, a new subject) to the case's search text."""
    if text := (text or "").strip():
        CaseSearch.objects.filter(pk=case.pk).update(text=Concat(F("text"), Value("\n" + text)))


def search_rebuild(case_ids: Iterable[int] | None = None) -> int:
    """Write the search text of every case (or of `case_ids`) from what is stored, as the services write it
    along the way: the subject, then each message that is not automatic (its new words when it quotes earlier
    ones), in order. Answers the number of cases written."""
    from lofte.cases.models import Message

    text = "COALESCE(NULLIF(m.visible_text, ''), m.body_text)"
    if connection.vendor == "postgresql":
        aggregate = f"string_agg({text}, %s ORDER BY m.created_at, m.id)"
        ordered = Message._meta.db_table
    else:  # SQLite's group_concat takes the rows in the order the subquery gives them
        aggregate = f"group_concat({text}, %s)"
        ordered = f"(SELECT * FROM {Message._meta.db_table} ORDER BY created_at, id)"
    where, ids = "", []
    if case_ids is not None:
        ids = list(case_ids)
        if not ids:
            return 0
        where = f"WHERE c.id IN ({', '.join(['%s'] * len(ids))})"
        CaseSearch.objects.filter(pk__in=ids).delete()
    else:
        CaseSearch.objects.all().delete()
    sql = f"""INSERT INTO {TABLE} (case_id, language, text)
SELECT c.id, c.language, c.subject || COALESCE(%s || b.body, '')
FROM {Case._meta.db_table} c LEFT JOIN (
  SELECT m.case_id, {aggregate} AS body FROM {ordered} m WHERE m.is_automatic = %s GROUP BY m.case_id
) b ON b.case_id = c.id {where}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, ["\n", "\n", False, *ids])
        return int(cursor.rowcount)


# --- reading ------------------------------------------------------------------------------------------


def search_terms(q: str) -> list[str]:
    """The words of `q` that search looks for (the first MAX_TERMS); none means there is nothing to search."""
    return _WORD.findall(q.lower())[:MAX_TERMS]


def search_q(q: str, *, per_case: bool = False) -> Q | None:
    """Cases whose search text matches every word of `q`, or whose customer's name does (None: no word).

    As a set of matching cases (the index's matches, all of them), or, with `per_case` on PostgreSQL, as a test
    of each case's own document (`search_walk` finds a common word's first page so, a chunk of cases at a time)."""
    terms = search_terms(q)
    if not terms:
        return None
    if connection.vendor == "postgresql":
        query = _pg_tsquery(tuple(terms))
        prefix = " & ".join(f"{t}:*" for t in terms)  # \w+ only: nothing to escape
        if per_case:
            words = Q(
                RawSQL(
                    f"EXISTS (SELECT 1 FROM {TABLE} s WHERE s.case_id = {Case._meta.db_table}.id "
                    "AND s.document @@ %s::tsquery)",
                    [query],
                    output_field=BooleanField(),
                )
            )
        else:
            words = Q(pk__in=RawSQL(f"SELECT case_id FROM {TABLE} WHERE document @@ %s::tsquery", [query]))
        return words | Q(
            customer_id__in=RawSQL(
                f"SELECT id FROM {CUSTOMERS} WHERE to_tsvector('simple', name) @@ to_tsquery('simple', %s)",
                [prefix],
            )
        )
    match = _fts_query(terms)
    return Q(pk__in=RawSQL(f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s", [match])) | Q(
        customer_id__in=RawSQL(f"SELECT rowid FROM {CUSTOMERS_FTS} WHERE {CUSTOMERS_FTS} MATCH %s", [match])
    )


WALK_CHUNK = 400  # cases tested per round of a walk
WALK_MAX_CHUNKS = 20


def search_walk(q: str) -> int:
    """How many chunks of WALK_CHUNK cases a list searching for `q` should walk in its order, testing each one's
    document (`search_q(per_case=True)`, `lofte.core.pagination.paginate_walk`), before it gathers every match
    instead; 0: gather at once.

    PostgreSQL gathers the matches through the GIN index, reading each one's row for its case, some 5
    microseconds a match: for a common word (80,000 matches at a million cases) half a second before the first
    row. Testing one case's document costs about 50 microseconds, so a word that many cases match is found
    faster case by case, in list order, until the page is full. The planner's estimate of the matches (its
    statistics of the words) decides: above `LOFTE_SEARCH_WALK_ABOVE` a walk, of at most a tenth as many cases
    as the estimate (costing about what gathering would), so a walk that finds too little (the newest cases do
    not have the word) costs at most twice the gathering. SQLite's FTS5 gathers fast enough: never there."""
    terms = search_terms(q)
    if not terms or connection.vendor != "postgresql" or 0 <= _pg_documents() <= settings.LOFTE_SEARCH_WALK_ABOVE:
        return 0  # (with fewer documents than that in all, no word can be in more: no plan asked for)
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {TABLE} WHERE document @@ %s::tsquery",
            [_pg_tsquery(tuple(terms))],
        )
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    if estimate <= settings.LOFTE_SEARCH_WALK_ABOVE:
        return 0
    return max(1, min(WALK_MAX_CHUNKS, estimate // (10 * WALK_CHUNK)))


DOCUMENTS_SECONDS = 600.0
_documents: tuple[float, float] | None = None  # (asked at, count)


def _pg_documents() -> float:
    """The planner's count of search documents (pg_class.reltuples, -1 before the table's first ANALYZE), asked
    at most every DOCUMENTS_SECONDS per process: a search then asks for no plan while the company has fewer
    cases than a word would need for a walk."""
    global _documents
    if _documents is None or time.monotonic() - _documents[0] > DOCUMENTS_SECONDS:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [TABLE])
            _documents = (time.monotonic(), float(cursor.fetchone()[0]))
    return _documents[1]


def search_rank(q: str) -> RawSQL | None:
    """How well each case matches `q`, higher first (for the relevance sort)."""
    terms = search_terms(q)
    if not terms:
        return None
    if connection.vendor == "postgresql":
        # float8: ts_rank's real would come back rounded, and a page's cursor would no longer equal its row's rank
        case = Case._meta.db_table
        return RawSQL(
            f"SELECT ts_rank(s.document, %s::tsquery)::float8 FROM {TABLE} s WHERE s.case_id = {case}.id",
            [_pg_tsquery(tuple(terms))],
        )
    return RawSQL(
        f"SELECT -bm25({FTS}) FROM {FTS} WHERE {FTS} MATCH %s AND rowid = {Case._meta.db_table}.id",
        [_fts_query(terms)],
    )


@functools.lru_cache(maxsize=512)
def _pg_tsquery(terms: tuple[str, ...]) -> str:
    """The query as tsquery text: per word, its beginning as written or any of its stems (each stem once), every
    word required. The stems come from PostgreSQL's stemmers in a query of their own (one for all the words), so
    that the search gets a constant: the planner then tells from its statistics how many cases match (built
    inside the same statement, or with a stem repeated per language, it guesses a third of them and reads every
    document instead of using the GIN index). Stemming never changes, so each process asks once per query."""
    stems = ", ".join(f"plainto_tsquery('{c}', t.term)::text" for c in CONFIGS.values())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.term, {stems} FROM unnest(%s::text[]) WITH ORDINALITY AS t(term, n) ORDER BY t.n", [list(terms)]
        )
        rows = cursor.fetchall()
    words = []
    for term, *found in rows:
        alternatives = [f"'{term}':*"]  # \w+ only: nothing to escape
        for stem in found:
            if stem and stem != f"'{term}'" and f"({stem})" not in alternatives:
                alternatives.append(f"({stem})")
        words.append("(" + " | ".join(alternatives) + ")")
    return " & ".join(words)


def _fts_query(terms: list[str]) -> str:
    return " ".join('"' + t.replace('"', '""') + '"*' for t in terms)
