"""The contact form and the help centre: answers suggested as the customer types, and what they read and
searched before writing carried to the agent on the case's timeline."""

from __future__ import annotations

import pytest
from django.test import Client

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import Case, CaseEvent
from lofte.kb.models import Visibility
from lofte.kb.tests.factories import article, embedded
from lofte.kb.trail import COOKIE, Trail, trail_keep
from lofte.webform.tests.test_views import form_data

pytestmark = pytest.mark.django_db

SUGGEST = "/contact/suggestions"


@pytest.fixture
def answers(db):  # type: ignore[no-untyped-def]
    water = article("Hur anmäler jag en vattenskada?", "Anmäl vattenskadan på Mina sidor inom 14 dagar.")
    secret = article("Personalrabatt på vattenskador", "Intern rabatt.", visibility=Visibility.INTERNAL)
    draft = article("Vattenskada i källaren", "Utkast.", publish=False)
    embedded()
    return water, secret, draft


def test_suggestions_show_public_answers_as_the_customer_types(client: Client, answers) -> None:  # type: ignore[no-untyped-def]
    water, _secret, _draft = answers
    response = client.get(SUGGEST, {"subject": "vattenskada", "message": "det läcker i köket", "lang": "sv"})
    assert response.status_code == 200
    text = response.content.decode()
    assert f'href="/help/sv/a/{water.slug}"' in text
    assert "Hur anmäler jag en vattenskada?" in text
    assert "Personalrabatt" not in text and "källaren" not in text  # never internal, never a draft
    assert response["Cache-Control"] == "no-store"


def test_no_suggestions_for_too_little_text_or_nonsense(client: Client, answers) -> None:  # type: ignore[no-untyped-def]
    assert client.get(SUGGEST, {"subject": "ab", "lang": "sv"}).content.decode().strip() == ""
    assert client.get(SUGGEST, {"subject": "qwxz plmokn zzkv", "lang": "sv"}).content.decode().strip() == ""


def test_the_form_asks_for_suggestions_from_subject_and_message(client: Client) -> None:
    text = client.get("/contact?lang=sv").content.decode()
    assert text.count('hx-get="/contact/suggestions?lang=sv"') == 2
    assert 'id="contact-suggestions" aria-live="polite"' in text


def test_the_case_carries_what_the_customer_read_and_searched(client: Client, answers) -> None:  # type: ignore[no-untyped-def]
    water, secret, draft = answers
    trail = Trail(translations=[water.pk, secret.pk, draft.pk, 999999], searches=["läcker vatten", "vattenskada"])
    holder = client.get("/contact")
    trail_keep(holder, trail, secure=False)
    client.cookies[COOKIE] = holder.cookies[COOKIE].value
    response = client.post("/contact?lang=sv", form_data(kb_search="försäkring vatten"))
    assert response.status_code == 302
    case = Case.objects.get()
    event = CaseEvent.objects.get(case=case, kind="kb_context")
    assert event.data == {
        "articles": [
            {
                "id": water.pk,
                "article_id": water.article_id,
                "language": "sv",
                "title": "Hur anmäler jag en vattenskada?",
                "url": f"/help/sv/a/{water.slug}",
            }
        ],  # the internal article, the draft and the made-up id are not named
        "searches": ["försäkring vatten", "läcker vatten", "vattenskada"],
    }
    page = Client()
    page.force_login(AgentFactory(role=Role.ADMIN))
    html = page.get(f"/cases/{case.reference}/").content.decode()
    assert "read before writing:" in html and "Hur anmäler jag en vattenskada?" in html
    assert "“läcker vatten”" in html


def test_a_forged_or_tampered_trail_carries_nothing(client: Client, answers) -> None:  # type: ignore[no-untyped-def]
    water = answers[0]
    forged = Trail(translations=[water.pk], searches=["made up"])
    holder = client.get("/contact")
    trail_keep(holder, forged, secure=False)
    client.cookies[COOKIE] = holder.cookies[COOKIE].value[:-2] + "xx"  # the signature no longer matches
    response = client.post("/contact", form_data(kb_article="abc'><script>"))
    assert response.status_code == 302  # the message is taken: a hidden field it cannot see never stops it
    case = Case.objects.get()
    assert not CaseEvent.objects.filter(case=case, kind="kb_context").exists()


def test_the_help_centres_write_to_us_link_fills_the_article_in(client: Client, answers) -> None:  # type: ignore[no-untyped-def]
    water = answers[0]
    text = client.get(f"/contact?lang=sv&article={water.pk}&q=l%C3%A4cker").content.decode()
    assert f'name="kb_article" value="{water.pk}"' in text
    assert 'name="kb_search" value="läcker"' in text
    client.post("/contact?lang=sv", form_data(kb_article=str(water.pk)))
    assert CaseEvent.objects.get(kind="kb_context").data["articles"][0]["id"] == water.pk
