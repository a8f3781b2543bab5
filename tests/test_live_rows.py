"""Live rows built in bulk are the rows `LiveResource(...)` builds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalogsync.catalog import Value, product_ref
from catalogsync.live import LiveResource


def test_adopting_builds_what_the_constructor_builds_without_copying() -> None:
    fields: dict[str, Value] = {"rate": Decimal("1.50"), "status": "ACTIVE", "ssp_formula": None}
    built = LiveResource(product_ref("A"), "7", dict(fields), "2026-01-01", "u1")
    adopted = LiveResource.adopting(product_ref("A"), "7", fields, "2026-01-01", "u1")
    assert adopted == built and adopted.fingerprint == built.fingerprint
    with pytest.raises(TypeError):
        adopted.fields["rate"] = Decimal(2)  # type: ignore[index]
    with pytest.raises(AttributeError):
        adopted.remote_id = "8"  # type: ignore[misc]
