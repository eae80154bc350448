"""Ninja schemas of the sms endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from lofte.core.schemas import InSchema


class SegmentsOut(Schema):
    encoding: str
    segments: int
    characters: int
    units: int
    per_segment: int
    remaining: int


class InboundSmsOut(Schema):
    outcome: str
    case: str | None
    inbound_id: int


class ReceiptOut(Schema):
    id: str
    status: str


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


class SmsSettingsOut(Schema):
    """The SMS settings in effect. The password and the webhook token are never sent: only whether they are set."""

    provider: str = Field(..., description="none, console or 46elks.")
    on: bool = Field(..., description="A provider is chosen.")
    sending: bool = Field(..., description="Lofte sends SMS: a provider is chosen and the SMS transport is installed.")
    sender: str = Field(..., description="A number in E.164, or a name of at most 11 characters; empty: none.")
    elks_username: str
    elks_password_set: bool
    webhook_token_set: bool
    allowed_ips: list[str] = Field(..., description="Addresses or networks webhooks may come from; empty: any.")
    source: str = Field(..., description="saved (on the settings page or here), or environment (nothing saved yet).")
    updated_at: datetime | None = None
    updated_by: int | None = Field(None, description="The agent who saved last.")


class SmsSettingsIn(InSchema):
    provider: Literal["none", "console", "46elks"]
    sender: str = Field("", max_length=40, description="A phone number (E.164) or a name of at most 11 characters.")
    elks_username: str = Field("", max_length=255)
    elks_password: str | None = Field(
        None, max_length=255, description="null (or left out): keep the stored one; empty: clear it."
    )
    webhook_token: str | None = Field(
        None,
        max_length=128,
        description="16 to 128 letters, digits, - and _. null (or left out): keep the stored one; empty: clear it "
        "(webhooks off).",
    )
    allowed_ips: list[str] = Field(default_factory=list, max_length=50)


class SmsTestIn(InSchema):
    to: str = Field(..., max_length=40, description="The number to send the test SMS to.")


class SmsTestOut(Schema):
    outcome: str = Field(..., description="sent, off, opted_out, refused, failed or timeout.")
    message: str
    to: str
    provider: str
    provider_id: str
