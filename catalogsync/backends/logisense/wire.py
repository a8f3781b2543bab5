"""Pydantic models of the LogiSense v8 envelopes the client reads (reference §2, §4).

Records inside the envelopes stay plain dicts (`mapping` reads the fields it manages);
these models pin down only the envelope shapes, ignore unknown keys, and accept the
variations the reference notes: a POST result item that *is* the instance (v8 Package
sample) as well as one that wraps it (`identity`, `action`, `dtoTypeKey`, `instance`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ApiError",
    "CollectionResponse",
    "ErrorResponse",
    "InstanceResponse",
    "PagedResponse",
    "TokenResponse",
    "WriteResponse",
    "WriteResult",
    "paged_total",
]

Record = dict[str, Any]


class _Wire(BaseModel):
    # Built when first used (`defer_build`): a read never sees most of these answers
    # (writes, errors), and was paying for them at import.
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True, defer_build=True)


class TokenResponse(_Wire):
    """`POST …/Access/Login`: the bearer token and its lifetime in seconds (≤ 1800)."""

    access_token: str = Field(min_length=1)
    token_type: str = "bearer"
    expires_in: int | None = None


class CollectionResponse(_Wire):
    """`GET X/`: `{"trackingId", "totalCount", "items"}`."""

    total_count: int | None = Field(None, alias="totalCount")
    items: list[Record]


class _Page(_Wire):
    total_count: int | None = Field(None, alias="totalCount")
    items: list[Record]


class PagedResponse(_Wire):
    """`GET X/Paged[/Detail]`: `{"pagination": {...}, "pagedResults": {totalCount, items}}`."""

    paged_results: _Page = Field(alias="pagedResults")

    @property
    def items(self) -> list[Record]:
        return self.paged_results.items

    @property
    def total_count(self) -> int | None:
        return paged_total(self.paged_results.total_count, self.items)


def paged_total(total: int | None, items: list[Record]) -> int | None:
    """A page's `totalCount`: None when the server did not count (`excludeTotalCount`) or
    sent 0 with items."""
    return None if total is None or (total == 0 and items) else total


class InstanceResponse(_Wire):
    """`GET X/{id}[/Detail]`: `{"trackingId", "instance": {...}}`."""

    instance: Record


class WriteResult(_Wire):
    """One item of a write's `results.items`: what happened to one object."""

    identity: int | None = None
    action: str = ""
    dto_type_key: str = Field("", alias="dtoTypeKey")
    patch_client_id: int | None = Field(None, alias="patchClientId")
    instance: Record | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_instance(cls, data: Any) -> Any:
        """A POST result item may be the created instance itself (v8 Package sample)."""
        if isinstance(data, dict) and "instance" not in data and "action" not in data:
            return {**data, "action": "created", "instance": dict(data)}
        return data


class _Results(_Wire):
    total_count: int | None = Field(None, alias="totalCount")
    items: list[WriteResult] = Field(default_factory=list)


class WriteResponse(_Wire):
    """POST / PUT / PATCH / DELETE: `{"trackingId", "type", "results": {"items": [...]}}`."""

    type: str = ""
    results: _Results = Field(default_factory=_Results)

    @property
    def items(self) -> list[WriteResult]:
        return self.results.items


class ApiError(_Wire):
    """One validation error: an 8-digit internal code and a message."""

    code: int | str | None = None
    message: str = ""


class ErrorResponse(_Wire):
    """HTTP 400: every validation error at once, `{"errors": [{code, message}, ...]}`."""

    errors: list[ApiError] = Field(default_factory=list)

    def text(self) -> str:
        """All messages, one after another."""
        return "; ".join(e.message.strip() for e in self.errors if e.message.strip())
