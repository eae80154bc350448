"""POST /api/v1/inbound/webhook/<source>: a signed message from another system, filed on a case."""

from __future__ import annotations

from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Path, Router, Schema, Status

from lofte.channels.webhooks.models import BODY_HEAD_BYTES, MAX_SOURCE_NAME
from lofte.channels.webhooks.payload import WebhookIn
from lofte.channels.webhooks.services import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_receive
from lofte.core.schemas import ErrorOut

router = Router(tags=["inbound"])


class WebhookOut(Schema):
    case: str | None
    message_id: int | None
    duplicate: bool
    outcome: str


DESCRIPTION = f"""
A message from another system (a social-media bridge, a web shop), configured in the admin as a
*webhook source* whose name is the last part of the address. No API token: the signature is the
authentication.

**Signing.** Send two headers:

- `{TIMESTAMP_HEADER}: <unix time in seconds>`
- `{SIGNATURE_HEADER}: sha256=<hex>`: the HMAC-SHA256, under the source's secret, of the bytes of the
  timestamp, a dot, and the raw body exactly as sent. Several comma-separated `sha256=` values are
  accepted (while moving to a new secret).

```python
ts = str(int(time.time()))
sig = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
headers = {{"{TIMESTAMP_HEADER}": ts, "{SIGNATURE_HEADER}": "sha256=" + sig, "Content-Type": "application/json"}}
```

**Body** (UTF-8 JSON; unknown fields are ignored):
`{{"external_id": "...", "from": {{"email": ..., "phone": ..., "name": ..., "handle": ...}},
"subject": ..., "text": "...", "thread": ...}}`. `external_id` and `text` are required; `from` needs an
email, a phone number or a handle. `thread` continues a case: a case reference the sender owns, or a
`thread` or `external_id` this source sent before; otherwise a new case is opened.

**Answers.** 201 `{{"case", "message_id", "duplicate": false, "outcome": "created" | "appended"}}`.
200 with `"duplicate": true` and the original message's id when this source already sent that
`external_id` (nothing is created; a retrying sender can stop). Errors are
`{{"code", "message", "field"?}}`: 404 `unknown_source`; 401 `signature_missing`, `signature_invalid`,
`timestamp_invalid`, `timestamp_stale` (more than five minutes off, either way); 413 `too_large`;
400 `invalid_json` (with the position); 422 `validation_error` (naming the field). Every refusal is
logged for the admin.
"""


def _inlined(schema: Any) -> Any:
    """A JSON schema with its own $defs put in place, so it can stand inside the OpenAPI document."""
    defs = schema.pop("$defs", {}) if isinstance(schema, dict) else {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(dict(defs[ref.removeprefix("#/$defs/")]))
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node

    return walk(schema)


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


@router.post(
    "/inbound/webhook/{source}",
    auth=None,
    response={
        200: WebhookOut,
        201: WebhookOut,
        400: ErrorOut,
        401: ErrorOut,
        404: ErrorOut,
        413: ErrorOut,
        422: ErrorOut,
    },
    summary="Receive a signed message from another system",
    description=DESCRIPTION,
    # the body is read raw (the signature covers its bytes), so ninja does not parse it; this says what it is
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inlined(WebhookIn.model_json_schema(by_alias=True))}},
        }
    },
)
def inbound_webhook(
    request: HttpRequest,
    source: Annotated[
        str,
        Path(max_length=MAX_SOURCE_NAME, pattern=r"^[-a-zA-Z0-9_]+$", description="The webhook source's name."),
    ],
) -> object:
    # read the stream ourselves, never more than the limit: an oversized body is refused from its declared
    # length after reading only its start (for the rejection log)
    limit = settings.LOFTE_WEBHOOK_MAX_BYTES
    declared = _declared_length(request)
    if declared is not None and declared > limit:
        body, size = request.read(BODY_HEAD_BYTES), declared
    else:
        body = request.read(limit + 1)
        size = len(body)
    receipt = webhook_receive(
        source_name=source,
        body=body,
        body_size=size,
        timestamp=request.headers.get(TIMESTAMP_HEADER),
        signature=request.headers.get(SIGNATURE_HEADER),
        remote_ip=request.META.get("REMOTE_ADDR"),
    )
    return Status(200 if receipt.duplicate else 201, receipt.as_dict())
