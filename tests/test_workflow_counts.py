"""`fetch_and_plan` tells the backend the desired catalog's counts once they are known, so a
paged read can ask its remaining pages together (`Backend.expect_counts`)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from catalogsync import catalog_cache, preflight, workflow
from catalogsync.backend_api import Progress
from catalogsync.catalog import Catalog, Kind, Resource
from catalogsync.config import load_project
from catalogsync.errors import CatalogValidationError
from catalogsync.live import LiveCatalog
from catalogsync.loader import load_project_catalog
from catalogsync.workflow import choose_target, fetch_and_plan
from tests.conftest import copy_example
from tests.fakes import InMemoryBackend


class _Watching(InMemoryBackend):
    """Reads nothing until the hint is known (or it is clear it never will be)."""

    counts: Callable[[], Mapping[Kind, int] | None] = staticmethod(lambda: None)
    seen: Mapping[Kind, int] | None = None

    def expect_counts(self, counts: Callable[[], Mapping[Kind, int] | None]) -> None:
        self.counts = counts

    async def fetch_live(self, progress: Progress | None = None) -> LiveCatalog:
        for _ in range(1000):
            self.seen = self.counts()
            if self.seen is not None:
                break
            await asyncio.sleep(0.005)
        return await super().fetch_live(progress)


#: The example's files are loaded here; at 0 bytes they are loaded by a forked child
#: (`catalog_cache.loaded_beside`), as a large catalog is.
beside_or_here = pytest.mark.parametrize(
    "least", [catalog_cache.BESIDE_LEAST_BYTES, 0], ids=["here", "beside"]
)


@beside_or_here
def test_the_backend_learns_the_desired_counts_while_it_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, least: int
) -> None:
    monkeypatch.setattr(catalog_cache, "BESIDE_LEAST_BYTES", least)
    project = load_project(copy_example(tmp_path / "project"))
    backend = _Watching()
    desired, _, _ = asyncio.run(fetch_and_plan(project, choose_target(project, None), backend))
    assert backend.seen == desired.count() == load_project_catalog(project).count()
    assert backend.seen[Kind.PACKAGE_PRODUCT] > 0


def test_a_cached_catalog_tells_its_counts_before_it_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the catalog cache, the counts are known as soon as the entry is proven, while
    its resources are still being read back: the read asks its pages together sooner."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.delenv(catalog_cache.ENV_SWITCH, raising=False)
    project = load_project(copy_example(tmp_path / "project"))
    expected = load_project_catalog(project).count()  # writes the entry
    released = threading.Event()
    resources = catalog_cache._resources

    def held(chunk: catalog_cache._Chunk) -> list[Resource]:
        released.wait(10)  # the resources are read back only once the read saw the counts
        return resources(chunk)

    monkeypatch.setattr(catalog_cache, "_resources", held)

    class _Releasing(_Watching):
        async def fetch_live(self, progress: Progress | None = None) -> LiveCatalog:
            try:
                return await super().fetch_live(progress)
            finally:
                released.set()

    backend = _Releasing()
    asyncio.run(fetch_and_plan(project, choose_target(project, None), backend))
    assert backend.seen == expected


@beside_or_here
def test_an_invalid_catalog_gives_no_counts_and_its_own_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, least: int
) -> None:
    monkeypatch.setattr(catalog_cache, "BESIDE_LEAST_BYTES", least)
    folder = copy_example(tmp_path / "project")
    catalog_file = next(p for p in folder.rglob("*.yaml") if p.name != "catalogsync.yaml")
    catalog_file.write_text("products: [unclosed\n", encoding="utf-8")
    project = load_project(folder)
    backend = _Watching()
    with pytest.raises(CatalogValidationError, match=rf"{catalog_file.name}:\d+:\d+") as caught:
        asyncio.run(fetch_and_plan(project, choose_target(project, None), backend))
    with pytest.raises(CatalogValidationError) as loaded_here:
        load_project_catalog(project)
    assert str(caught.value) == str(loaded_here.value)
    assert backend.seen is None  # the failed load was never taken for counts


@beside_or_here
def test_what_the_lookup_check_reads_of_the_catalog_is_made_before_the_read_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, least: int
) -> None:
    """The desired catalog's side of the lookup-name check (`preflight.lookup_use`) is made
    in the loading thread, while the read goes on, not after the read's last answer."""
    monkeypatch.setattr(catalog_cache, "BESIDE_LEAST_BYTES", least)
    project = load_project(copy_example(tmp_path / "project"))
    made: list[bool] = []  # for each `lookup_use`: whether the read had ended
    read_ended = threading.Event()
    real = preflight.lookup_use

    def watched(desired: Catalog) -> preflight.LookupUse:
        made.append(read_ended.is_set())
        return real(desired)

    monkeypatch.setattr(preflight, "lookup_use", watched)
    monkeypatch.setattr(workflow, "lookup_use", watched)

    class _Slow(InMemoryBackend):
        async def fetch_live(self, progress: Progress | None = None) -> LiveCatalog:
            for _ in range(1000):  # until the catalog is loaded (and its use made)
                if made:
                    break
                await asyncio.sleep(0.005)
            try:
                return await super().fetch_live(progress)
            finally:
                read_ended.set()

    asyncio.run(fetch_and_plan(project, choose_target(project, None), _Slow()))
    assert made == [False]  # once, and before the read ended
