"""The knowledge base's API: the one search, articles, "did this help?". Thin handlers.

Every signed-in agent (any role) reads every article, internal ones too; writing needs KB_WRITE, publishing at
once where the category asks for review needs KB_PUBLISH (lofte.kb.services).
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router, Status

from lofte.accounts.models import Agent
from lofte.core.schemas import ErrorOut
from lofte.kb import queries, services
from lofte.kb.models import Visibility
from lofte.kb.schemas import ArticleIn, ArticleOut, SearchOut, VoteIn
from lofte.kb.search import MAX_QUERY, kb_search

router = Router(tags=["knowledge base"])


def _agent(request: HttpRequest) -> Agent:
    return request.auth  # type: ignore[attr-defined,no-any-return]


@router.get(
    "/kb/search",
    response={200: SearchOut},
    summary="Search the knowledge base: lexical and dense search, fused",
    description="The same search as the help centre, the contact form's suggestions and the reply box. Agents see "
    "internal articles too. A result in another language than asked for is marked `fallback`. A query of "
    f"more than {MAX_QUERY} characters or an unknown language is a 422 naming it; a query of no words answers "
    "no results with a `message`.",
)
def search(
    request: HttpRequest,
    q: Annotated[str, Query(description="What to search for.")] = "",
    language: Annotated[str, Query(description="The reader's language: en, sv, da, nb or fi.")] = "en",
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> object:
    result = kb_search(query=q, language=language, agent=True, limit=limit)
    return {
        "query": result.query,
        "language": result.language,
        "good": result.good,
        "message": result.message,
        "results": [
            {
                "article_id": h.article_id,
                "language": h.language,
                "title": h.title,
                "slug": h.slug,
                "snippet": h.snippet,
                "score": h.score,
                "fallback": h.fallback,
                "internal": not h.public,
                "good": h.good,
                "url": queries.public_url(h.language, h.slug) if h.public else None,
            }
            for h in result.hits
        ],
    }


@router.get("/kb/articles", response=list[ArticleOut], summary="Articles with their translations")
def list_articles(
    request: HttpRequest,
    visibility: Visibility | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> object:
    articles = queries.articles_for_api()
    if visibility:
        articles = articles.filter(visibility=visibility)
    return [queries.article_out(a) for a in articles[offset : offset + limit]]


@router.get("/kb/articles/{article_id}", response={200: ArticleOut, 404: ErrorOut}, summary="One article")
def get_article(request: HttpRequest, article_id: int) -> object:
    return queries.article_out(queries.article_get(article_id))


@router.post(
    "/kb/articles",
    response={201: ArticleOut, 403: ErrorOut, 404: ErrorOut},
    summary="Write a new article (its first translation)",
    description="403 for a role that may not write (QA reviewers), or for `publish` in a category that asks for "
    "review when the role may not publish there; 404 for an unknown section; 422 naming the field for a missing "
    "title or body, an unknown language or a slug another article has.",
)
def create_article(request: HttpRequest, data: ArticleIn) -> object:
    translation = services.article_create(
        actor=_agent(request),
        section=queries.section_get(data.section),
        language=data.language,
        title=data.title,
        body=data.body,
        slug=data.slug,
        visibility=data.visibility,
        publish=data.publish,
    )
    return Status(201, queries.article_out(queries.article_get(translation.article_id)))


@router.post(
    "/kb/articles/{article_id}/votes",
    response={204: None, 404: ErrorOut},
    summary='Record a "did this help?" answer for an article',
    description="For a channel that asks its readers (a chat widget, an app). 404 for an unknown article.",
)
def vote(request: HttpRequest, article_id: int, data: VoteIn) -> object:
    services.vote_record(
        article=queries.article_get(article_id),
        language=data.language,
        channel=data.channel,
        helpful=data.helpful,
        comment=data.comment,
    )
    return Status(204, None)
