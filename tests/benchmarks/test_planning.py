"""`python -m benchmarks.planning --load-only`: the catalog's load alone, no target."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from benchmarks import planning
from catalogsync import catalog_cache
from tests.conftest import copy_example


def test_load_only_times_the_cached_load_of_a_project_without_a_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.delenv(catalog_cache.ENV_SWITCH, raising=False)
    project = copy_example(tmp_path / "project")
    planning.main([str(project), "--load-only", "--repeat", "2"])
    printed = capsys.readouterr().out
    assert printed.startswith("load ") and "least of 2 runs after the first" in printed
    assert math.isfinite(float(printed.split()[1]))
    # the first run wrote the entry the timed runs read
    assert (project / ".catalogsync" / catalog_cache.CACHE_FILE).is_file()
