"""The knowledge base's reads for the agents' pages: translation states, the reports' exact counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from lofte.accounts.models import Agent
from lofte.kb import selectors, services
from lofte.kb.models import ArticleVote, SearchLog
from lofte.kb.tests.test_views import login, make_kb, make_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db) -> dict[str, Agent]:  # type: ignore[no-untyped-def]
    return make_people()


@pytest.fixture
def kb(db) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return make_kb()


def votes(article_id: int, language: str, channel: str, yes: int, no: int, comment: str = "") -> None:
    for helpful, n in ((True, yes), (False, no)):
        for _ in range(n):
            ArticleVote.objects.create(
                article_id=article_id, language=language, channel=channel, helpful=helpful, comment=comment
            )


def test_the_least_helpful_report_counts_exactly_worst_first(kb):
    public, internal = kb["public"].article_id, kb["internal"].article_id
    votes(public, "en", "help_centre", yes=3, no=1)
    votes(public, "en", "portal", yes=0, no=1)  # en: 3 yes, 2 no, 60%
    votes(public, "sv", "help_centre", yes=1, no=2)  # sv: 33%
    votes(internal, "en", "agent", yes=1, no=1)  # 2 votes: too few
    report = selectors.report_least_helpful()
    assert [(r.article_id, r.language, r.yes, r.no, r.share) for r in report.rows] == [
        (public, "sv", 1, 2, 33),
        (public, "en", 3, 2, 60),
    ]
    assert report.rows[1].channels == [
        {"channel": "help_centre", "label": "Help centre", "yes": 3, "no": 1, "share": 75},
        {"channel": "portal", "label": "Portal", "yes": 0, "no": 1, "share": 0},
    ]
    assert report.rows[0].title == "Ändra fakturaadressen"
    assert (report.fewer_votes, report.capped) == (1, False)


def test_the_failed_searches_report_groups_by_lower_case_query_and_language(kb):
    now = timezone.now()
    for query, language, good, days in [
        ("Faktura", "sv", False, 1),
        ("faktura", "sv", False, 2),
        ("FAKTURA", "sv", False, 29),
        ("faktura", "fi", False, 3),
        ("faktura", "sv", True, 1),  # found something good
        ("faktura", "sv", False, 31),  # too old
        ("refund", "en", False, 5),
    ]:
        log = SearchLog.objects.create(query=query, language=language, channel="help_centre", found=0, good=good)
        SearchLog.objects.filter(pk=log.pk).update(created_at=now - timedelta(days=days))
    report = selectors.report_failed_searches(now=now)
    assert [(r["q"], r["language"], r["count"]) for r in report.rows] == [
        ("faktura", "sv", 3),
        ("faktura", "fi", 1),
        ("refund", "en", 1),
    ]
    assert report.rows[0]["last"] == now - timedelta(days=1)
    assert report.capped is False


def test_the_failed_searches_report_is_capped_with_a_note(client, people, kb):
    SearchLog.objects.bulk_create(
        SearchLog(query=f"q{i}", language="en", channel="portal", found=0, good=False)
        for i in range(selectors.REPORT_CAP + 1)
    )
    report = selectors.report_failed_searches()
    assert (len(report.rows), report.capped) == (selectors.REPORT_CAP, True)
    page = login(client, people, "agent").get("/kb/reports").content.decode()
    assert "Only the 100 most frequent are shown." in page


def test_the_reports_page_shows_the_counts(client, people, kb):
    public = kb["public"].article_id
    votes(public, "en", "help_centre", yes=1, no=3, comment="Did not work for me")
    page = login(client, people, "lead").get("/kb/reports").content.decode()
    row = page.split(f'<tr data-article="{public}" data-language="en">')[1].split("</tr>")[0]
    assert '<td class="num" data-yes>1</td>' in row
    assert '<td class="num" data-no>3</td>' in row
    assert '<td class="num" data-share>25%</td>' in row
    assert "Did not work for me" in page
    assert "Every search in these days found a good answer." in page


def test_translation_states(kb):
    translations = {
        t.language: t for t in selectors.translations_annotated().filter(article_id=kb["public"].article_id)
    }
    assert selectors.translation_state(translations["en"]) == selectors.STATE_PUBLISHED
    revision = services.translation_save(actor=None, translation=kb["internal"], title="T", body="B")
    services.revision_submit(actor=None, revision=revision)
    internal = selectors.translation_get(article_id=kb["internal"].article_id, language="en")
    assert (internal.latest_state, internal.latest_number) == ("submitted", 2)  # type: ignore[attr-defined]
    assert selectors.translation_state(internal) == selectors.STATE_REVIEW


def test_revision_pair(kb):
    services.translation_save(actor=None, translation=kb["public"], title="Two", body="Second")
    second, first = selectors.revision_pair(kb["public"], 2)
    assert (second.number, first.number if first else None) == (2, 1)
    only, none = selectors.revision_pair(kb["public"], 1)
    assert (only.number, none) == (1, None)
