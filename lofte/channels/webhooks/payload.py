"""The JSON a source posts, checked after its signature (so it is parsed here, from the raw body, not by ninja).

    {"external_id": "ord-1042-msg-3",
     "from": {"email": "karin@example.se", "phone": "+46701234567", "name": "Karin", "handle": "karin_k"},
     "subject": "Order 1042", "text": "Where is my parcel?", "thread": "ord-1042"}

`from` needs at least one of email, phone and handle. Ids may be strings or integers; unknown fields are
ignored, so a sender can add its own.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from lofte.channels.webhooks.models import MAX_EXTERNAL_ID


def _id_to_str(value: Any) -> Any:
    # an order number sent as a JSON number is still an id; a boolean is not
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


ExternalId = Annotated[
    str, BeforeValidator(_id_to_str), Field(min_length=1, max_length=MAX_EXTERNAL_ID, pattern=r"^[^\x00-\x1f]+$")
]


def _none_to_empty(value: Any) -> Any:
    return "" if value is None else value


def _without_nul(data: Any) -> Any:
    """NUL characters (JSON "\\u0000") removed from every string value: PostgreSQL cannot store them in text."""
    if isinstance(data, dict):
        return {key: value.replace("\x00", "") if isinstance(value, str) else value for key, value in data.items()}
    return data


class SenderIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    name: Annotated[str, BeforeValidator(_none_to_empty)] = Field(default="", max_length=200)
    handle: str | None = Field(default=None, max_length=150)

    @model_validator(mode="before")
    @classmethod
    def _clean(cls, data: Any) -> Any:
        return _without_nul(data)

    @model_validator(mode="after")
    def _someone(self) -> SenderIn:
        if not (self.email or self.phone or self.handle):
            raise PydanticCustomError("sender_missing", "give at least one of email, phone and handle")
        return self


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, populate_by_name=True)

    external_id: ExternalId
    sender: SenderIn = Field(alias="from")
    subject: Annotated[str, BeforeValidator(_none_to_empty)] = Field(default="", max_length=255)
    text: str = Field(min_length=1)
    thread: ExternalId | None = None
    language: Literal["en", "sv", "da", "nb", "fi"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _clean(cls, data: Any) -> Any:
        return _without_nul(data)
