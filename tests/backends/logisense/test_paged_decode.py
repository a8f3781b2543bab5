"""Paged listings decoded in one pass when they have the documented shape; any other
answer is read by `PagedResponse` as before (same records, same errors)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogsync.backends.logisense.wire import PagedResponse
from catalogsync.http.tables import decode_page


def test_decode_page_gives_the_records_as_json_does_and_the_count() -> None:
    records = [{"identity": 1, "name": "A", "isActive": True, "details": {"x": [1.5, None]}}]
    body = json.dumps({"pagination": {}, "pagedResults": {"totalCount": 7, "items": records}})
    assert decode_page(body.encode(), "pagedResults") == (records, 7)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"items": []}',
        b'{"pagedResults": {"totalCount": 1}}',  # no items
        b'{"pagedResults": {"items": [1]}}',  # a record that is not an object
        b'{"pagedResults": {"items": [], "totalCount": "3"}}',  # a count that is text
        b'{"pagedResults": {"items": [{"identity": NaN}]}}',
    ],
)
def test_decode_page_leaves_any_other_body_to_the_general_reader(body: bytes) -> None:
    assert decode_page(body, "pagedResults") is None


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**62), 2**62)
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(
    st.dictionaries(
        st.sampled_from(["totalCount", "items", "other"]),
        st.one_of(
            st.integers(0, 9),
            st.none(),
            st.lists(st.dictionaries(st.text(max_size=5), _json, max_size=3), max_size=3),
            _json,
        ),
    )
)
def test_decode_page_agrees_with_the_general_reader_whenever_it_answers(
    page: dict[str, Any],
) -> None:
    body = json.dumps({"pagedResults": page}).encode()
    decoded = decode_page(body, "pagedResults")
    if decoded is not None:
        general = PagedResponse.model_validate(json.loads(body))
        assert decoded == (general.items, general.paged_results.total_count)
