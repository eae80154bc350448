"""The corpus (corpus/*.eml, expectations in corpus/manifest.json): every file's outcome, case and visible text.

Each file is ingested on its own, into a fresh database holding only its setup (see corpus/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lofte.cases.models import Case, Direction, Message, Status
from lofte.cases.services import case_create
from lofte.channels.email.ingest import email_ingest
from lofte.channels.email.parsing import parse_email
from lofte.channels.models import Mailbox
from lofte.customers.services import customer_create

CORPUS = Path(__file__).parent / "corpus"
MANIFEST: list[dict[str, Any]] = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
SEED = "LF-2026-000123"
SEED_REPLY = """Hej Karin,

Tack för ditt meddelande. Kan du skicka fakturanumret så letar
vi upp fakturan åt dig?

Vänliga hälsningar
Lofte Support"""

pytestmark = pytest.mark.django_db


def test_the_corpus_is_large_and_covers_every_outcome() -> None:
    assert len(MANIFEST) >= 100
    assert {e["outcome"] for e in MANIFEST} == {
        "created",
        "appended",
        "duplicate",
        "auto_reply",
        "bounce",
        "feedback_report",
        "read_receipt",
        "quarantined",
    }
    assert sorted(e["file"] for e in MANIFEST) == sorted(p.name for p in CORPUS.glob("*.eml"))


def _seed(closed: bool) -> Case:
    customer = customer_create(name="Karin Lind", email="karin@example.se")
    case = case_create(
        customer=customer,
        subject="Faktura saknas",
        body="Hej, jag har inte fått fakturan för februari.",
        channel="email",
        sender="karin@example.se",
        external_id="<first-LF123@mail.example.se>",
    )
    Case.objects.filter(pk=case.pk).update(reference=SEED, status=Status.CLOSED if closed else Status.OPEN)
    Message.objects.create(
        case=case,
        direction=Direction.OUT,
        channel="email",
        subject=f"Re: Faktura saknas [{SEED}]",
        body_text=SEED_REPLY,
        sender="support@lofte.test",
        recipients=["karin@example.se"],
        external_id=f"<reply-1.{SEED}@lofte.test>",
    )
    case.refresh_from_db()
    return case


def _norm(text: str | None) -> str | None:
    if text is None:
        return None
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
def test_corpus_message(entry: dict[str, Any], settings) -> None:
    settings.DEFAULT_FROM_EMAIL = "support@lofte.test"
    Mailbox.objects.create(name="support", address="support@lofte.test")
    if entry["setup"] in ("case", "closed"):
        _seed(closed=entry["setup"] == "closed")
    raw = (CORPUS / entry["file"]).read_bytes()

    result = email_ingest(raw, source="cli")

    assert result.outcome == entry["outcome"], result.error
    if entry["case"] == "seed":
        assert result.case == SEED
    elif entry["case"] == "new":
        assert result.case is not None
        assert result.case != SEED
        assert Case.objects.filter(reference=result.case).exists()
    else:
        assert result.case is None
    if "visible_text" in entry:
        assert _norm(result.visible_text) == _norm(entry["visible_text"])
    for fragment in entry.get("visible_text_contains", []):
        assert fragment in (result.visible_text or "")
    if "subject" in entry or "from" in entry or "attachments" in entry:
        parsed = parse_email(raw)
        if "subject" in entry:
            assert parsed.subject == entry["subject"]
        if "from" in entry:
            assert parsed.from_address == entry["from"]
        if "attachments" in entry:
            got = [
                {"filename": a.filename, "content_type": a.content_type, "size": len(a.content)}
                for a in parsed.attachments
            ]
            want = [dict(a) for a in entry["attachments"]]
            for item, expected in zip(got, want, strict=True):
                if "size" not in expected:
                    item.pop("size")
            assert got == want
    if result.outcome in ("created", "appended"):
        # the timeline shows exactly the text reported, and keeps the whole message beside it
        message = Message.objects.filter(case__reference=result.case).order_by("id").last()
        assert message is not None
        assert message.external_id == parse_email(raw).message_id
        shown = message.visible_text or message.body_text
        if (result.visible_text or "").strip():
            assert _norm(shown) == _norm(result.visible_text)
        else:  # nothing but attachments: the timeline says so instead of showing an empty message
            assert message.body_text.startswith("(no text")
        whole = parse_email(raw).text.strip()
        if whole:  # the whole text is kept (notes about refused files may follow it)
            assert _norm(message.body_text).startswith(_norm(whole))
