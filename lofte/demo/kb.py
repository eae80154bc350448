"""The demo help centre: the categories, sections and articles of lofte/demo/kb_content.py, written through the
knowledge base's services and published (their embeddings are computed by the worker, as in production)."""

from __future__ import annotations

import re

from lofte.kb import services
from lofte.kb.models import Article, Category

DEFAULT_LANGUAGE_ORDER = ("sv", "en", "fi", "da", "nb")
_BLOCK_START = re.compile(r"^\s*(#{1,6}\s|[-*+]\s|\d+[.)]\s|>)")


def unwrapped(body: str) -> str:
    """The Markdown with the lines of each paragraph joined (the content file wraps them for reading; a line
    break in an article is a break on the page)."""
    out: list[str] = []
    for line in body.strip().splitlines():
        previous = out[-1] if out else ""
        if line.strip() and previous.strip() and not _BLOCK_START.match(line) and not previous.lstrip().startswith("#"):
            out[-1] = f"{previous.rstrip()} {line.strip()}"
        else:
            out.append(line)
    return "\n".join(out)


def seed_kb() -> int:
    """Write the demo help centre (once); answers how many articles were written."""
    from lofte.demo.kb_content import ARTICLES, CATEGORIES

    if Category.objects.exists():
        return 0
    sections = {}
    for position, spec in enumerate(CATEGORIES):
        category = services.category_save(
            actor=None,
            slug=spec["slug"],
            names=spec["names"],
            descriptions=spec.get("descriptions", {}),
            requires_review=spec.get("requires_review", False),
            position=position,
        )
        for section_position, section in enumerate(spec["sections"]):
            sections[(spec["slug"], section["slug"])] = services.section_save(
                actor=None, category=category, slug=section["slug"], names=section["names"], position=section_position
            )
    articles: list[Article] = []
    for spec in ARTICLES:
        translations = spec["translations"]
        languages = sorted(translations, key=lambda code: DEFAULT_LANGUAGE_ORDER.index(code))
        first, *rest = languages
        translation = services.article_create(
            actor=None,
            section=sections[(spec["category"], spec["section"])],
            language=first,
            title=translations[first]["title"],
            body=unwrapped(translations[first]["body"]),
            visibility=spec.get("visibility", "public"),
            publish=True,
        )
        article = translation.article
        for language in rest:
            services.translation_add(
                actor=None,
                article=article,
                language=language,
                title=translations[language]["title"],
                body=unwrapped(translations[language]["body"]),
                publish=True,
            )
        fallback = spec.get("fallback_language", first)
        article.fallback_language = fallback if fallback in translations else first
        article.save(update_fields=["fallback_language"])
        articles.append(article)
    for article, spec in zip(articles, ARTICLES, strict=True):
        related = [articles[i] for i in spec.get("related", []) if 0 <= i < len(articles) and articles[i] != article]
        if related:
            article.related.add(*related)
    return len(articles)
