"""Images and files in articles: proved by their content, named plainly, shown where the text names them, served
to readers only for public published articles and to agents always."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.core.errors import PermissionDenied, ValidationFailed
from lofte.core.tests import samples
from lofte.kb.files import article_file_add, markdown_with_files
from lofte.kb.models import ArticleFile, Visibility
from lofte.kb.tests.factories import article

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(db):  # type: ignore[no-untyped-def]
    return article("Så läser du av mätaren", "Se bilden: ![Mätaren](file:matare.png) och [PDF](file:guide.pdf).")


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def test_an_image_is_kept_under_a_plain_name(page) -> None:  # type: ignore[no-untyped-def]
    kept = article_file_add(actor=None, article=page.article, upload=upload("Mätare bild.PNG", samples.png()))
    assert (kept.name, kept.content_type) == ("Matare-bild.png", "image/png")
    again = article_file_add(actor=None, article=page.article, upload=upload("Mätare bild.png", samples.png()))
    assert again.name == "Matare-bild-2.png"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("drawing.svg", b"<svg onload=alert(1)></svg>", "'drawing.svg' cannot be added"),
        ("photo.png", samples.pdf(), "photo.png: "),
        ("setup.pdf", samples.windows_exe(), "setup.pdf: "),
    ],
)
def test_a_file_that_is_not_what_it_says_is_refused(page, name: str, data: bytes, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as error:
        article_file_add(actor=None, article=page.article, upload=upload(name, data))
    assert error.value.field == "file" and error.value.message.startswith(message)
    assert not ArticleFile.objects.exists()


def test_a_qa_reviewer_adds_no_files(page) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        article_file_add(
            actor=AgentFactory(role=Role.QA_REVIEWER), article=page.article, upload=upload("a.png", samples.png())
        )
    assert not ArticleFile.objects.exists()


def test_references_point_at_the_file_or_become_text(page) -> None:  # type: ignore[no-untyped-def]
    kept = article_file_add(actor=None, article=page.article, upload=upload("matare.png", samples.png()))
    text = markdown_with_files(page.body, {kept.name: kept}, lambda f: f"/x/{f.pk}")
    assert text == f"Se bilden: ![Mätaren](/x/{kept.pk}) och PDF."


def test_the_help_centre_shows_the_image_and_serves_it(client: Client, page) -> None:  # type: ignore[no-untyped-def]
    kept = article_file_add(actor=None, article=page.article, upload=upload("matare.png", samples.png()))
    html = client.get(f"/help/sv/a/{page.slug}").content.decode()
    assert f'<img src="/help/files/{kept.pk}/matare.png" alt="Mätaren">' in html
    served = client.get(f"/help/files/{kept.pk}/matare.png")
    assert (served.status_code, served["Content-Type"], served["X-Content-Type-Options"]) == (
        200,
        "image/png",
        "nosniff",
    )
    assert client.get(f"/help/files/{kept.pk}/other.png").status_code == 404


def test_an_internal_articles_file_is_for_agents_only(client: Client, agent) -> None:  # type: ignore[no-untyped-def]
    secret = article("Internt", "![x](file:a.png)", visibility=Visibility.INTERNAL)
    kept = article_file_add(actor=None, article=secret.article, upload=upload("a.png", samples.png()))
    assert client.get(f"/help/files/{kept.pk}/a.png").status_code == 404
    assert client.get(f"/kb/files/{kept.pk}/a.png").status_code == 302  # to the login page
    client.force_login(agent)
    assert client.get(f"/kb/files/{kept.pk}/a.png").status_code == 200


def test_the_editor_adds_and_removes_a_file(client: Client, agent, page) -> None:  # type: ignore[no-untyped-def]
    client.force_login(agent)
    edit = f"/kb/{page.article_id}/sv/edit"
    response = client.post(f"/kb/{page.article_id}/files", {"file": upload("matare.png", samples.png()), "back": edit})
    assert (response.status_code, response["Location"]) == (302, edit)
    kept = ArticleFile.objects.get()
    html = client.get(edit).content.decode()
    assert "<code>![matare.png](file:matare.png)</code>" in html
    preview = client.post("/kb/preview", {"body": page.body, "article": page.article_id}).content.decode()
    assert f'src="/kb/files/{kept.pk}/matare.png"' in preview
    bad = client.post(
        f"/kb/{page.article_id}/files", {"file": upload("x.svg", b"<svg/>"), "back": "https://evil.example/"}
    )
    assert bad["Location"] == f"/kb/{page.article_id}/settings"  # never back to another site
    assert ArticleFile.objects.count() == 1
    client.post(f"/kb/{page.article_id}/files/{kept.pk}/delete", {"back": edit})
    assert not ArticleFile.objects.exists()
