"""`catalogsync export` lists the files it writes as `display_path` shows each one."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogsync.adopt import shown_paths
from catalogsync.yamlio import display_path


def test_each_file_is_shown_as_display_path_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "a" / "b"
    here.mkdir(parents=True)
    monkeypatch.chdir(here)
    paths = [
        Path("products.yaml"),
        Path("exported/packages/gold.yaml"),
        Path("exported/packages/silver.yaml"),
        here / "products.yaml",
        here / "out" / "packages" / "gold.yaml",
        tmp_path / "a" / "sibling" / "products.yaml",  # one level up: shown relative
        tmp_path / "far" / "packages" / "gold.yaml",  # two levels up: shown whole
        Path("/") / "products.yaml",
    ]
    assert shown_paths(paths) == [display_path(path, Path.cwd()) for path in paths]
