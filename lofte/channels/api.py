"""POST /api/v1/inbound/email: a raw RFC 822 message in the request body, filed like any other."""

from __future__ import annotations

from typing import Annotated

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.channels.email.ingest import email_ingest
from lofte.channels.models import Mailbox, Outcome, Source
from lofte.core.errors import NotFound, ValidationFailed
from lofte.core.schemas import ErrorOut, Text

router = Router(tags=["inbound"])


class IngestOut(Schema):
    outcome: str
    case: str | None
    visible_text: str | None
    error: str | None
    inbound_id: int


@router.post(
    "/inbound/email",
    response={200: IngestOut, 201: IngestOut, 403: ErrorOut, 404: ErrorOut},
    summary="File one raw email (the request body is the message, as message/rfc822)",
    description=(
        "The body is the message's bytes exactly as received. Admins only (an API token of an admin, as an MTA "
        "or a relay would use). `?mailbox=NAME` says which mailbox it arrived in; otherwise the To and Cc "
        "addresses decide. 201 when it opened a case; 200 for every other outcome, including `quarantined` "
        "(the message is stored and waits for an admin). The response has the fields of one line of "
        "`lofte email_ingest --json`, with `inbound_id` (the stored message) in place of `file`. 403 for other "
        "roles; 404 naming mailbox for an unknown mailbox; 422 `too_large` naming body past LOFTE_EMAIL_MAX_BYTES."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def inbound_email(
    request: HttpRequest,
    mailbox: Annotated[Text | None, Query(None, max_length=50, description="A mailbox's name.")] = None,
) -> object:
    agent: Agent = request.auth  # type: ignore[attr-defined]
    access.require(agent, access.Perm.CONFIGURE)
    box = None
    if mailbox:
        box = Mailbox.objects.filter(name=mailbox).first()
        if box is None:
            raise NotFound(f"There is no mailbox named {mailbox!r}.", field="mailbox")
    # read the stream ourselves: request.body stops at DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), far below mail sizes
    limit = settings.LOFTE_EMAIL_MAX_BYTES
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise ValidationFailed(
            f"The message is larger than the limit of {limit // 2**20} MB.", field="body", code="too_large"
        )
    result = email_ingest(raw, mailbox=box, source=Source.API)
    return Status(201 if result.outcome == Outcome.CREATED else 200, result.as_dict())
