"""The API's shared vocabulary: bounded ids and dates, input schemas that take only JSON objects, the error body.

Every bound here is one the handlers or the database enforce anyway; stating it in the schema turns what
would be a server error (an id past the database's bigint, a date before 1900) into a 422 naming the field,
and tells clients in the OpenAPI what they may send.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    BaseModel,
    ModelWrapValidatorHandler,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

# The database's bigint (BigAutoField): the largest id a row can have, on SQLite and PostgreSQL alike.
MAX_ID = 2**63 - 1
# The years a date or moment may fall in. Before 1900, time zones had offsets in seconds (Stockholm's local
# mean time was +00:53:28), which RFC 3339 cannot write; past 9999, Python's datetime ends.
MIN_YEAR = 1900
MAX_YEAR = 9999

ID_DESCRIPTION = f"An id: 1 to {MAX_ID}."
DATE_DESCRIPTION = f"A day, YYYY-MM-DD, in the years {MIN_YEAR} to {MAX_YEAR}."
MOMENT_DESCRIPTION = (
    f"A moment with its UTC offset (e.g. 2026-06-18T16:45:00+02:00), in the years {MIN_YEAR} to {MAX_YEAR} (UTC)."
)


def _day_in_range(value: date) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise PydanticCustomError(
            "date_range", "Input should be a day in the years {min} to {max}", {"min": MIN_YEAR, "max": MAX_YEAR}
        )
    return value


def _moment_in_range(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError("timezone_aware", "Input should have a UTC offset, e.g. 2026-06-18T16:45:00+02:00")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-05:00 is past datetime's range in UTC
        utc = None
    if utc is None or not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise PydanticCustomError(
            "datetime_range",
            "Input should be a moment in the years {min} to {max} (UTC)",
            {"min": MIN_YEAR, "max": MAX_YEAR},
        )
    return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _no_nul(value: Any) -> Any:
    # PostgreSQL cannot store or compare text with NUL in it: refused here, or it is a server error there
    if _has_nul(value):
        raise PydanticCustomError("nul_character", "Input should not contain NUL characters")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID, description=ID_DESCRIPTION)]
# A string from the query or the path: without NUL characters (which the database cannot take).
Text = Annotated[str, AfterValidator(_no_nul)]
Day = Annotated[date, AfterValidator(_day_in_range), Field(description=DATE_DESCRIPTION)]
Moment = Annotated[datetime, AfterValidator(_moment_in_range), Field(description=MOMENT_DESCRIPTION)]


class InSchema(Schema):
    """An input schema (a body, an object in it, or the query): only a JSON object is one, and no text in it
    has a NUL character.

    ninja's Schema reads any object by its attributes (for models going out), so a body of `[null, null]`,
    `null`, `5` or `"x"` would read as "no fields given": an empty customer created, a PATCH answered as if
    it were `{}`. Every request body (and every object inside one) inherits from this instead.
    """

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        return _no_nul(value)

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo) -> Any:
        # replaces ninja's validator of the same name, which wraps whatever came in a DjangoGetter
        if not isinstance(values, Mapping | BaseModel):
            raise PydanticCustomError("object_type", "Input should be a JSON object")
        return handler(values)


class ErrorItemOut(Schema):
    field: str = Field(..., description="The field, dotted for nested ones (customer.email); body for the whole.")
    message: str


class ErrorOut(Schema):
    """Every error the API sends: a stable code, a message for people, and the field when one was wrong."""

    code: str = Field(..., description="Stable, for programs: validation_error, not_found, permission_denied ...")
    message: str
    field: str | None = Field(None, description="The field that was wrong, when one was.")
    errors: list[ErrorItemOut] | None = Field(None, description="Validation errors: every wrong field.")
