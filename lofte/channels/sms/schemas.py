"""Ninja schemas of the sms endpoints."""

from __future__ import annotations

from ninja import Schema


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
