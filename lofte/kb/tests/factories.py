"""Knowledge-base test data, written through the services (as the product writes it)."""

from __future__ import annotations

from lofte.kb import services
from lofte.kb.dense import embed_pending
from lofte.kb.models import ArticleTranslation, Category, Section, Visibility


def section(*, slug: str = "general", requires_review: bool = False, category: Category | None = None) -> Section:
    if category is None:
        category = Category.objects.filter(slug=f"{slug}-cat").first() or services.category_save(
            actor=None, slug=f"{slug}-cat", names={"en": "Help", "sv": "Hjälp"}, requires_review=requires_review
        )
    return Section.objects.filter(category=category, slug=slug).first() or services.section_save(
        actor=None, category=category, slug=slug, names={"en": "General", "sv": "Allmänt"}
    )


def article(
    title: str,
    body: str,
    *,
    language: str = "sv",
    visibility: str = Visibility.PUBLIC,
    publish: bool = True,
    in_section: Section | None = None,
    slug: str = "",
) -> ArticleTranslation:
    return services.article_create(
        actor=None,
        section=in_section or section(),
        language=language,
        title=title,
        body=body,
        slug=slug,
        visibility=visibility,
        publish=publish,
    )


def embedded() -> int:
    """Embed what is waiting (the background task's work, done now)."""
    return embed_pending()
