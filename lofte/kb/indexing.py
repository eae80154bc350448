"""Keeping the search index in step with what is published: one call when a translation goes live or changes,
one when it stops being live. The words are written at once (cheap); the passages are written without their
embeddings and a background task embeds them after the commit (lofte.kb.dense.embed_pending)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from lofte.kb import analysis
from lofte.kb.dense import index_version_bump, passages, plain
from lofte.kb.models import ArticleTranslation, KbChunk, KbDocument, Visibility


def _document(translation: ArticleTranslation, public: bool) -> KbDocument:
    return KbDocument(
        translation=translation,
        article_id=translation.article_id,
        language=translation.language,
        public=public,
        title_terms=" ".join(analysis.terms(translation.title, translation.language)),
        body_terms=" ".join(analysis.terms(plain(translation.body), translation.language)),
    )


def _chunks(translation: ArticleTranslation, public: bool) -> list[KbChunk]:
    return [
        KbChunk(
            translation=translation,
            article_id=translation.article_id,
            language=translation.language,
            public=public,
            position=position,
            text=text,
        )
        for position, text in enumerate(passages(translation.title, translation.body))
    ]


def index_translations(translations: Iterable[ArticleTranslation], *, embed_later: bool = True) -> int:
    """Write the index rows of each (live) translation anew; answers how many. Each translation's `article` is
    read for its visibility (select_related it). With `embed_later`, the embedding task is queued after commit."""
    items = list(translations)
    if not items:
        return 0
    ids = [t.pk for t in items]
    with transaction.atomic():
        KbDocument.objects.filter(translation_id__in=ids).delete()
        KbChunk.objects.filter(translation_id__in=ids).delete()
        documents, chunks = [], []
        for translation in items:
            public = translation.article.visibility == Visibility.PUBLIC
            documents.append(_document(translation, public))
            chunks.extend(_chunks(translation, public))
        KbDocument.objects.bulk_create(documents, batch_size=500)
        KbChunk.objects.bulk_create(chunks, batch_size=500)
        index_version_bump()
        if embed_later:
            transaction.on_commit(_embed_later)
    return len(items)


def unindex_translations(translation_ids: Iterable[int]) -> None:
    ids = list(translation_ids)
    with transaction.atomic():
        KbDocument.objects.filter(translation_id__in=ids).delete()
        KbChunk.objects.filter(translation_id__in=ids).delete()
        index_version_bump()


def visibility_changed(article_id: int, public: bool) -> None:
    with transaction.atomic():
        KbDocument.objects.filter(article_id=article_id).update(public=public)
        KbChunk.objects.filter(article_id=article_id).update(public=public)
        index_version_bump()


def _embed_later() -> None:
    from lofte.kb.tasks import kb_embed_pending

    kb_embed_pending.enqueue()
