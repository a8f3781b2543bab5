"""The catalog cache (`catalogsync.catalog_cache`): a project whose catalog files did not
change gets the same catalog without reading them; anything else loads the YAML."""

from __future__ import annotations

import dataclasses
import os
import pickle
import shutil
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from catalogsync import beside, catalog_cache
from catalogsync import catalog_digest as catalog_digest_module
from catalogsync.catalog import (
    Catalog,
    Kind,
    Ref,
    Resource,
    package_product_ref,
    package_ref,
    product_ref,
    restored_locations,
    restored_refs,
    restored_resources,
)
from catalogsync.catalog_digest import Digesting, catalog_digest
from catalogsync.config import Project, load_project
from catalogsync.errors import CatalogValidationError, Issue, SourceLocation
from catalogsync.live import LiveCatalog
from catalogsync.loader import load_catalog, load_project_catalog, project_catalog_files
from catalogsync.planner import PlanOptions, build_plan
from catalogsync.registry import get_format

EXAMPLE = Path(__file__).parents[1] / "catalogs" / "example"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.delenv(catalog_cache.ENV_SWITCH, raising=False)
    shutil.copytree(EXAMPLE, tmp_path / "project", ignore=shutil.ignore_patterns(".catalogsync"))
    return load_project(tmp_path / "project")


def _entry(project: Project) -> Path:
    return project.state_dir / catalog_cache.CACHE_FILE


def _from_yaml(project: Project) -> Catalog:
    return load_catalog(project_catalog_files(project), get_format(project.config.backend))


def _unused() -> Catalog:
    raise AssertionError("the YAML was read although the cache holds the catalog")


def _cached(project: Project) -> Catalog:
    files = project_catalog_files(project)
    return catalog_cache.cached_catalog(project.state_dir, "billingplatform", files, _unused)


def test_a_second_load_comes_from_the_cache_and_equals_the_yaml(project: Project) -> None:
    first = load_project_catalog(project)
    assert _entry(project).is_file()
    assert _cached(project) == first == _from_yaml(project)
    # locations too: messages about cached objects still point into the files
    assert [r.location for r in _cached(project)] == [r.location for r in first]


def test_the_entry_keeps_the_catalogs_digest(project: Project) -> None:
    """A catalog read back from the cache knows its content digest (a plan over it never
    computes it), and it is the digest of the YAML's catalog."""
    load_project_catalog(project)
    cached = _cached(project)
    assert cached.known_digest is not None
    assert cached.known_digest == catalog_digest(_from_yaml(project))


def test_an_entry_written_in_many_chunks_reads_back_whole(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The entry is written (and read) `CHUNK` resources at a time, never as one pickle.
    monkeypatch.setattr(catalog_cache, "CHUNK", 3)
    dumps, pickled = pickle.dumps, []

    def counted(chunk: catalog_cache._Chunk, protocol: int) -> bytes:
        if len(chunk) == 7:  # a `_Chunk` (not the files' items)
            pickled.append(len(chunk[0]))  # its resources' kinds, one a resource
        return dumps(chunk, protocol=protocol)

    monkeypatch.setattr(pickle, "dumps", counted)
    first = load_project_catalog(project)
    assert len(first) > 3 * 3
    assert max(pickled) == 3 and sum(pickled) == len(first)
    assert _cached(project) == first == _from_yaml(project)
    assert [r.location for r in _cached(project)] == [r.location for r in first]


def test_an_entry_tells_its_counts_before_its_resources_are_read_back(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counts come first (a live read uses them while the rest loads), and they are the
    catalog's."""
    first = load_project_catalog(project)
    events: list[object] = []
    resources = catalog_cache._resources

    def reading(chunk: catalog_cache._Chunk, reshown: catalog_cache._Reshown) -> list[Resource]:
        events.append("resources")
        return resources(chunk, reshown)

    monkeypatch.setattr(catalog_cache, "_resources", reading)
    files = project_catalog_files(project)
    catalog_cache.cached_catalog(
        project.state_dir, "billingplatform", files, _unused, counts_known=events.append
    )
    assert events[0] == first.count() and events[1:] and set(events[1:]) == {"resources"}


def test_an_entry_of_another_user_tells_no_counts(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a proven entry's counts are told: a planted one could ask for any page count."""
    load_project_catalog(project)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-user"))
    told: list[object] = []
    files = project_catalog_files(project)
    loaded = catalog_cache.cached_catalog(
        project.state_dir, "billingplatform", files, lambda: _from_yaml(project), told.append
    )
    assert told == [] and loaded == _from_yaml(project)


def test_a_run_from_another_folder_reads_the_entry_and_shows_its_own_paths(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key holds the files' absolute paths, not the paths messages show (those depend
    on the working directory): a run from a subfolder or from above the project reads the
    entry, and its locations read as that run's own YAML load would show them."""
    monkeypatch.chdir(project.root)
    from_root = load_project_catalog(project)
    assert {r.location.path for r in from_root if r.location} >= {"products.yaml"}
    for elsewhere in (project.root.parent, project.root / ".catalogsync"):
        monkeypatch.chdir(elsewhere)
        cached, loaded = _cached(project), _from_yaml(project)
        assert cached == loaded  # locations included
        assert [r.location for r in cached] != [r.location for r in from_root]
        assert cached.known_digest == catalog_digest(from_root)


def test_a_moved_project_is_read_again(project: Project, tmp_path: Path) -> None:
    """The same bytes at another absolute path are other files (the entry's locations name
    the old ones): the entry, moved along in `.catalogsync/`, is not used."""
    load_project_catalog(project)
    moved = load_project(project.root.rename(tmp_path / "moved"))
    assert _entry(moved).is_file()
    with pytest.raises(AssertionError, match="the YAML was read"):
        _cached(moved)


def test_an_edited_catalog_file_is_read_again(project: Project) -> None:
    load_project_catalog(project)
    products = project.root / "products.yaml"
    products.write_text(products.read_text().replace('rate: "0.05"', 'rate: "0.07"'))
    assert load_project_catalog(project) == _from_yaml(project)
    assert _cached(project) == _from_yaml(project)  # and the entry is replaced


def test_an_entry_signed_with_another_users_key_is_never_used(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_project_catalog(project)  # an entry signed with someone else's key ...
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-user"))
    loads = []
    files = project_catalog_files(project)

    def load() -> Catalog:
        loads.append(1)
        return _from_yaml(project)

    catalog_cache.cached_catalog(project.state_dir, "billingplatform", files, load)
    assert loads == [1]  # ... is ignored, and replaced by one of ours


@pytest.mark.parametrize("damage", [b"", b"garbage", None])
def test_a_corrupt_entry_is_ignored(project: Project, damage: bytes | None) -> None:
    load_project_catalog(project)
    entry = _entry(project)
    data = entry.read_bytes()
    entry.write_bytes(data[: len(data) // 2] if damage is None else damage)
    assert load_project_catalog(project) == _from_yaml(project)


def test_an_invalid_catalog_is_not_cached_and_reports_its_errors(project: Project) -> None:
    products = project.root / "products.yaml"
    products.write_text(products.read_text().replace('rate: "0.05"', "rate: [1]"))
    for _ in range(2):
        with pytest.raises(CatalogValidationError, match=r"products.yaml:\d+:\d+"):
            load_project_catalog(project)
    assert not _entry(project).exists()


def test_the_cache_can_be_switched_off(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(catalog_cache.ENV_SWITCH, "0")
    assert load_project_catalog(project) == _from_yaml(project)
    assert not _entry(project).exists()


def test_the_state_folder_keeps_itself_out_of_git(project: Project) -> None:
    load_project_catalog(project)
    assert (project.state_dir / ".gitignore").read_text().splitlines()[-1] == "*"


def test_links_planted_where_the_cache_writes_are_never_followed(
    project: Project, tmp_path: Path
) -> None:
    """A project from a pull request may hold symbolic links in .catalogsync/: writing the
    cache must not create or overwrite what they point at."""
    project.state_dir.mkdir()
    victims = [tmp_path / "victim-1", tmp_path / "victim-2"]
    (project.state_dir / ".gitignore").symlink_to(victims[0])
    entry = _entry(project)
    entry.with_name(f".{entry.name}.{os.getpid()}.tmp").symlink_to(victims[1])
    assert load_project_catalog(project) == _from_yaml(project)
    assert not any(victim.exists() for victim in victims)


def _every_kind_of_part() -> Catalog:
    """Resources using every part a resource has: linked objects, a rename, protection, a
    missing location, no fields, and each kind of value."""
    gold, voice = package_ref("Gold"), product_ref("Voice")
    return Catalog(
        (
            Resource(voice, {"rate": Decimal("0.050"), "active": True, "tiers": ("a", "b")}),
            Resource(gold, {"count": 3, "cleared": None}, renamed_from=("Old Gold",)),
            Resource(
                package_product_ref("Gold", "Voice"),
                {},
                requires=(package_ref("Silver"), gold),
                protect=True,
                location=SourceLocation("catalog/gold.yaml", 12, 5),
            ),
            Resource(package_ref("Silver"), location=SourceLocation("silver.yaml", 1, 1)),
        )
    )


def test_every_part_of_a_resource_reads_back_as_made(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read back without `Resource.__init__` (`restored_resources`), a resource is the one
    that was written: equal, of the same types, still read-only."""
    monkeypatch.setattr(catalog_cache, "CHUNK", 3)  # a chunk with no location at all, too
    written = _every_kind_of_part()
    files = project_catalog_files(project)
    catalog_cache.cached_catalog(project.state_dir, "billingplatform", files, lambda: written)
    read = _cached(project)
    assert read == written and read.known_digest == catalog_digest(written)
    assert [r.location for r in read] == [r.location for r in written]
    for got, expected in zip(read, written, strict=True):
        assert [type(getattr(got, name)) for name in Resource.__slots__] == [
            type(getattr(expected, name)) for name in Resource.__slots__
        ]
        assert [type(ref) for ref in (got.ref, *got.requires)] == [Ref] * (1 + len(got.requires))
        assert got.dependencies() == expected.dependencies()
        with pytest.raises(dataclasses.FrozenInstanceError):
            got.protect = True  # type: ignore[misc]
        with pytest.raises(TypeError):
            got.fields["rate"] = Decimal(1)  # type: ignore[index]


def test_values_are_never_left_half_made() -> None:
    """`restored_*` refuse parts that do not fill every slot of every value."""
    voice = product_ref("Voice")
    with pytest.raises(ValueError):
        restored_resources([voice, voice], [{}], [(), ()], [(), ()], [False, False], [None, None])
    with pytest.raises(ValueError):
        restored_refs([Kind.PRODUCT], [("a",), ("b",)])
    with pytest.raises(ValueError):
        restored_locations([("a.yaml", 1)])  # type: ignore[list-item]


def test_a_write_handed_to_the_caller_is_done_when_the_caller_runs_it(project: Project) -> None:
    """An apply writes a new entry while its first wave waits on the network: the entry is
    not there before the write runs, and reads back as the catalog loaded once it has."""
    later: list[Callable[[], None]] = []
    files = project_catalog_files(project)
    loaded = catalog_cache.cached_catalog(
        project.state_dir,
        "billingplatform",
        files,
        lambda: _from_yaml(project),
        write_later=later.append,
    )
    assert len(later) == 1 and not _entry(project).exists()
    later.pop()()
    assert _cached(project) == loaded == _from_yaml(project)
    # An entry read back has nothing to write.
    catalog_cache.cached_catalog(
        project.state_dir, "billingplatform", files, _unused, write_later=later.append
    )
    assert later == []


# --- a catalog the cache does not hold, loaded by a forked child (`loaded_beside`) ----------

needs_fork = pytest.mark.skipif(not beside.available(), reason="needs fork and two cores")


def _in_a_child(project: Project) -> Callable[[], Catalog]:
    """The YAML load, refused in this process: only a forked child can have done it."""
    here = os.getpid()

    def load() -> Catalog:
        assert os.getpid() != here, "loaded here, not beside"
        return _from_yaml(project)

    return load


def _parts(r: Resource) -> tuple[object, ...]:
    return (r.ref, dict(r.fields), r.requires, r.renamed_from, r.protect, r.location)


def _beside(project: Project, load: Callable[[], Catalog]) -> Catalog:
    files = project_catalog_files(project)
    return catalog_cache.cached_catalog(
        project.state_dir, "billingplatform", files, load, beside=True
    )


@needs_fork
def test_a_catalog_loaded_beside_equals_the_yaml_with_its_places_and_is_cached(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog_cache, "BESIDE_LEAST_BYTES", 0)
    _hashed_in_a_child_only(monkeypatch)
    loaded = _beside(project, _in_a_child(project))
    expected = _from_yaml(project)
    assert loaded == expected
    assert [r.location for r in loaded] == [r.location for r in expected]
    assert [_parts(r) for r in loaded] == [_parts(r) for r in expected]
    expected_digest = _whole_digest(expected)
    assert catalog_digest(loaded) == expected_digest  # the child's, not computed here
    assert loaded.known_digest == expected_digest and loaded.digest_later is None
    cached = _cached(project)  # the entry, written from the child's payload
    assert cached == expected and cached.known_digest == expected_digest
    assert [r.location for r in cached] == [r.location for r in expected]


def _hashed_in_a_child_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """A catalog's digest may be computed in a forked child only (`_whole_digest` aside)."""
    here = os.getpid()
    computed = catalog_digest_module._computed

    def hashed(catalog: Catalog, chunk: int) -> str:
        assert os.getpid() != here, "hashed here, not beside"
        return computed(catalog, chunk)

    monkeypatch.setattr(catalog_digest_module, "_computed", hashed)


def _whole_digest(catalog: Catalog) -> str:
    """The catalog's digest made here, whatever `_computed` does."""
    digesting = Digesting()
    digesting.add(catalog.resources)
    return digesting.digest()


@needs_fork
def test_a_plan_over_a_catalog_loaded_beside_asks_the_child_for_its_digest_last(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child hashes the catalog after sending it, while this process plans: the plan
    asks for the digest once its changes are made, and it is the catalog's."""
    monkeypatch.setattr(catalog_cache, "BESIDE_LEAST_BYTES", 0)
    _hashed_in_a_child_only(monkeypatch)
    later: list[Callable[[], None]] = []
    files = project_catalog_files(project)
    loaded = catalog_cache.cached_catalog(
        project.state_dir,
        "billingplatform",
        files,
        _in_a_child(project),
        write_later=later.append,
        beside=True,
    )
    assert loaded.known_digest is None and loaded.digest_later is not None
    plan = build_plan(loaded, LiveCatalog(), PlanOptions(backend="billingplatform"))
    assert plan.catalog_digest == _whole_digest(_from_yaml(project))
    assert not _entry(project).exists()
    later.pop()()  # the entry's write, with the digest the child sent
    cached = _cached(project)
    assert cached == loaded and cached.known_digest == plan.catalog_digest


@needs_fork
def test_a_child_lost_after_its_catalog_leaves_the_digest_to_this_process(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catalog came, its digest did not (the child killed meanwhile): the digest is
    computed here, the same, and no entry is written (the next run reads the YAML)."""
    monkeypatch.setattr(catalog_cache, "BESIDE_LEAST_BYTES", 0)
    here = os.getpid()
    computed = catalog_digest_module._computed

    def hashed(catalog: Catalog, chunk: int) -> str:
        if os.getpid() != here:
            os._exit(3)  # as if killed once the catalog was sent
        return computed(catalog, chunk)

    monkeypatch.setattr(catalog_digest_module, "_computed", hashed)
    loaded = _beside(project, _in_a_child(project))
    assert loaded == _from_yaml(project)
    assert catalog_digest(loaded) == _whole_digest(_from_yaml(project))
    assert not _entry(project).exists()


@needs_fork
def test_a_catalog_loaded_beside_with_the_cache_off_is_not_cached(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog_cache, "BESIDE_LEAST_BYTES", 0)
    monkeypatch.setenv(catalog_cache.ENV_SWITCH, "0")
    assert _beside(project, _in_a_child(project)) == _from_yaml(project)
    assert not _entry(project).exists()


@needs_fork
def test_an_invalid_catalog_loaded_beside_raises_its_own_located_errors(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog_cache, "BESIDE_LEAST_BYTES", 0)
    products = project.root / "products.yaml"
    products.write_text(
        products.read_text().replace('rate: "0.05"', "rate: [1]").replace("name:", "nme:", 1)
    )
    with pytest.raises(CatalogValidationError) as here:
        _from_yaml(project)
    assert len(here.value.issues) >= 2
    with pytest.raises(CatalogValidationError) as beside_it:
        _beside(project, _in_a_child(project))
    assert beside_it.value.issues == here.value.issues
    assert str(beside_it.value) == str(here.value)  # every file:line:col as it was
    assert not _entry(project).exists()


@needs_fork
def test_an_abandoned_load_beside_raises_and_is_neither_loaded_here_nor_cached(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Abandoned (the command interrupted), the child's load is not done here instead, as
    a lost child's would be: nobody wants the catalog."""
    monkeypatch.setattr(catalog_cache, "BESIDE_LEAST_BYTES", 0)
    here = os.getpid()

    def load() -> Catalog:
        assert os.getpid() != here, "loaded here after all"
        time.sleep(3600)
        return _from_yaml(project)

    abandon = beside.Abandon()
    abandon()  # (before the fork: the child is stopped as it starts; see test_beside)
    files = project_catalog_files(project)
    with pytest.raises(beside.Abandoned):
        catalog_cache.cached_catalog(
            project.state_dir, "billingplatform", files, load, beside=True, abandon=abandon
        )
    assert not _entry(project).exists()


@needs_fork
def test_a_child_lost_before_its_answer_leaves_the_load_to_this_process(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog_cache, "BESIDE_LEAST_BYTES", 0)
    here = os.getpid()

    def load() -> Catalog:
        if os.getpid() != here:
            os._exit(3)  # as if killed (out of memory): no answer
        return _from_yaml(project)

    assert _beside(project, load) == _from_yaml(project)
    assert _cached(project) == _from_yaml(project)


def test_small_catalog_files_are_loaded_here(project: Project) -> None:
    """Below `BESIDE_LEAST_BYTES` the fork would cost more than the load."""
    assert sum(f.stat().st_size for f in project_catalog_files(project)) < (
        catalog_cache.BESIDE_LEAST_BYTES
    )
    here = os.getpid()

    def load() -> Catalog:
        assert os.getpid() == here
        return _from_yaml(project)

    assert _beside(project, load) == _from_yaml(project)


def test_an_issues_error_pickles_whole() -> None:
    issues = [Issue("b", SourceLocation("x.yaml", 3, 1)), Issue("a")]
    error = CatalogValidationError(issues)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is CatalogValidationError
    assert again.issues == error.issues and str(again) == str(error)


def test_a_digest_made_a_run_at_a_time_is_the_catalogs(project: Project) -> None:
    """`loaded_beside` hashes the child's chunks as they come: any runs, the same digest."""
    catalog = _from_yaml(project)
    resources = catalog.resources
    for run in (1, 2, 7, len(resources)):
        digesting = Digesting()
        digesting.add(())  # (an empty run adds nothing)
        for start in range(0, len(resources), run):
            digesting.add(resources[start : start + run])
        assert digesting.digest() == catalog_digest(catalog)
    assert Digesting().digest() == catalog_digest(Catalog(()))
