"""10,000 products upserted in batches of 200 and read back with two paged queries."""

from __future__ import annotations

import pytest

from benchmarks.emulator_bulk import run


@pytest.mark.slow
@pytest.mark.loopback
@pytest.mark.parametrize("mode", ["loopback", "inprocess"])
def test_ten_thousand_packages_in_batches_of_200(mode: str) -> None:
    # run() itself checks that every name (awkward ones included) comes back exactly once.
    result = run(10_000, batch_size=200, page_size=10_000, mode=mode)
    assert result.batches == 50
    assert result.queries == 2  # one full page of 10,000, then the 404 that ends paging
    assert result.requests == 1 + 50 + 2  # login, upserts, queries
    assert result.total_seconds < 60
