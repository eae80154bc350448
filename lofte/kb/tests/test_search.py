"""The one search: lexical, dense and fused; public against internal; languages; bad input."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.core.errors import ValidationFailed
from lofte.kb import services
from lofte.kb.models import KbChunk, KbDocument, Visibility
from lofte.kb.search import kb_search
from lofte.kb.tests.factories import article, embedded

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles():  # type: ignore[no-untyped-def]
    water = article(
        "Hur anmäler jag en vattenskada?",
        "Har du fått en vattenskada i bostaden anmäler du den på Mina sidor. Hemförsäkringen ersätter läckage.",
    )
    due = article("Byta betalningsdag", "Välj om fakturan ska betalas den 1:a eller den 25:e varje månad.")
    router = article(
        "How do I restart my router?", "Unplug the router for 30 seconds and plug it back in.", language="en"
    )
    outage = article(
        "Strømbrudd: hva gjør jeg?",
        "Ved strømbrudd, sjekk sikringene først. Er hele nabolaget uten strøm, se driftsmeldingene våre.",
        language="nb",
    )
    secret = article(
        "Rabattkoder för personal",
        "Interna rabattkoder för hemförsäkring finns i personalhandboken.",
        visibility=Visibility.INTERNAL,
    )
    embedded()
    return {"water": water, "due": due, "router": router, "outage": outage, "secret": secret}


def ids(result) -> list[int]:  # type: ignore[no-untyped-def]
    return [h.article_id for h in result.hits]


def test_a_compound_finds_the_words_written_apart_and_the_other_way(articles) -> None:  # type: ignore[no-untyped-def]
    found = kb_search(query="försäkring för hemmet vatten", language="sv", mode="lexical")
    assert ids(found)[0] == articles["water"].article_id
    assert found.hits[0].good is True


def test_typed_without_diacritics_still_found(articles) -> None:  # type: ignore[no-untyped-def]
    assert ids(kb_search(query="vattenskada hemforsakring", language="sv", mode="lexical"))[0] == (
        articles["water"].article_id
    )


def test_everyday_words_find_the_answer_by_meaning(articles) -> None:  # type: ignore[no-untyped-def]
    assert ids(kb_search(query="internet not working, the box blinks", language="en"))[0] == (
        articles["router"].article_id
    )


def test_a_swedish_question_finds_the_norwegian_article_and_says_so(articles) -> None:  # type: ignore[no-untyped-def]
    found = kb_search(query="strömavbrott, vad gör jag?", language="sv")
    first = found.hits[0]
    assert first.article_id == articles["outage"].article_id
    assert (first.language, first.fallback) == ("nb", True)


def test_the_readers_language_is_shown_when_the_article_has_it(articles) -> None:  # type: ignore[no-untyped-def]
    services.translation_add(
        actor=None,
        article=articles["router"].article,
        language="sv",
        title="Hur startar jag om routern?",
        body="Dra ur sladden i 30 sekunder.",
        publish=True,
    )
    embedded()
    first = kb_search(query="unplug the router", language="sv").hits[0]
    assert (first.article_id, first.language, first.fallback) == (articles["router"].article_id, "sv", False)
    assert first.title == "Hur startar jag om routern?"


def test_internal_articles_only_for_agents(articles) -> None:  # type: ignore[no-untyped-def]
    secret = articles["secret"].article_id
    assert secret not in ids(kb_search(query="rabattkoder personal", language="sv"))
    assert secret not in ids(kb_search(query="rabattkoder personal", language="sv", mode="dense"))
    assert ids(kb_search(query="rabattkoder personal", language="sv", agent=True))[0] == secret


def test_drafts_are_not_found_until_published(articles) -> None:  # type: ignore[no-untyped-def]
    draft = article("Solceller och elavtal", "Så säljer du överskottsel från dina solceller.", publish=False)
    embedded()
    assert draft.article_id not in ids(kb_search(query="solceller", language="sv", agent=True))
    assert not KbDocument.objects.filter(translation=draft).exists()
    revision = draft.revisions.get()
    services.revision_publish(actor=None, revision=revision)
    embedded()
    assert ids(kb_search(query="solceller", language="sv", agent=True))[0] == draft.article_id


def test_unpublishing_takes_it_out_of_the_index(articles) -> None:  # type: ignore[no-untyped-def]
    services.translation_unpublish(actor=None, translation=articles["due"])
    assert not KbChunk.objects.filter(translation=articles["due"]).exists()
    assert articles["due"].article_id not in ids(kb_search(query="betalningsdag faktura", language="sv"))


def test_making_an_article_internal_hides_it_at_once(articles) -> None:  # type: ignore[no-untyped-def]
    a = articles["due"].article
    services.article_update(
        actor=None, article=a, section=a.section, visibility=Visibility.INTERNAL, fallback_language="sv"
    )
    assert a.pk not in ids(kb_search(query="betalningsdag", language="sv"))
    assert a.pk in ids(kb_search(query="betalningsdag", language="sv", agent=True))


def test_nothing_good_is_honest(articles) -> None:  # type: ignore[no-untyped-def]
    found = kb_search(query="qwxz plmokn", language="sv")
    assert found.good is False


@pytest.mark.parametrize("query", ["?!?...", "   ", "—«»"])
def test_a_query_of_no_words_says_so(articles, query: str) -> None:  # type: ignore[no-untyped-def]
    found = kb_search(query=query, language="sv")
    assert found.hits == []
    assert found.message == "Type a few words to search for."


def test_any_script_searches_without_error(articles) -> None:  # type: ignore[no-untyped-def]
    for query in ["保险理赔怎么办", "كيف أبلغ عن ضرر المياه", "Как сменить тариф"]:
        result = kb_search(query=query, language="en")
        assert result.message == ""
        assert all(h.article_id for h in result.hits)


def test_a_query_too_long_is_refused_by_length(articles) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as error:
        kb_search(query="a" * 10_000, language="sv")
    assert error.value.field == "q"
    assert error.value.message == "A search can be at most 1,000 characters long; this one is 10,000."


def test_an_unknown_language_is_refused_by_name(articles) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as error:
        kb_search(query="faktura", language="xx")
    assert error.value.field == "language"
    assert "'xx' is not a language Lofte speaks" in error.value.message


def test_a_search_is_three_queries_whatever_the_hits(articles) -> None:  # type: ignore[no-untyped-def]
    kb_search(query="warm", language="sv")  # the matrix is read once per process and version
    with CaptureQueriesContext(connection) as queries:
        kb_search(query="vattenskada faktura router", language="sv")
    assert len(queries) == 4  # the version, the word frequencies, the candidates, the translations shown


def test_the_search_log_forgets_after_ninety_days() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from lofte.kb.models import Channel, SearchLog
    from lofte.kb.services import search_log_prune

    now = timezone.now()
    SearchLog.objects.create(
        query="old",
        language="sv",
        channel=Channel.HELP_CENTRE,
        found=0,
        good=False,
        created_at=now - timedelta(days=91),
    )
    SearchLog.objects.create(
        query="recent",
        language="sv",
        channel=Channel.HELP_CENTRE,
        found=0,
        good=False,
        created_at=now - timedelta(days=89),
    )
    assert search_log_prune(now=now) == 1
    assert list(SearchLog.objects.values_list("query", flat=True)) == ["recent"]
