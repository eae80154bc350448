"""The knowledge base in the reply box: answers in the customer's language, a link only to a public article."""

from __future__ import annotations

import pytest
from django.test import Client

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.kb import services
from lofte.kb.models import Visibility
from lofte.kb.tests.factories import article, embedded

pytestmark = pytest.mark.django_db


@pytest.fixture
def answers(db):  # type: ignore[no-untyped-def]
    router = article("How do I restart my router?", "Unplug it for **30 seconds**.", language="en")
    services.translation_add(
        actor=None,
        article=router.article,
        language="sv",
        title="Hur startar jag om routern?",
        body="Dra ur sladden i **30 sekunder**.",
        publish=True,
    )
    staff = article("Goodwill för routerfel", "Intern: högst 200 kr.", visibility=Visibility.INTERNAL)
    embedded()
    return router, staff


def test_the_picker_offers_the_customers_language_with_link_and_text(client: Client, agent, case, answers) -> None:  # type: ignore[no-untyped-def]
    case.language = "sv"
    case.save(update_fields=["language"])
    client.force_login(agent)
    response = client.get(f"/cases/{case.reference}/kb", {"q": "routern startar inte"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith('<div id="kb-results"')
    first = text.index("<li")
    assert "Hur startar jag om routern?" in text[first : first + 400]
    assert (
        'data-kb-link="[Hur startar jag om routern?](http://localhost:8000/help/sv/a/hur-startar-jag-om-routern)"'
        in text
    )
    assert "<template data-kb-text>Dra ur sladden i **30 sekunder**.</template>" in text


def test_an_internal_article_is_read_not_sent(client: Client, agent, case, answers) -> None:  # type: ignore[no-untyped-def]
    client.force_login(agent)
    text = client.get(f"/cases/{case.reference}/kb", {"q": "goodwill routerfel"}).content.decode()
    assert "Goodwill för routerfel" in text
    assert "Internal: read it, do not send it." in text
    assert 'data-kb-link=""' in text


def test_the_picker_follows_the_case(client: Client, outsider, case, answers) -> None:  # type: ignore[no-untyped-def]
    client.force_login(outsider)
    assert client.get(f"/cases/{case.reference}/kb", {"q": "router"}).status_code == 404


def test_a_long_query_is_a_message(client: Client, agent, case, answers) -> None:  # type: ignore[no-untyped-def]
    client.force_login(agent)
    text = client.get(f"/cases/{case.reference}/kb", {"q": "x" * 5000}, headers={"HX-Request": "true"}).content.decode()
    assert "A search can be at most 1,000 characters long; this one is 5,000." in text


def test_the_composer_has_the_picker(client: Client, case) -> None:  # type: ignore[no-untyped-def]
    client.force_login(AgentFactory(role=Role.ADMIN))
    text = client.get(f"/cases/{case.reference}/").content.decode()
    assert f'hx-get="/cases/{case.reference}/kb"' in text
