"""The export's proof that its files load back as the live catalog, wherever it runs.

The staged files are loaded back (by the loader `plan` uses) and planned against the
live catalog, file by file, the files shared out between this process and a forked child
where it can (`catalogsync.beside`, `catalogsync.export_check`), else all here. A writer
that wrote a wrong value or broken YAML must be caught either way, with the same message,
and nothing reaches the output folder.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import stat
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogsync import adopt, beside, collector
from catalogsync.adopt import prepare_export
from catalogsync.catalog import Ref, Resource, package_product_ref, package_ref, product_ref
from catalogsync.catalog_writer import CatalogWriter
from catalogsync.config import load_project
from catalogsync.errors import CatalogSyncError
from catalogsync.export_check import StagedCheck, _stand_ins
from catalogsync.exporter import Selection, SplitBy, choose_export, export_text
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.loader import check_references
from catalogsync.planner import PlanOptions
from catalogsync.registry import get_format
from tests.conftest import examples

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


def _export(tmp_path: Path, live: LiveCatalog = LIVE) -> adopt.PreparedExport:
    project = tmp_path / "adopt"
    project.mkdir(exist_ok=True)
    config = project / "catalogsync.yaml"
    if not config.exists():
        config.write_text(
            "backend: billingplatform\ntargets: {local: {url: 'emulator:'}}\n", encoding="utf-8"
        )
    return prepare_export(
        load_project(project),
        live,
        PlanOptions(backend="billingplatform"),
        out=project / "out",
        selection=Selection(),
        split_by=SplitBy.PACKAGE,
        force=False,
    )


def _staged_names(prepared: adopt.PreparedExport) -> list[str]:
    """The names of the files staged for the export, sorted."""
    assert prepared.staged is not None
    return sorted(p.name for p in Path(prepared.staged.name).rglob("*.yaml"))


def _written(tmp_path: Path) -> list[Path]:
    """What the export left in its folder, and any staging folder left beside it."""
    out = tmp_path / "adopt" / "out"
    beside_out = sorted((tmp_path / "adopt").glob(".out.*"))
    return [*(sorted(out.rglob("*")) if out.exists() else []), *beside_out]


def test_a_correct_export_passes_the_check(where: str, tmp_path: Path) -> None:
    with _export(tmp_path) as prepared:
        assert len(prepared.result.refs) == 6
        assert _staged_names(prepared) == [
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
    export = CatalogWriter.export

    def misindented(self: CatalogWriter, *args: Any, **kwargs: Any) -> str:
        # (the file as the writer lays it out, then Data's rate one column too far in)
        text = export(self, *args, **kwargs)
        at = text.find("- name: Data\n")
        if at < 0:
            return text
        rate = text.index("    rate:", at)
        return text[:rate] + " " + text[rate:]

    monkeypatch.setattr(CatalogWriter, "export", misindented)
    with pytest.raises(CatalogSyncError, match="does not load back") as caught:
        _export(tmp_path)
    assert "products.yaml:" in str(caught.value)
    assert _written(tmp_path) == []


def _dies() -> None:
    os._exit(9)  # as if the child were killed (out of memory)


def _hangs() -> None:
    time.sleep(3600)  # as if stuck on a lock a thread held at the fork


@pytest.mark.parametrize("fate", [_dies, _hangs], ids=["dies", "never answers"])
def test_files_a_child_gives_no_answer_for_are_done_here(
    fate: Callable[[], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child killed (out of memory) or stuck for good: the files it took are written and
    checked in this process, the stuck one's once its deadline (`_answer_within`,
    shortened here) has passed."""
    if not beside.available():
        pytest.skip("needs fork and two cores")
    parent, file_ok = os.getpid(), StagedCheck.file_ok
    checked_here: list[str] = []

    def fails_beside(self: StagedCheck, relative: str) -> bool:
        if os.getpid() != parent:
            fate()
        checked_here.append(relative)
        return file_ok(self, relative)

    def slow_references(self: StagedCheck) -> bool:
        time.sleep(0.5)  # (the child takes a file first)
        return True

    monkeypatch.setattr(StagedCheck, "file_ok", fails_beside)
    monkeypatch.setattr(StagedCheck, "references_ok", slow_references)
    monkeypatch.setattr(adopt, "_answer_within", lambda elapsed: 0.5)
    with _export(tmp_path) as prepared:
        assert len(prepared.result.refs) == 6
        files = list(prepared.result.files)
    assert sorted(checked_here) == sorted(files)  # each once, all here


def test_each_file_is_written_and_checked_once_by_one_of_the_processes(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each staged file is checked once, by the process that wrote it, once complete."""
    log = tmp_path / "checked.log"
    file_ok = StagedCheck.file_ok

    def logged(self: StagedCheck, relative: str) -> bool:
        complete = (self.folder / relative).read_text(encoding="utf-8").endswith("\n")
        with log.open("a", encoding="utf-8") as out:  # (one short line: one write)
            out.write(f"{relative} {complete}\n")
        return file_ok(self, relative)

    monkeypatch.setattr(StagedCheck, "file_ok", logged)
    with _export(tmp_path) as prepared:
        files = list(prepared.result.files)
    lines = log.read_text(encoding="utf-8").splitlines()
    assert sorted(lines) == sorted(f"{relative} True" for relative in files)


def test_the_files_are_handed_out_largest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file is one item of the work shared with the child: the largest go first, so
    the last items are small and neither process is left alone with a large one (the
    groups' own order puts `products.yaml`, a quarter of an export's objects, last)."""
    monkeypatch.setattr(beside, "available", lambda: False)  # (every item here, in order)
    many = LiveCatalog(
        (*LIVE, *(LiveResource(product_ref(f"Extra {n}"), f"1{n}", {}) for n in range(3)))
    )
    order: list[str] = []
    file_ok = StagedCheck.file_ok

    def noted(self: StagedCheck, relative: str) -> bool:
        order.append(relative)
        return file_ok(self, relative)

    monkeypatch.setattr(StagedCheck, "file_ok", noted)
    with _export(tmp_path, many) as prepared:
        groups = list(prepared.result.files)
    assert groups[-1] == "products.yaml"  # (last in the groups' order)
    assert order == ["products.yaml", *groups[:-1]]  # (5 objects; then 2 and 2, in order)


def test_objects_that_link_pass_the_file_by_file_check(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package-product linking another one: the loader's `requires` for it is what the
    check expects, so no part fails and the whole check is not needed."""
    linked = LiveCatalog(
        (
            *LIVE,
            LiveResource(
                package_product_ref("Gold", "Data"),
                "7",
                {"min_qty": 0, "link_package": "Silver", "link_product": "Data"},
            ),
        )
    )

    def whole(*args: Any) -> None:
        raise AssertionError("a part failed: the whole check ran")

    monkeypatch.setattr(adopt, "_verify", whole)
    with _export(tmp_path, linked) as prepared:
        assert package_product_ref("Gold", "Data") in prepared.result.refs


def test_a_problem_across_files_is_worded_by_the_whole_check(where: str, tmp_path: Path) -> None:
    """The checks across files run on stand-ins; what they find is worded as ever: here a
    kept file renames a product from a name the export writes."""
    project = tmp_path / "adopt"
    project.mkdir()
    (project / "catalogsync.yaml").write_text(
        "backend: billingplatform\ncatalog: [kept.yaml, out/]\n"
        "targets: {local: {url: 'emulator:'}}\n",
        encoding="utf-8",
    )
    (project / "kept.yaml").write_text(
        "products:\n  - name: Talk\n    renamed_from: [Voice]\n", encoding="utf-8"
    )
    (project / "out").mkdir()  # (the catalog path exists: the export joins the catalog)
    with pytest.raises(CatalogSyncError, match="does not load back") as caught:
        _export(tmp_path)
    assert str(caught.value).endswith(
        "kept.yaml:2:5: product Talk is renamed from 'Voice', but 'Voice' is still declared "
        "(first declared at products.yaml:6:5)"
    )
    assert _written(tmp_path) == []


_DATA = (
    "      - product: Data\n        min_qty: 0\n"
    "        link_package: Silver\n        link_product: Data\n"
)
_VOICE = '      - product: Voice\n        min_qty: 1\n        rate: "1.25"\n'


@pytest.mark.parametrize(
    ("altered", "passes"),
    [
        (lambda text: text, True),
        # a package item's link not the live one's (the stand-ins' links would be wrong)
        (lambda text: text.replace("link_package: Silver", "link_package: Gold"), False),
        # a rename the live catalog does not have: no create or update, still refused
        (
            lambda text: text.replace("- name: Gold\n", "- name: Gold\n    renamed_from: [Au]\n"),
            False,
        ),
        # the same objects, the same values, in another order
        (lambda text: text.replace(_DATA + _VOICE, _VOICE + _DATA), False),
    ],
)
def test_a_file_passes_its_part_only_as_written(
    tmp_path: Path, altered: Callable[[str], str], passes: bool
) -> None:
    """`StagedCheck.file_ok` on one staged file: its keys in order, its links, no renames."""
    live = LiveCatalog(
        (
            *LIVE,
            LiveResource(
                package_product_ref("Gold", "Data"),
                "7",
                {"min_qty": 0, "link_package": "Silver", "link_product": "Data"},
            ),
        )
    )
    fmt = get_format("billingplatform")
    chosen = choose_export(live, fmt, selection=Selection(), split_by=SplitBy.PACKAGE)
    (gold,) = [path for path in chosen.groups if path.endswith("gold.yaml")]
    staged = tmp_path / "staged"
    (staged / gold).parent.mkdir(parents=True)
    text = export_text(chosen, fmt, gold)
    assert _DATA + _VOICE in text
    (staged / gold).write_text(altered(text), encoding="utf-8")
    check = StagedCheck.prepare(
        chosen, fmt, (), staged, live, PlanOptions(backend="billingplatform")
    )
    assert check.file_ok(gold) is passes


@pytest.fixture
def chosen_with(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The `needs_later` of each choice `prepare_export` makes, in order."""
    asked: list[bool] = []

    def noted(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs["needs_later"])
        return choose_export(*args, **kwargs)

    monkeypatch.setattr(adopt, "choose_export", noted)
    return asked


def test_a_choice_missing_what_an_object_needs_is_made_again_as_before(
    where: str, tmp_path: Path, chosen_with: list[bool]
) -> None:
    """The choice leaves its check that nothing needed is missing to after the fork
    (`choose_export(needs_later=True)`); when it fails, the export is made again with the
    dependencies looked for: the same result as choosing them first."""
    # Bronze / Ghost needs the product Ghost, which is not live: it is left out, with why.
    dangling = LiveResource(package_product_ref("Bronze", "Ghost"), "8", {"min_qty": 2})
    live = LiveCatalog((*LIVE.resources, LiveResource(package_ref("Bronze"), "7", {}), dangling))
    with _export(tmp_path, live) as prepared:
        # deferred, failed, then chosen again from the start with the walk
        asked = chosen_with
        assert asked == sorted(asked, reverse=True) and asked[0] and not asked[-1]
        assert prepared.result.skipped == [
            (dangling.ref, f"it needs {product_ref('Ghost')}, which cannot be exported")
        ]
        expected = choose_export(live, get_format("billingplatform"), checked=False).result()
        assert prepared.result == expected
        assert _staged_names(prepared) == [
            "bronze.yaml",
            "gold.yaml",
            "products.yaml",
            "silver.yaml",
        ]


def test_a_choice_holding_a_blank_name_is_made_again_as_before(
    where: str, tmp_path: Path, chosen_with: list[bool]
) -> None:
    """Whether a name is blank is asked after the fork too (`Chosen.needs_met`): the
    package whose name is blank, and its item, are left out as choosing first leaves them."""
    blank, item = package_ref(" "), package_product_ref(" ", "Voice")
    live = LiveCatalog(
        (*LIVE.resources, LiveResource(blank, "7", {}), LiveResource(item, "8", {"min_qty": 1}))
    )
    with _export(tmp_path, live) as prepared:
        asked = chosen_with
        assert asked == sorted(asked, reverse=True) and asked[0] and not asked[-1]
        expected = choose_export(live, get_format("billingplatform"), checked=False).result()
        assert prepared.result == expected
        assert {ref for ref, _ in prepared.result.skipped} == {blank, item}
        assert _staged_names(prepared) == [
            "gold.yaml",
            "products.yaml",
            "silver.yaml",
        ]


def test_a_choice_with_nothing_missing_is_not_walked_again(
    where: str, tmp_path: Path, chosen_with: list[bool]
) -> None:
    with _export(tmp_path) as prepared:
        assert chosen_with and all(chosen_with)
        assert prepared.result == choose_export(LIVE, get_format("billingplatform")).result()


_product_names = st.sampled_from(["Voice", "Data", "Fax"])
_package_names = st.sampled_from(["Gold", "Silver"])
_keys = st.one_of(
    st.builds(product_ref, _product_names),
    st.builds(package_ref, _package_names),
    st.builds(package_product_ref, _package_names, _product_names),
    st.builds(package_product_ref, _package_names, _product_names, _product_names),
)


@st.composite
def _across(draw: st.DrawFn) -> StagedCheck:
    """A check's groups, kept resources and links, as the checks across files see them:
    keys twice or missing their package, product or parent, kept renames and links."""
    refs = draw(st.lists(_keys, max_size=8))
    if draw(st.booleans()):  # mostly with what their keys need, each once or more
        needed = [need for ref in refs for need in Resource(ref).dependencies()]
        refs = draw(st.permutations(list(dict.fromkeys(refs + needed))))
        refs += draw(st.lists(st.sampled_from(refs), max_size=1)) if refs else []
    cut = sorted(draw(st.lists(st.integers(0, len(refs)), max_size=3)))
    groups = {
        f"f{n}.yaml": refs[start:end]
        for n, (start, end) in enumerate(zip([0, *cut], [*cut, len(refs)], strict=True))
    }
    # (without links and renames, the keys alone decide: each drawn or not, as a whole)
    linked = st.lists(_keys, min_size=1, max_size=1) if draw(st.booleans()) else st.just([])
    renames = st.lists(_product_names, max_size=1) if draw(st.booleans()) else st.just([])
    kept = [
        Resource(ref, requires=tuple(draw(linked)), renamed_from=tuple(draw(renames)))
        for ref in draw(st.lists(_keys, max_size=3))
    ]
    linking = draw(st.lists(st.sampled_from(refs), max_size=2)) if refs else []
    links = {ref: tuple(draw(linked)) for ref in linking}
    fmt = get_format("billingplatform")
    return StagedCheck(fmt, Path("."), groups, kept, links, lambda resources, records: [], {})


@settings(max_examples=examples(200), deadline=None)
@given(_across())
def test_the_checks_across_files_answer_what_check_references_answers(check: StagedCheck) -> None:
    """`references_ok` passes exactly when `check_references` finds nothing on the kept
    resources and a stand-in (key and links) for each exported object."""
    expected = not check_references([*check.kept, *_stand_ins(check.groups, check.links)])
    assert check.references_ok() is expected


@settings(max_examples=examples(200), deadline=None)
@given(refs=st.lists(_keys, max_size=10), later=st.booleans(), needed=st.booleans())
def test_the_choice_s_answer_on_the_keys_is_the_checks_own(
    refs: list[Ref], later: bool, needed: bool
) -> None:
    """What the choice tells of the exported keys (`Chosen.keys_whole`: each held once,
    each key's needs among them), given to the checks across files, answers as the keys
    do there (`_keys_alone_ok`); a key held twice or missing its package, product or
    parent among them."""
    if needed:  # mostly with what their keys need
        refs += [need for ref in refs for need in Resource(ref).dependencies()]
    live = LiveCatalog(tuple(LiveResource(ref, str(n)) for n, ref in enumerate(refs)))
    fmt = get_format("billingplatform")
    chosen = choose_export(live, fmt, checked=False, needs_later=later)
    told = StagedCheck(
        fmt, Path("."), chosen.groups, [], chosen.links, lambda r, records: [], chosen.records
    )
    check = dataclasses.replace(told, keys_whole=chosen.keys_whole)
    assert check.references_ok() is told.references_ok()


_GOLD_VOICE = package_product_ref("Gold", "Voice")
_EXPORTED = {
    "products.yaml": [product_ref("Voice"), product_ref("Data")],
    "gold.yaml": [package_ref("Gold"), _GOLD_VOICE],
}


@pytest.mark.parametrize(
    ("groups", "kept", "links"),
    [
        (_EXPORTED, [], {}),  # nothing to say
        (_EXPORTED, [Resource(product_ref("Talk"), renamed_from=("Voice",))], {}),
        (_EXPORTED, [Resource(product_ref("Talk"), requires=(package_ref("Au"),))], {}),
        (_EXPORTED, [], {_GOLD_VOICE: (package_product_ref("Au", "Data"),)}),
        (_EXPORTED, [], {_GOLD_VOICE: (_GOLD_VOICE,)}),  # a cycle
        ({**_EXPORTED, "more.yaml": [product_ref("Data")]}, [], {}),  # a key twice
        (_EXPORTED, [Resource(product_ref("Voice"))], {}),  # kept and exported
        ({**_EXPORTED, "gold.yaml": [_GOLD_VOICE]}, [], {}),  # without its package
        (_EXPORTED, [Resource(package_product_ref("Gold", "Voice", "Fax"))], {}),
    ],
)
def test_each_problem_across_files_fails_the_checks_across_files(
    groups: dict[str, list[Ref]], kept: list[Resource], links: dict[Ref, tuple[Ref, ...]]
) -> None:
    fmt = get_format("billingplatform")
    check = StagedCheck(fmt, Path("."), groups, kept, links, lambda resources, records: [], {})
    found = check_references([*kept, *_stand_ins(groups, links)])
    assert check.references_ok() is (not found)
    assert bool(found) is ((groups, kept, links) != (_EXPORTED, [], {}))


def test_a_command_keeps_the_choice_and_the_check_s_index_until_it_exits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a command (`collector.outlive`), what the export chose and the proof's index are
    left to the process's exit, not freed an object at a time as `prepare_export` returns;
    elsewhere (a test, a server) nothing is kept."""
    kept: list[object] = []
    monkeypatch.setattr(collector, "_OUTLIVING", kept)
    with _export(tmp_path):
        pass
    assert kept == []
    monkeypatch.setattr(collector, "_a_command", True)
    with _export(tmp_path):
        pass
    assert sorted(type(value).__name__ for value in kept) == ["Chosen", "StagedCheck"]


def test_files_staged_on_another_file_system_are_copied_into_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`write_export` renames each staged file into place, or copies it (under a partial
    name, then renamed) when the staging folder is on another file system."""
    replace = os.replace

    def across(source: Any, target: Any) -> None:
        if "catalogsync-export-" in os.fspath(source):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        replace(source, target)

    (tmp_path / "adopt" / "out").mkdir(parents=True)  # (staged in the temporary folder)
    with _export(tmp_path) as prepared:
        assert prepared.staged is not None
        staged = Path(prepared.staged.name)
        texts = {
            name: (staged / name).read_text(encoding="utf-8") for name in prepared.result.files
        }
        monkeypatch.setattr(os, "replace", across)
        adopt.write_export(prepared, load_project(tmp_path / "adopt"))
    out = tmp_path / "adopt" / "out"
    assert {name: (out / name).read_text(encoding="utf-8") for name in texts} == texts
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == sorted([*texts, "schemas/billingplatform.catalog.schema.json"])


def _staged_texts(prepared: adopt.PreparedExport) -> dict[str, str]:
    assert prepared.staged is not None
    staged = Path(prepared.staged.name)
    return {name: (staged / name).read_text(encoding="utf-8") for name in prepared.result.files}


def _files_in(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
        for p in out.rglob("*")
        if p.is_file()
    }


def test_an_export_into_a_new_folder_is_staged_beside_it_and_put_in_place_whole(
    tmp_path: Path,
) -> None:
    """Into a folder that does not exist yet, the files are staged in a hidden folder
    beside it (which `plan` walks past), and that folder becomes the export's with one
    rename: the same files and schema, a folder's usual mode, nothing left beside it."""
    (tmp_path / "made").mkdir()
    usual = stat.S_IMODE((tmp_path / "made").stat().st_mode)
    with _export(tmp_path) as prepared:
        assert prepared.staged is not None
        staged = Path(prepared.staged.name)
        assert staged.parent == tmp_path / "adopt" and staged.name.startswith(".out.")
        texts = _staged_texts(prepared)
        renamed = []
        real_rename = os.rename

        def rename(source: Any, target: Any) -> None:
            renamed.append(target)
            real_rename(source, target)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(os, "rename", rename)
            adopt.write_export(prepared, load_project(tmp_path / "adopt"))
    out = tmp_path / "adopt" / "out"
    assert renamed == [out]
    schema = "schemas/billingplatform.catalog.schema.json"
    assert _files_in(out) == {**texts, schema: (out / schema).read_text(encoding="utf-8")}
    assert stat.S_IMODE(out.stat().st_mode) == usual
    assert sorted(p.name for p in (tmp_path / "adopt").iterdir()) == ["catalogsync.yaml", "out"]


@pytest.mark.parametrize("meanwhile", ["empty", "a file"])
def test_a_folder_made_after_the_staging_one_gets_the_files_one_at_a_time(
    tmp_path: Path, meanwhile: str
) -> None:
    """When the export's folder appears while the export runs (empty, or with a file in
    it), the files are moved into it one at a time as into any existing folder, and what
    was there stays."""
    out = tmp_path / "adopt" / "out"
    with _export(tmp_path) as prepared:
        texts = _staged_texts(prepared)
        out.mkdir()
        others = {"notes.txt": "mine\n"} if meanwhile == "a file" else {}
        for name, text in others.items():
            (out / name).write_text(text, encoding="utf-8")
        adopt.write_export(prepared, load_project(tmp_path / "adopt"))
    files = _files_in(out)
    del files["schemas/billingplatform.catalog.schema.json"]
    assert files == {**texts, **others}
    assert sorted(p.name for p in (tmp_path / "adopt").iterdir()) == ["catalogsync.yaml", "out"]


def test_the_proof_indexes_the_live_catalog_only_when_a_key_is_held_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where every live record is under its own key, each file's check takes its own
    records, so the whole catalog's index (a dict of every key, ~0.1 s at L before the
    fork) is never made; a key held twice makes it, as before (here: in a child, the
    index is made where a file is checked)."""
    monkeypatch.setattr(beside, "available", lambda: False)
    live = LiveCatalog(LIVE.resources)
    with _export(tmp_path, live):
        pass
    assert "keyed" not in vars(live)
    first = live.resources[0]  # (held twice: the choice leaves it out, the rest passes)
    twice = LiveCatalog((*live.resources, LiveResource(first.ref, "7", dict(first.fields))))
    with _export(tmp_path, twice) as prepared:
        assert first.ref not in prepared.result.refs
    assert "keyed" in vars(twice)
