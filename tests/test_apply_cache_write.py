"""An apply writes its catalog's cache entry while its first wave waits on the network
(`catalog_cache.cached_catalog(write_later=...)`), or at the end when no wave runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogsync import catalog_cache
from catalogsync.catalog import Catalog
from catalogsync.config import load_project
from catalogsync.loader import project_catalog_files
from tests.clirun import run
from tests.conftest import copy_example


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.delenv(catalog_cache.ENV_SWITCH, raising=False)
    return copy_example(tmp_path / "project")


def _read_back(folder: Path) -> bool:
    """Whether the next run reads the catalog from the cache (not from the YAML)."""
    project = load_project(folder)

    def yaml_read() -> Catalog:
        raise AssertionError("read from the YAML: no entry was written")

    files = project_catalog_files(project)
    catalog_cache.cached_catalog(project.state_dir, "billingplatform", files, yaml_read)
    return True


def test_an_apply_that_writes_leaves_the_catalog_s_cache_entry(project: Path) -> None:
    code, out, _ = run(project, "apply", "--auto-approve")
    assert code == 0, out
    assert _read_back(project)


def test_an_apply_with_nothing_to_write_leaves_the_entry_too(project: Path) -> None:
    assert run(project, "apply", "--auto-approve")[0] == 0
    (project / ".catalogsync" / catalog_cache.CACHE_FILE).unlink()
    code, out, _ = run(project, "apply", "--auto-approve")
    assert code == 0 and "No changes" in out
    assert _read_back(project)
