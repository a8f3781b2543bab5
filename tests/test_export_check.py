"""The export's proof that its files load back as the live catalog, wherever it runs.

The staged files are loaded back (by the loader `plan` uses) and planned against the
live catalog, in a forked child beside the writing where it can (`catalogsync.beside`),
else here. A writer that wrote a wrong value or broken YAML must be caught either way,
with the same message, and nothing reaches the output folder.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from catalogsync import adopt, beside
from catalogsync.adopt import prepare_export
from catalogsync.catalog import package_product_ref, package_ref, product_ref
from catalogsync.catalog_writer import CatalogWriter
from catalogsync.config import load_project
from catalogsync.errors import CatalogSyncError
from catalogsync.exporter import Selection, SplitBy
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.planner import PlanOptions

LIVE = LiveCatalog(
    (
        LiveResource(product_ref("Voice"), "1", {"rate": Decimal("1.5"), "status": "ACTIVE"}),
        LiveResource(product_ref("Data"), "2", {"rate": Decimal("2.25")}),
        LiveResource(package_ref("Gold"), "3", {}),
        LiveResource(
            package_product_ref("Gold", "Voice"), "4", {"min_qty": 1, "rate": Decimal("1.25")}
        ),
        LiveResource(package_ref("Silver"), "5", {}),
        LiveResource(package_product_ref("Silver", "Data"), "6", {"min_qty": 0}),
    )
)

WHERE = ["beside", "here"]


@pytest.fixture(params=WHERE)
def where(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Where the check runs: in a forked child beside the writing, or in this process."""
    if request.param == "beside" and not beside.available():
        pytest.skip("needs fork and two cores")
    if request.param == "here":
        monkeypatch.setattr(beside, "available", lambda: False)
    return str(request.param)


def _export(tmp_path: Path) -> adopt.PreparedExport:
    project = tmp_path / "adopt"
    project.mkdir(exist_ok=True)
    (project / "catalogsync.yaml").write_text(
        "backend: billingplatform\ntargets: {local: {url: 'emulator:'}}\n", encoding="utf-8"
    )
    return prepare_export(
        load_project(project),
        LIVE,
        PlanOptions(backend="billingplatform"),
        out=project / "out",
        selection=Selection(),
        split_by=SplitBy.PACKAGE,
        force=False,
    )


def _written(tmp_path: Path) -> list[Path]:
    out = tmp_path / "adopt" / "out"
    return sorted(out.rglob("*")) if out.exists() else []


def test_a_correct_export_passes_the_check(where: str, tmp_path: Path) -> None:
    with _export(tmp_path) as prepared:
        assert len(prepared.result.refs) == 6
        assert prepared.staged is not None
        staged = Path(prepared.staged.name)
        assert sorted(p.name for p in staged.rglob("*.yaml")) == [
            "gold.yaml",
            "products.yaml",
            "silver.yaml",
        ]


def test_a_writer_that_writes_a_wrong_value_is_caught(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scalar = CatalogWriter._scalar

    def wrong(self: CatalogWriter, value: Any) -> str:
        return '"2.5"' if value == Decimal("2.25") else scalar(self, value)

    monkeypatch.setattr(CatalogWriter, "_scalar", wrong)
    with pytest.raises(CatalogSyncError, match="would not plan as unchanged") as caught:
        _export(tmp_path)
    assert str(caught.value).endswith("\n  update product Data")
    assert _written(tmp_path) == []


def test_a_writer_that_breaks_the_yaml_is_caught(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = CatalogWriter._item

    def misindented(self: CatalogWriter, key: str, mapping: dict[str, Any]) -> str:
        text = item(self, key, mapping)
        return text.replace("    rate:", "     rate:", 1) if mapping["name"] == "Data" else text

    monkeypatch.setattr(CatalogWriter, "_item", misindented)
    with pytest.raises(CatalogSyncError, match="does not load back") as caught:
        _export(tmp_path)
    assert "products.yaml:" in str(caught.value)
    assert _written(tmp_path) == []


def _dies() -> None:
    os._exit(9)  # as if the child were killed (out of memory)


def _hangs() -> None:
    time.sleep(3600)  # as if stuck on a lock a thread held at the fork


@pytest.mark.parametrize("fate", [_dies, _hangs], ids=["dies", "never answers"])
def test_a_check_beside_that_gives_no_answer_is_done_here(
    fate: Callable[[], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child killed (out of memory) or stuck for good: the check runs in this process,
    the stuck one once its deadline (`_answer_within`, shortened here) has passed."""
    if not beside.available():
        pytest.skip("needs fork and two cores")
    parent, verify = os.getpid(), adopt._verify
    ran_here: list[bool] = []

    def fails_beside(*args: Any, **kwargs: Any) -> None:
        if os.getpid() != parent:
            fate()
        ran_here.append(True)
        verify(*args, **kwargs)

    monkeypatch.setattr(adopt, "_verify", fails_beside)
    monkeypatch.setattr(adopt, "_answer_within", lambda writing: 0.5)
    with _export(tmp_path) as prepared:
        assert len(prepared.result.refs) == 6
    assert ran_here == [True]


def test_the_check_beside_is_told_of_each_file_once_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child reads a file only once this process says it is written (it never sees a
    half-written one): one ready signal per file, each after that file is complete."""
    if not beside.available():
        pytest.skip("needs fork and two cores")
    folders: list[Path] = []
    temporary, start = tempfile.TemporaryDirectory, beside.Beside.start

    def recorded(*args: Any, **kwargs: Any) -> Any:
        staged = temporary(*args, **kwargs)
        folders.append(Path(staged.name))
        return staged

    seen: list[list[str]] = []

    def counting(work: Any) -> Any:
        check = start(work)
        assert check is not None
        ready = check.item_ready

        def item_ready() -> None:
            seen.append(sorted(p.name for p in folders[0].rglob("*.yaml")))
            ready()

        check.item_ready = item_ready  # type: ignore[method-assign]
        return check

    monkeypatch.setattr(tempfile, "TemporaryDirectory", recorded)
    monkeypatch.setattr(beside.Beside, "start", staticmethod(counting))
    with _export(tmp_path) as prepared:
        files = [Path(f).name for f in prepared.result.files]
    assert seen == [sorted(files[: n + 1]) for n in range(len(files))]
