"""Help-centre fixtures: a category with a section and articles made with the kb services, as the editor does."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from lofte.kb import services
from lofte.kb.models import ArticleTranslation, Category, Section, Visibility


@dataclass
class Kb:
    category: Category
    section: Section
    reset_en: ArticleTranslation  # public, published in en and sv
    reset_sv: ArticleTranslation
    invoice_en: ArticleTranslation  # public, published in en only
    internal_en: ArticleTranslation  # internal, published
    draft_en: ArticleTranslation  # public, never published


def make_article(section: Section, title: str, *, slug: str = "", language: str = "en", body: str = "", **kw):  # type: ignore[no-untyped-def]
    return services.article_create(
        actor=None,
        section=section,
        language=language,
        title=title,
        body=body or f"How to {title.lower()}: follow these steps.",
        slug=slug,
        publish=kw.pop("publish", True),
        **kw,
    )


@pytest.fixture
def kb(db) -> Kb:  # type: ignore[no-untyped-def]
    category = services.category_save(
        actor=None, slug="account", names={"en": "Your account", "sv": "Ditt konto"}, descriptions={"en": "Log in."}
    )
    section = services.section_save(
        actor=None, category=category, slug="login", names={"en": "Logging in", "sv": "Logga in"}
    )
    reset_en = make_article(
        section, "Reset your password", slug="reset-password", body="Click **Forgot password** on the login page."
    )
    reset_sv = services.translation_add(
        actor=None,
        article=reset_en.article,
        language="sv",
        title="Återställ ditt lösenord",
        body="Klicka på **Glömt lösenord** på inloggningssidan.",
        slug="aterstall-losenord",
        publish=True,
    )
    invoice_en = make_article(section, "Pay an invoice", slug="pay-invoice", body="Pay the invoice by bank transfer.")
    internal_en = make_article(
        section, "Refund override", slug="refund-override", visibility=Visibility.INTERNAL, body="Secret steps."
    )
    draft_en = make_article(section, "Coming soon", slug="coming-soon", publish=False, body="Not yet.")
    return Kb(category, section, reset_en, reset_sv, invoice_en, internal_en, draft_en)


def many_articles(section: Section, n: int) -> None:
    for i in range(n):
        t = make_article(section, f"Extra article {i}", slug=f"extra-{i}")
        services.translation_add(
            actor=None, article=t.article, language="sv", title=f"Extra artikel {i}", body="Text.", publish=True
        )
