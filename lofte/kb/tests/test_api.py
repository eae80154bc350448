"""The knowledge base's API: search (agents see internal articles, marked), articles, votes, bad input."""

from __future__ import annotations

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.api_client import Api
from lofte.accounts.tests.factories import AgentFactory
from lofte.kb.models import Article, ArticleVote, Visibility
from lofte.kb.tests.factories import article, embedded, section

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(agent):  # type: ignore[no-untyped-def]
    return Api(agent)


@pytest.fixture
def published(db):  # type: ignore[no-untyped-def]
    water = article("Hur anmäler jag en vattenskada?", "Anmäl vattenskadan på Mina sidor inom 14 dagar.")
    staff = article("Personalrabatt på hemförsäkring", "Intern: 20 % rabatt.", visibility=Visibility.INTERNAL)
    embedded()
    return water, staff


def test_search_answers_hits_with_their_language_and_whether_internal(api, published) -> None:  # type: ignore[no-untyped-def]
    water, staff = published
    response = api.get("/kb/search", {"q": "vattenskada anmälan", "language": "sv", "limit": 5})
    assert response.status_code == 200
    body = response.json()
    first = body["results"][0]
    assert (body["query"], body["language"], body["good"]) == ("vattenskada anmälan", "sv", True)
    assert first["article_id"] == water.article_id
    assert (first["language"], first["fallback"], first["internal"], first["slug"]) == (
        "sv",
        False,
        False,
        "hur-anmaler-jag-en-vattenskada",
    )
    internal = api.get("/kb/search", {"q": "personalrabatt", "language": "sv"}).json()["results"][0]
    assert (internal["article_id"], internal["internal"], internal["url"]) == (staff.article_id, True, None)


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"q": "x" * 1001, "language": "sv"}, "q", "A search can be at most 1,000 characters long; this one is 1,001."),
        ({"q": "faktura", "language": "de"}, "language", "'de' is not a language Lofte speaks"),
    ],
)
def test_search_bad_input_is_a_422_naming_it(api, published, params, field, message) -> None:  # type: ignore[no-untyped-def]
    response = api.get("/kb/search", params)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert message in response.json()["message"]


def test_search_of_punctuation_answers_nothing_and_why(api, published) -> None:  # type: ignore[no-untyped-def]
    body = api.get("/kb/search", {"q": "?!", "language": "sv"}).json()
    assert (body["results"], body["good"], body["message"]) == ([], False, "Type a few words to search for.")


def test_search_needs_a_token(published) -> None:  # type: ignore[no-untyped-def]
    assert Api(None).get("/kb/search", {"q": "vattenskada", "language": "sv"}).status_code == 401


def test_create_an_article_and_read_it(api) -> None:  # type: ignore[no-untyped-def]
    place = section()
    response = api.post(
        "/kb/articles",
        {
            "section": place.pk,
            "language": "fi",
            "title": "Kotivakuutus",
            "body": "Näin ilmoitat vahingosta.",
            "publish": True,
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["translations"][0] | {"published_at": None} == {
        "language": "fi",
        "slug": "kotivakuutus",
        "title": "Kotivakuutus",
        "body": "Näin ilmoitat vahingosta.",
        "published": True,
        "published_at": None,
        "url": created["translations"][0]["url"],
    }
    assert api.get(f"/kb/articles/{created['id']}").json()["id"] == created["id"]
    assert api.get("/kb/articles/999999").status_code == 404


def test_a_slug_another_article_has_is_refused_by_name(api, published) -> None:  # type: ignore[no-untyped-def]
    before = Article.objects.count()
    response = api.post(
        "/kb/articles",
        {"section": section().pk, "language": "sv", "title": "Annat", "body": "Text", "slug": published[0].slug},
    )
    assert response.status_code == 422
    assert response.json() == {
        "code": "validation_error",
        "field": "slug",
        "message": "The address 'hur-anmaler-jag-en-vattenskada' is already used by the article "
        "'Hur anmäler jag en vattenskada?'; choose another.",
    }
    assert Article.objects.count() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [({"title": "  "}, "title"), ({"body": ""}, "body"), ({"language": "xx"}, "language"), ({"slug": "Å ä"}, "slug")],
)
def test_create_bad_input_names_the_field(api, change, field) -> None:  # type: ignore[no-untyped-def]
    data = {"section": section().pk, "language": "sv", "title": "Titel", "body": "Text"} | change
    response = api.post("/kb/articles", data)
    assert (response.status_code, response.json()["field"]) == (422, field)
    assert not Article.objects.exists()


def test_a_qa_reviewer_cannot_write(published) -> None:  # type: ignore[no-untyped-def]
    qa = AgentFactory(email="qa@example.com", role=Role.QA_REVIEWER)
    response = Api(qa).post("/kb/articles", {"section": section().pk, "language": "sv", "title": "T", "body": "B"})
    assert response.status_code == 403
    assert Article.objects.count() == 2


def test_an_agent_cannot_publish_at_once_where_review_is_asked(api) -> None:  # type: ignore[no-untyped-def]
    reviewed = section(slug="terms", requires_review=True)
    data = {"section": reviewed.pk, "language": "sv", "title": "Villkor", "body": "Nya villkor.", "publish": True}
    response = api.post("/kb/articles", data)
    assert response.status_code == 403
    assert "asks for a review before publishing" in response.json()["message"]
    assert not Article.objects.exists()
    assert api.post("/kb/articles", data | {"publish": False}).status_code == 201


def test_a_vote_is_counted_with_its_language_and_channel(api, published) -> None:  # type: ignore[no-untyped-def]
    water = published[0]
    response = api.post(
        f"/kb/articles/{water.article_id}/votes", {"language": "sv", "helpful": False, "comment": "Oklart"}
    )
    assert response.status_code == 204
    assert list(ArticleVote.objects.values_list("article_id", "language", "channel", "helpful", "comment")) == [
        (water.article_id, "sv", "api", False, "Oklart")
    ]
    assert api.post("/kb/articles/999999/votes", {"language": "sv", "helpful": True}).status_code == 404
    assert api.post(f"/kb/articles/{water.article_id}/votes", {"language": "zz", "helpful": True}).status_code == 422
    assert ArticleVote.objects.count() == 1
