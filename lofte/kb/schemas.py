"""The knowledge base's API schemas."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from lofte.core.schemas import InSchema
from lofte.kb.models import Channel, Visibility


class SearchHitOut(Schema):
    article_id: int
    language: str = Field(..., description="The language of the translation shown.")
    title: str
    slug: str
    snippet: str
    score: float
    fallback: bool = Field(..., description="True when the article has no translation in the language asked for.")
    internal: bool
    good: bool = Field(..., description="A good match; when no result is, offer the ways to a person first.")
    url: str | None = Field(None, description="The help-centre address; none for an internal article.")


class SearchOut(Schema):
    query: str
    language: str
    good: bool
    message: str = Field("", description="Why there was nothing to search for (a query of no words).")
    results: list[SearchHitOut]


class TranslationOut(Schema):
    language: str
    slug: str
    title: str
    body: str = Field(..., description="The live (published) Markdown.")
    published: bool
    published_at: datetime | None
    url: str | None


class ArticleOut(Schema):
    id: int
    section: int = Field(..., alias="section_id")
    visibility: Visibility
    fallback_language: str
    translations: list[TranslationOut]


class ArticleIn(InSchema):
    section: int
    language: str = Field(..., max_length=8)
    title: str = Field(..., max_length=200)
    body: str = Field(..., max_length=100_000)
    slug: str = Field("", max_length=120)
    visibility: Visibility = Visibility.PUBLIC
    publish: bool = Field(False, description="Publish at once (only where the category needs no review).")


class VoteIn(InSchema):
    language: str = Field(..., max_length=8)
    helpful: bool
    comment: str = Field("", max_length=2000)
    channel: Channel = Channel.API
