"""Ninja In/Out schemas for the settings the teams app writes: the texts of the notices."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema

from lofte.cases.notices import MAX_LENGTH
from lofte.core.schemas import InSchema, Text

NoticeKindValue = Literal[
    "breach",
    "callback_confirmation",
    "callback_retry",
    "callback_wrong_number",
    "callback_gave_up",
    "status_answer",
    "survey_csat",
    "survey_csat_sms",
    "survey_ces",
    "survey_nps",
]
LanguageValue = Literal["en", "sv", "da", "nb", "fi"]
# in a path: a notice or language that does not exist is a 404, as for an id
NoticeKindPath = Annotated[
    Text, Field(max_length=32, description="The notice: " + ", ".join(NoticeKindValue.__args__) + ".")
]
LanguagePath = Annotated[
    Text, Field(max_length=8, description="The language: " + ", ".join(LanguageValue.__args__) + ".")
]


class NoticeOut(Schema):
    kind: NoticeKindValue
    label: str = Field(..., description="What the notice is, in your language.")
    language: LanguageValue
    placeholders: list[str] = Field(..., description="The names a text for this notice may use, each in braces.")
    sms: bool = Field(
        ..., alias="by_sms", description="Whether it may go by SMS: then at most LOFTE_SMS_MAX_SEGMENTS SMS long."
    )
    default: str = Field(..., description="Lofte's built-in text in this language.")
    override: str | None = Field(..., description="The admins' own text, sent instead; null: the built-in one is sent.")
    updated_at: datetime | None = Field(..., description="When the admins' text was last changed.")


class NoticeIn(InSchema):
    body: str = Field(
        ...,
        max_length=4 * MAX_LENGTH,
        description=f"The text: at most {MAX_LENGTH} characters, only the notice's placeholders. The built-in text "
        "itself removes the admins' text (the answer's override is then null).",
    )
