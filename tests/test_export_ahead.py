"""The products' file started before the read ends (`catalogsync.export_ahead`): taken only
where it is the export's own work, the same bytes, messages and proof as without it; a
read that fails or is interrupted after the products were handed over leaves nothing
written, no staging folder and no child behind. And the export's read told the counts the
catalog cache names, as a plan's is told its catalog's."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from catalogsync import adopt, beside, exporter
from catalogsync.adopt import export_header, prepare_export
from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.live_rows import LiveRows
from catalogsync.beside import Beside
from catalogsync.catalog import Kind
from catalogsync.catalog_cache_keys import ENTRY_KEY_BYTES, ENV_SWITCH, MAC_BYTES, MAGIC
from catalogsync.catalog_writer import CatalogWriter
from catalogsync.config import load_project
from catalogsync.errors import BackendError, CatalogSyncError
from catalogsync.export_ahead import ExportAhead
from catalogsync.export_check import StagedCheck
from catalogsync.exporter import Selection, SplitBy
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.planner import PlanOptions
from catalogsync.registry import get_format
from tests.clirun import run
from tests.conftest import ended
from tests.test_e2e_billingplatform import project_emulator, ui_request
from tests.test_export_check import LIVE

pytestmark = pytest.mark.skipif(not beside.available(), reason="needs fork and two cores")

OPTIONS = PlanOptions(backend="billingplatform")
CONFIG = "backend: billingplatform\ntargets: {local: {url: 'emulator:'}}\n"


@pytest.fixture(autouse=True)
def own_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Staging folders go here, to be counted."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the children `Beside.stream` forks."""
    pids: list[int] = []
    stream = Beside.stream

    def noted(*args: Any, **kwargs: Any) -> Any:
        child = stream(*args, **kwargs)
        if child is not None:
            assert child._pid is not None
            pids.append(child._pid)
        return child

    monkeypatch.setattr(Beside, "stream", noted)
    return pids


def _project(tmp_path: Path, config: str = CONFIG) -> Path:
    project = tmp_path / "adopt"
    project.mkdir(exist_ok=True)
    (project / "catalogsync.yaml").write_text(config, encoding="utf-8")
    return project


def _products(live: LiveCatalog) -> list[LiveResource]:
    return [resource for resource in live if resource.ref.kind is Kind.PRODUCT]


def _ahead(out: Path) -> ExportAhead:
    fmt = get_format("billingplatform")
    header = export_header(fmt, OPTIONS.target, out)
    return ExportAhead(fmt, OPTIONS, selection=Selection(), split_by=SplitBy.PACKAGE, header=header)


def _staged(project: Path, live: LiveCatalog, ahead: ExportAhead | None) -> dict[str, bytes]:
    """The staged files' bytes of an export of `live` into `project`/out."""
    with prepare_export(
        load_project(project),
        live,
        OPTIONS,
        out=project / "out",
        selection=Selection(),
        split_by=SplitBy.PACKAGE,
        force=False,
        ahead=ahead,
    ) as prepared:
        assert prepared.staged is not None
        folder = Path(prepared.staged.name)
        return {relative: (folder / relative).read_bytes() for relative in prepared.result.files}


class _Made:
    """The files the export writes once the read has ended (`adopt.export_texts_of`, in this
    process or the child it shares them with), noted in a file both append to."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def clear(self) -> None:
        self.log.unlink(missing_ok=True)

    def __contains__(self, path: str) -> bool:
        return path in self.paths()

    def paths(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []


@pytest.fixture
def made_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> _Made:
    made = _Made(tmp_path / "made.log")
    export_texts_of = exporter.export_texts_of  # (what `adopt` makes the files' texts with)

    def noted(chosen: Any, fmt: Any, paths: list[str], *args: Any) -> list[str]:
        with made.log.open("a", encoding="utf-8") as log:  # (short lines: one write)
            log.write("".join(f"{path}\n" for path in paths))
        return export_texts_of(chosen, fmt, paths, *args)

    monkeypatch.setattr(adopt, "export_texts_of", noted)
    return made


def test_the_products_file_made_before_the_read_ended_is_the_export_s_own(
    tmp_path: Path, made_here: _Made, children: list[int], own_tempdir: Path
) -> None:
    project = _project(tmp_path)
    alone = _staged(project, LIVE, None)
    made_here.clear()
    with _ahead(project / "out") as ahead:
        ahead.ready(Kind.PACKAGE, [r for r in LIVE if r.ref.kind is Kind.PACKAGE])  # (ignored)
        ahead.ready(Kind.PRODUCT, _products(LIVE))
        assert len(children) == 1
        early = _staged(project, LIVE, ahead)
    assert early == alone  # the same files, byte for byte
    assert "products.yaml" not in made_here and made_here.paths()  # taken as the child wrote it
    assert all(map(ended, children))
    assert list(own_tempdir.iterdir()) == []


def test_a_products_file_the_export_writes_otherwise_is_made_here(
    tmp_path: Path, made_here: _Made, children: list[int]
) -> None:
    """The export joins the project's catalog, which declares Voice: its products file
    holds Data alone, not what the child wrote of the products alone."""
    config = CONFIG + "catalog: [kept.yaml, out/]\n"
    project = _project(tmp_path, config)
    (project / "kept.yaml").write_text("products:\n  - name: Voice\n", encoding="utf-8")
    (project / "out").mkdir()
    alone = _staged(project, LIVE, None)
    made_here.clear()
    with _ahead(project / "out") as ahead:
        ahead.ready(Kind.PRODUCT, _products(LIVE))
        early = _staged(project, LIVE, ahead)
    assert early == alone
    assert b"Voice" not in early["products.yaml"]
    assert "products.yaml" in made_here
    assert all(map(ended, children))


def test_products_that_are_not_the_live_catalog_s_records_are_not_taken(
    tmp_path: Path, made_here: _Made, children: list[int], own_tempdir: Path
) -> None:
    """Records handed over that the live catalog does not hold (here equal copies): the
    child is stopped, its folder removed, and the file made here."""
    project = _project(tmp_path)
    alone = _staged(project, LIVE, None)
    made_here.clear()
    copies = [LiveResource(*resource) for resource in _products(LIVE)]
    with _ahead(project / "out") as ahead:
        ahead.ready(Kind.PRODUCT, copies)
        early = _staged(project, LIVE, ahead)
    assert early == alone
    assert "products.yaml" in made_here
    assert all(map(ended, children))
    assert list(own_tempdir.iterdir()) == []


def test_a_wrong_value_in_the_early_file_is_caught_with_the_same_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, children: list[int], own_tempdir: Path
) -> None:
    """The child's file fails its check: the whole check words it, as without the child,
    and the checked choice runs again; nothing is written, nothing left behind."""
    scalar = CatalogWriter._scalar

    def wrong(self: CatalogWriter, value: Any) -> str:
        return '"2.5"' if str(value) == "2.25" else scalar(self, value)

    monkeypatch.setattr(CatalogWriter, "_scalar", wrong)
    project = _project(tmp_path)
    with pytest.raises(CatalogSyncError) as alone:
        _staged(project, LIVE, None)
    with _ahead(project / "out") as ahead:
        ahead.ready(Kind.PRODUCT, _products(LIVE))
        with pytest.raises(CatalogSyncError) as early:
            _staged(project, LIVE, ahead)
    assert str(early.value) == str(alone.value)
    assert str(early.value).endswith("\n  update product Data")
    assert not (project / "out").exists()
    assert all(map(ended, children))
    assert list(own_tempdir.iterdir()) == []


def test_closing_stops_the_child_at_once_and_removes_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, children: list[int], own_tempdir: Path
) -> None:
    def stuck(self: StagedCheck, relative: str) -> bool:
        time.sleep(3600)
        return True

    monkeypatch.setattr(StagedCheck, "file_ok", stuck)
    ahead = _ahead(tmp_path / "out")
    ahead.ready(Kind.PRODUCT, _products(LIVE))
    assert len(list(own_tempdir.iterdir())) == 1
    started = time.monotonic()
    ahead.close()
    assert time.monotonic() - started < 5
    assert all(map(ended, children))
    assert list(own_tempdir.iterdir()) == []


def _live_products(project: Path) -> None:
    """Two products and three packages in the embedded target, as made in the billing UI
    (PACKAGE's first page the largest: its read ends last, asking a COUNT, and PRODUCT's is
    handed over before)."""
    (project / ".catalogsync").mkdir()
    made = [("PRODUCT", "Voice"), ("PRODUCT", "Data")] + [("PACKAGE", n) for n in "ABC"]
    with project_emulator(project) as emulator:
        for entity, name in made:
            body = {"brmObjects": {"Id": "", "Name": name}}
            answer = ui_request(emulator, "POST", f"/rest/2.0/{entity}", json=body)
            assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("failure", [BackendError("the read failed"), KeyboardInterrupt()])
def test_a_read_that_ends_badly_after_the_products_were_handed_over_leaves_nothing(
    failure: BaseException,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    children: list[int],
    own_tempdir: Path,
) -> None:
    project = _project(tmp_path)
    _live_products(project)
    handed: list[Kind] = []
    ready = ExportAhead.ready

    def noted(self: ExportAhead, kind: Kind, records: Any) -> None:
        handed.append(kind)
        ready(self, kind, records)

    def fails(self: LiveRows, rating_methods: Any, keep: bool = False) -> Any:
        # A new exception each run: the parameter's own, raised, would keep its traceback
        # (and the read's frames and pages) alive for the rest of the session, which a
        # later test of this worker counting live objects then finds.
        raise type(failure)(*failure.args)

    monkeypatch.setattr(ExportAhead, "ready", noted)
    monkeypatch.setattr(LiveRows, "finish", fails)
    code, _, err = run(project, "export", "--out", str(project / "out"))
    assert code != 0 and str(failure) in err
    assert Kind.PRODUCT in handed and len(children) == 1  # the child was started
    assert not (project / "out").exists()
    assert all(map(ended, children))
    assert list(own_tempdir.iterdir()) == []


@pytest.mark.parametrize("cache", ["1", "0"])
def test_the_export_s_read_expects_the_counts_the_catalog_cache_s_entry_names(
    cache: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a plan's read expects its catalog's counts (`Backend.expect_counts`): the pages
    the early login sent by them (`counts_hint`) are then asked together, not one by one.
    None with the cache switched off, as for the early login."""
    project = _project(tmp_path)
    _live_products(project)
    entry = MAGIC + bytes(MAC_BYTES + ENTRY_KEY_BYTES) + b"key\nproduct=2 package=1 other=7\n\n"
    (project / ".catalogsync" / "catalog.cache").write_bytes(entry)
    monkeypatch.setenv(ENV_SWITCH, cache)
    expected: list[object] = []
    expect_counts = BillingPlatformBackend.expect_counts

    def noted(self: BillingPlatformBackend, counts: Any) -> None:
        expected.append(counts())
        expect_counts(self, counts)

    monkeypatch.setattr(BillingPlatformBackend, "expect_counts", noted)
    code, _, err = run(project, "export", "--out", str(project / "out"))
    assert code == 0, err
    hint = {Kind.PRODUCT: 2, Kind.PACKAGE: 1}  # (the entry's, not the live counts)
    assert expected == ([hint] if cache == "1" else [None])
