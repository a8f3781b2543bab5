"""Pydantic models of the BillingPlatform REST 2.0 response bodies the client reads.

The API returns (almost) every scalar as a string, but not reliably: `ErrorCode` is "0",
`ErrorText` can be `[]`, upsert results carry an integer `Id` and boolean `success` and
`created`, other results spell them `"true"`/`"false"` (reference §3, §10.1). These models
accept all of those and normalise to `str` / `bool`; unknown keys are ignored.
"""

from __future__ import annotations

import json
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

__all__ = [
    "LoginResponse",
    "LoginResult",
    "QueryResponse",
    "WireRecordResult",
    "cell_text",
    "plain_query_rows",
]


def _text(value: object) -> str:
    """Message-like fields: None → "", lists joined, surrounding whitespace dropped."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_text(item) for item in value if _text(item))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def cell_text(value: object) -> str:
    """A query cell as the string BillingPlatform would send (flags as "1"/"0", null → "")."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value  # kept exactly: names may start or end with spaces
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


Text = Annotated[str, BeforeValidator(_text)]
Cell = Annotated[str, BeforeValidator(cell_text)]


class _Wire(BaseModel):
    # Built when first used (`defer_build`): a read never sees most of these answers
    # (writes, errors), and was paying for them at import.
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True, defer_build=True)


class LoginResult(_Wire):
    """One `loginResponse` item: `{"SessionID", "ErrorCode": "0", "ErrorText": []}`."""

    session_id: Text = Field("", alias="SessionID")
    error_code: Text = Field("0", alias="ErrorCode")
    error_text: Text = Field("", alias="ErrorText")


class LoginResponse(_Wire):
    """The body of `POST /rest/2.0/login`."""

    login_response: list[LoginResult] = Field(alias="loginResponse", min_length=1)


class QueryResponse(_Wire):
    """The body of `GET|POST /rest/2.0/query`: rows with every value as a string."""

    # Only the API's own key: a body saying `rows` (the field's Python name) is not an answer
    # from BillingPlatform, and reading it as one would plan against made-up data.
    model_config = ConfigDict(extra="ignore", populate_by_name=False, frozen=True, defer_build=True)

    rows: list[dict[str, Cell]] = Field(alias="queryResponse")


class WireRecordResult(_Wire):
    """One per-record result of create / update / upsert / delete."""

    id: str | None = Field(None, alias="Id")
    success: bool | None = None
    error_code: Text = Field("", alias="ErrorCode")
    error_text: Text = Field("", alias="ErrorText")
    error_message: Text = Field("", alias="ErrorMessage")  # one demo app reads this name
    error_field: Text = Field("", alias="ErrorElementField")
    created: bool | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> str | None:
        if value is None or isinstance(value, bool):
            return None
        text = str(value).strip()
        return text or None

    @field_validator("success", "created", mode="before")
    @classmethod
    def _blank_is_unknown(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @property
    def ok(self) -> bool:
        """`success` when given; otherwise ErrorCode "0" (or none) means success."""
        if self.success is not None:
            return self.success
        return self.error_code in ("", "0")

    @property
    def message(self) -> str:
        """The error text under either spelling."""
        return self.error_text or self.error_message


def plain_query_rows(body: object) -> list[dict[str, str]] | None:
    """The rows of a decoded query answer when every cell is a string already, as
    BillingPlatform sends them nearly always; None for anything else (cells of other types,
    another shape), which `QueryResponse` then reads and, if need be, says what is wrong.

    Both give the same rows when this one answers: this one only skips `QueryResponse`'s
    cell-by-cell validation in Python, which was most of the CPU of reading a
    40,000-record catalog.
    """
    if type(body) is not dict:
        return None
    rows = body.get("queryResponse")
    if type(rows) is not list:
        return None
    text = {str}
    if all(type(row) is dict and set(map(type, row.values())) <= text for row in rows):
        return rows
    return None
