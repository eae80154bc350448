"""Acknowledgement templates: admins list, write, preview and delete them; a bad placeholder is refused."""

from __future__ import annotations

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import AcknowledgementTemplate, CaseType

pytestmark = pytest.mark.django_db

BODY = "Hej {customer_name}! Ditt ärende {reference} gäller {case_type}. {eta}"


@pytest.fixture
def admin(db):  # type: ignore[no-untyped-def]
    return AgentFactory(email="admin@example.com", role=Role.ADMIN)


@pytest.fixture
def lead(team):  # type: ignore[no-untyped-def]
    return AgentFactory(email="lead@example.com", role=Role.TEAM_LEAD, teams=[team])


@pytest.fixture
def invoice(db):  # type: ignore[no-untyped-def]
    return CaseType.objects.create(name="Invoice")


@pytest.fixture
def template(invoice):  # type: ignore[no-untyped-def]
    return AcknowledgementTemplate.objects.create(case_type=invoice, language="sv", body="Tack! {reference}")


def rows() -> list[tuple[object, ...]]:
    return list(AcknowledgementTemplate.objects.order_by("pk").values_list("pk", "case_type_id", "language", "body"))


@pytest.mark.parametrize(
    "path", ["/templates/acknowledgements/", "/templates/acknowledgements/new", "/templates/acknowledgements/{id}/"]
)
@pytest.mark.parametrize(("who", "status"), [("admin", 200), ("lead", 403), ("agent", 403), ("anonymous", 302)])
def test_template_pages_are_for_admins(client, admin, lead, agent, template, path, who, status):
    if who != "anonymous":
        client.force_login({"admin": admin, "lead": lead, "agent": agent}[who])
    response = client.get(path.format(id=template.pk))
    assert response.status_code == status
    if status == 403:
        assert "Only admins can change this." in response.content.decode()
    if status == 302:
        assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("who", ["lead", "agent"])
def test_others_cannot_write_or_delete_templates(client, lead, agent, template, invoice, who):
    client.force_login({"lead": lead, "agent": agent}[who])
    before = rows()
    data = {"case_type": invoice.pk, "language": "sv", "body": "Hacked"}
    assert client.post("/templates/acknowledgements/new", {**data, "language": "en"}).status_code == 403
    assert client.post(f"/templates/acknowledgements/{template.pk}/", data).status_code == 403
    assert client.post(f"/templates/acknowledgements/{template.pk}/delete").status_code == 403
    assert rows() == before


def test_the_list_and_the_page_show_the_templates_and_the_placeholders(client, admin, template):
    client.force_login(admin)
    listing = client.get("/templates/acknowledgements/").content.decode()
    assert f'data-template="{template.pk}"' in listing and "Invoice" in listing and "Tack! {reference}" in listing
    assert "broken promise" in listing  # says how the other notices are set
    page = client.get(f"/templates/acknowledgements/{template.pk}/").content.decode()
    for name in ("reference", "customer_name", "subject", "case_type", "eta", "portal_url"):
        assert f"<code>{{{name}}}</code>" in page
    assert "Tack! LF-" in page  # the saved text, filled with sample values


def test_an_admin_writes_a_template_for_a_case_type(client, admin, invoice):
    client.force_login(admin)
    response = client.post(
        "/templates/acknowledgements/new", {"case_type": invoice.pk, "language": "sv", "body": BODY + "\r\n"}
    )
    template = AcknowledgementTemplate.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/templates/acknowledgements/{template.pk}/"
    assert (template.case_type, template.language, template.body) == (invoice, "sv", BODY)


def test_an_admin_changes_and_deletes_a_template(client, admin, template):
    client.force_login(admin)
    data = {"case_type": "", "language": "en", "body": "Thanks, {customer_name}."}
    assert client.post(f"/templates/acknowledgements/{template.pk}/", data).status_code == 302
    template.refresh_from_db()
    assert (template.case_type_id, template.language, template.body) == (None, "en", "Thanks, {customer_name}.")
    response = client.post(f"/templates/acknowledgements/{template.pk}/delete")
    assert response.status_code == 302 and response["Location"] == "/templates/acknowledgements/"
    assert rows() == []


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"body": "Hej {name}"}, "body", "{name} is not a placeholder; use {reference}, {customer_name}"),
        ({"body": "Hej {reference!r}"}, "body", "Write {reference} alone, with nothing after the name"),
        ({"body": "Hej {reference"}, "body", "The text has an unmatched brace"),
        ({"body": "   "}, "body", "Write the text of the acknowledgement."),
        ({"language": "xx"}, "language", "Select a valid choice."),
        ({"case_type": 999999}, "case_type", "Select a valid choice."),
        ({"language": "sv"}, "language", "There is already a template for Invoice in Swedish; change that one."),
    ],
)
def test_bad_template_data_is_refused_beside_the_field(client, admin, invoice, template, changes, field, error):
    client.force_login(admin)
    before = rows()
    data = {"case_type": invoice.pk, "language": "en", "body": BODY, **changes}
    response = client.post("/templates/acknowledgements/new", data)
    assert response.status_code == 422
    html = response.content.decode().replace("&#x27;", "'")
    assert f'data-error-for="{field}"' in html and error in html
    assert rows() == before


def test_the_preview_fills_the_text_without_saving(client, admin, invoice):
    client.force_login(admin)
    data = {"case_type": invoice.pk, "language": "sv", "body": BODY, "preview": "1"}
    page = client.post("/templates/acknowledgements/new", data)  # the button, without JavaScript: the whole page
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>" in html and "Hej Karin Lind! Ditt ärende LF-" in html
    partial = client.post("/templates/acknowledgements/new", data, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    text = partial.content.decode()
    assert text.lstrip().startswith('<section class="card" id="ack-preview"')
    assert "Hej Karin Lind! Ditt ärende LF-" in text and "<h1>" not in text
    assert rows() == []


def test_the_preview_names_a_bad_placeholder(client, admin):
    client.force_login(admin)
    data = {"case_type": "", "language": "en", "body": "Hello {customer}", "preview": "1"}
    partial = client.post("/templates/acknowledgements/new", data, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "{customer} is not a placeholder" in partial.content.decode()
    assert rows() == []


def test_the_new_template_page_starts_from_the_built_in_text(client, admin):
    client.force_login(admin)
    html = client.get("/templates/acknowledgements/new").content.decode()
    assert "Thank you for contacting us." in html and "Hello Karin Lind," in html


def test_a_missing_template_is_404(client, admin):
    client.force_login(admin)
    assert client.get("/templates/acknowledgements/999999/").status_code == 404
    assert client.post("/templates/acknowledgements/999999/delete").status_code == 404
