"""A catalog loaded again from the one its files held before (`loader.updated_catalog`, the
files' items from `catalog_items`, the entry from `catalog_cache`): exactly the catalog the
whole load gives (the same resources, placed at the same lines and columns), or nothing,
and the whole load runs; never another catalog, never a catalog where the load fails."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogsync import beside, catalog_cache, loader, yamlio
from catalogsync.catalog import Catalog, Resource
from catalogsync.catalog_digest import Digesting, catalog_digest
from catalogsync.catalog_items import items_of
from catalogsync.config import load_project
from catalogsync.errors import CatalogValidationError
from catalogsync.loader import load_catalog, load_project_catalog, updated_catalog
from catalogsync.registry import get_format
from catalogsync.yamlio import display_path, dump_yaml
from tests.conftest import examples

FMT = get_format("billingplatform")

_RATES = st.sampled_from(["1.00", "2.50", "10", "0.01"])
_QTY = st.integers(0, 3)


@st.composite
def _catalogs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid catalog as data: products, and packages whose items (nested too) name them."""
    count = draw(st.integers(1, 6))
    products = [
        {"name": f"P{i}", "rate": draw(_RATES), "status": draw(st.sampled_from(["ACTIVE", "X"]))}
        for i in range(count)
    ]

    def items(depth: int) -> list[dict[str, Any]]:
        # (a package holds one item at least: `products: []` is a flow list, read whole)
        least = 0 if depth else 1
        chosen = draw(st.lists(st.integers(0, count - 1), min_size=least, max_size=3, unique=True))
        made: list[dict[str, Any]] = []
        for index in chosen:
            item: dict[str, Any] = {"product": f"P{index}", "min_qty": draw(_QTY)}
            if depth < 2 and draw(st.booleans()):
                item["children"] = items(depth + 1)
            made.append(item)
        return made

    packages = [{"name": f"K{i}", "products": items(0)} for i in range(draw(st.integers(1, 4)))]
    return {"products": products, "packages": packages}


#: Changes to a catalog's data, some leaving it valid, some not (a duplicate, a dangling
#: reference, a bad value, a list emptied).
_EDITS = (
    "rate",
    "drop_product",
    "add_product",
    "swap_products",
    "qty",
    "add_child",
    "duplicate",
    "rename",
    "bad_rate",
    "drop_package",
    "swap_packages",
    "swap_items",
    "drop_item",
    "double_item",
    "status",
    "child_qty",
)


def _edited(data: dict[str, Any], edits: list[tuple[str, int]]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    products, packages = data["products"], data["packages"]
    for edit, n in edits:
        product = products[n % len(products)] if products else None
        package = packages[n % len(packages)] if packages else None
        if edit == "rate" and product is not None:
            product["rate"] = f"{n}.25"
        elif edit == "drop_product" and product is not None:
            products.remove(product)
        elif edit == "add_product":
            products.insert(n % (len(products) + 1), {"name": f"N{n}", "rate": "3"})
        elif edit == "swap_products" and len(products) > 1:
            products[0], products[-1] = products[-1], products[0]
        elif edit == "qty" and package is not None and package["products"]:
            package["products"][0]["min_qty"] = n % 4
        elif edit == "add_child" and package is not None and products:
            child = {"product": products[n % len(products)]["name"]}
            package["products"].append({"product": products[0]["name"], "children": [child]})
        elif edit == "duplicate" and product is not None:
            products.append(copy.deepcopy(product))
        elif edit == "rename" and product is not None:
            product["name"] = f"R{n}"
        elif edit == "bad_rate" and product is not None:
            product["rate"] = "cheap"
        elif edit == "drop_package" and package is not None:
            packages.remove(package)
        elif edit == "swap_packages" and len(packages) > 1:
            packages[0], packages[-1] = packages[-1], packages[0]
        elif edit == "swap_items" and package is not None and len(package["products"]) > 1:
            items = package["products"]
            items[0], items[-1] = items[-1], items[0]
        elif edit == "drop_item" and package is not None and len(package["products"]) > 1:
            del package["products"][n % len(package["products"])]
        elif edit == "double_item" and package is not None and package["products"]:
            items = package["products"]
            items.append(copy.deepcopy(items[n % len(items)]))
        elif edit == "status" and package is not None:  # (before its products)
            items = package.pop("products")
            package["status"] = "In Development" if n % 2 else "Production"
            package["products"] = items
        elif edit == "child_qty" and package is not None:
            for item in package["products"]:
                if item.get("children"):
                    item["children"][0]["min_qty"] = n % 4
                    break
    return data


def _text(data: dict[str, Any], layout: str, padding: list[int]) -> str:
    """The catalog as a file: items at column 0 (as the benchmarks write them) or indented
    (as `export` writes them); comment and blank lines put in at the `padding` lines."""
    if layout == "indented":
        text = dump_yaml(data)
    else:
        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
    lines = text.splitlines(keepends=True)
    for at in sorted(padding, reverse=True):
        lines.insert(at % (len(lines) + 1), "# moved\n\n")
    return "".join(lines)


def _line_edited(text: str, edits: list[tuple[str, int]]) -> str:
    """`text` with lines dropped, doubled, indented or outdented: most such files are not
    valid, or not in the plain layout, and some read as another catalog."""
    lines = text.splitlines(keepends=True)
    for edit, n in edits:
        at = n % len(lines)
        if edit == "drop" and len(lines) > 1:
            del lines[at]
        elif edit == "double":
            lines.insert(at, lines[at])
        elif edit == "indent":
            lines[at] = " " + lines[at]
        elif edit == "outdent":
            lines[at] = lines[at].removeprefix(" ")
    return "".join(lines)


def _whole(path: Path) -> Catalog | None:
    try:
        return load_catalog([path], FMT)
    except CatalogValidationError:
        return None


def _updated(path: Path, before: bytes, after: bytes) -> tuple[Catalog | None, Catalog | None]:
    """(the catalog loaded again from `before`'s, the whole load of `after`)."""
    path.write_bytes(before)
    previous = load_catalog([path], FMT)
    items = items_of(before)
    path.write_bytes(after)
    shown = display_path(path)
    update = updated_catalog([path], FMT, [shown], previous, [items], [(after, items_of(after))])
    return update, _whole(path)


def _same(update: Catalog | None, whole: Catalog | None) -> None:
    if whole is None or update is None:
        assert update is None
        return
    assert update.resources == whole.resources
    assert [r.location for r in update] == [r.location for r in whole]


@settings(max_examples=examples(300))
@given(
    data=_catalogs(),
    edits=st.lists(st.tuples(st.sampled_from(_EDITS), st.integers(0, 50)), max_size=4),
    layout=st.sampled_from(["column 0", "indented"]),
    padding_before=st.lists(st.integers(0, 200), max_size=2),
    padding_after=st.lists(st.integers(0, 200), max_size=3),
    line_edits=st.lists(
        st.tuples(st.sampled_from(["drop", "double", "indent", "outdent"]), st.integers(0, 99)),
        max_size=2,
    ),
)
def test_a_catalog_loaded_again_is_the_whole_loads(
    tmp_path_factory: pytest.TempPathFactory,
    data: dict[str, Any],
    edits: list[tuple[str, int]],
    layout: str,
    padding_before: list[int],
    padding_after: list[int],
    line_edits: list[tuple[str, int]],
) -> None:
    path = tmp_path_factory.mktemp("update") / "catalog.yaml"
    before = _text(data, layout, padding_before).encode()
    after = _line_edited(_text(_edited(data, edits), layout, padding_after), line_edits).encode()
    update, whole = _updated(path, before, after)
    _same(update, whole)
    if whole is not None and items_of(before) is not None and items_of(after) is not None:
        assert update is not None  # a valid catalog in the plain layout: never loaded whole


#: Edits within packages: their package-products changed, moved, dropped, doubled, added
#: (nested ones too), their lines before the list changed.
_NESTED_EDITS = (
    "qty",
    "child_qty",
    "swap_items",
    "drop_item",
    "double_item",
    "add_child",
    "status",
)


@settings(max_examples=examples(200))
@given(
    data=_catalogs(),
    edits=st.lists(st.tuples(st.sampled_from(_NESTED_EDITS), st.integers(0, 50)), max_size=4),
    layout=st.sampled_from(["column 0", "indented"]),
)
def test_a_catalog_loaded_again_nested_item_by_item_is_the_whole_loads(
    tmp_path_factory: pytest.TempPathFactory,
    data: dict[str, Any],
    edits: list[tuple[str, int]],
    layout: str,
) -> None:
    """As above, with edits inside packages only: most changed packages keep their lines
    before the list, and are read again package-product by package-product."""
    path = tmp_path_factory.mktemp("update") / "catalog.yaml"
    data = _no_empty_children(data)  # (`children: []`, a flow list, is read whole)
    before = _text(data, layout, []).encode()
    after = _text(_edited(data, edits), layout, []).encode()
    update, whole = _updated(path, before, after)
    _same(update, whole)
    if whole is not None:
        assert update is not None


def _no_empty_children(data: Any) -> Any:
    if isinstance(data, list):
        return [_no_empty_children(each) for each in data]
    if isinstance(data, dict):
        return {k: _no_empty_children(v) for k, v in data.items() if v != [] or k != "children"}
    return data


def _read_again(
    path: Path, before: bytes, after: bytes, monkeypatch: pytest.MonkeyPatch
) -> tuple[Catalog | None, list[bytes]]:
    """`after` loaded again from `before`'s catalog (held to the whole load's), and the
    text of each read it made."""
    read: list[bytes] = []
    real = yamlio.read_yaml_parts

    def reading(*args: Any, **kwargs: Any) -> Any:
        read.append(kwargs["raw"])
        return real(*args, **kwargs)

    path.write_bytes(before)
    previous = load_catalog([path], FMT)
    path.write_bytes(after)
    monkeypatch.setattr("catalogsync.loader.read_yaml_parts", reading)
    shown = display_path(path)
    update = updated_catalog(
        [path], FMT, [shown], previous, [items_of(before)], [(after, items_of(after))]
    )
    monkeypatch.undo()
    _same(update, _whole(path))
    return update, read


def test_only_the_changed_items_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "catalog.yaml"
    data: dict[str, Any] = {
        "products": [{"name": f"P{i}", "rate": "1.00"} for i in range(5)],
        "packages": [{"name": "K", "products": [{"product": "P1", "min_qty": 1}]}],
    }
    before = yaml.safe_dump(data, sort_keys=False).encode()
    data["products"][3]["rate"] = "2.00"
    after = yaml.safe_dump(data, sort_keys=False).encode()
    update, read = _read_again(path, before, after, monkeypatch)
    # One item read, on its own lines: the others blank, its key's line kept.
    assert update is not None and len(read) == 1
    kept = [line for line in read[0].decode().splitlines() if line]
    assert kept == ["products:", "- name: P3", "  rate: '2.00'"]
    assert read[0].decode().splitlines()[7:9] == kept[1:]


@pytest.mark.parametrize("layout", ["column 0", "indented"])
def test_only_the_changed_nested_items_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    """A package whose lines before its products read as before: only its changed
    package-products are read again (with its head, which must read as before)."""
    path = tmp_path / "catalog.yaml"
    data: dict[str, Any] = {
        "products": [{"name": f"P{i}", "rate": "1.00"} for i in range(4)],
        "packages": [
            {
                "name": "K",
                "products": [
                    {"product": "P1", "min_qty": 1},
                    {"product": "P2", "min_qty": 1, "children": [{"product": "P3", "min_qty": 0}]},
                    {"product": "P3", "min_qty": 1},
                ],
            }
        ],
    }
    before = _text(data, layout, []).encode()
    data["packages"][0]["products"][1]["children"][0]["min_qty"] = 2
    del data["packages"][0]["products"][2]
    after = _text(data, layout, []).encode()
    update, read = _read_again(path, before, after, monkeypatch)
    assert update is not None and len(read) == 1
    kept = [line.strip() for line in read[0].decode().splitlines() if line]
    assert kept == [
        "packages:",
        "- name: K",
        "products:",
        "- product: P2",
        "min_qty: 1",
        "children:",
        "- product: P3",
        "min_qty: 2",
    ]


def test_a_text_quoted_over_lines_is_not_taken_for_items(tmp_path: Path) -> None:
    # The second `- name` line is inside the first product's quoted name: no item begins
    # there, so the file is not read item by item (the whole load reads one product).
    before = b"products:\n- name: \"P1\n- name: P2\"\n  rate: '1'\n"
    after = b"products:\n- name: \"P1\n- name: P2\"\n  rate: '2'\n"
    update, whole = _updated(tmp_path / "catalog.yaml", before, after)
    assert whole is not None and [r.ref.name for r in whole] == ["P1 - name: P2"]
    assert update is None
    # Its changed half alone would read as a product of its own.
    changed = b"products:\n- name: \"P1\n- name: P3\"\n  rate: '1'\n"
    update, whole = _updated(tmp_path / "catalog.yaml", before, changed)
    assert update is None and whole is not None


@pytest.mark.parametrize(
    "text",
    [
        b"products:\n- name: &a P1\n",  # an anchor
        b"products:\n- name: P1\n  rate: *a\n",  # an alias
        b"products:\n- name: !!str P1\n",  # a tag
        b"%YAML 1.2\n---\nproducts:\n- name: P1\n",  # a directive, a document marker
        b"products:\n- name: P1\r\n",  # CR
        b"products:\n-\tname: P1\n",  # a tab
        b"products:\n- {name: P1}\n",  # a flow collection
        b"products:\n- name: P1",  # no end to the last line
        b"products:\n- name: P1\nproducts:\n- name: P2\n",  # a key twice
        b"products:\npackages:\n- name: K\n",  # a key without items
        b"products: []\n",  # a value on the key's line
        b"- name: P1\n",  # an item before any key
        b"products:\n  - name: P1\n rate: '1'\n",  # a line less indented than the items
        b"products:\n  rate: '1'\n- name: P1\n",  # a line between a key and its items
        b"  rate: '1'\nproducts:\n- name: P1\n",  # a line before the first key
        b"\xef\xbb\xbfproducts:\n- name: P1\n",  # a byte-order mark
    ],
)
def test_a_file_beyond_the_plain_layout_has_no_items(text: bytes) -> None:
    assert items_of(text) is None


def test_items_run_to_the_next_item_or_key_with_the_comments_below_them() -> None:
    text = b"# head\nproducts:\n  - name: P1\n\n# about P2\n  - name: P2\n    rate: '1'\npackages:\n  - name: K\n"
    found = items_of(text)
    assert found is not None
    items, keys = found
    assert [(key, first, end) for key, first, end, _, _ in items] == [
        ("products", 2, 5),
        ("products", 5, 7),
        ("packages", 8, 9),
    ]
    assert keys == {"products": 1, "packages": 7}


def _project_with(folder: Path, data: dict[str, Any]) -> Any:
    folder.mkdir()
    config = folder / "catalogsync.yaml"
    config.write_text("backend: billingplatform\ncatalog:\n- catalog.yaml\n")
    (folder / "catalog.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return load_project(folder)


def test_the_cache_loads_a_changed_catalog_again_from_its_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data: dict[str, Any] = {
        "products": [{"name": f"P{i}", "rate": "1.00"} for i in range(4)],
        "packages": [
            {
                "name": "K",
                "products": [
                    {"product": "P1", "min_qty": 1, "children": [{"product": "P2", "min_qty": 0}]}
                ],
            }
        ],
    }
    project = _project_with(tmp_path / "p", data)
    load_project_catalog(project)  # writes the entry
    data["products"][2]["rate"] = "9.00"
    data["products"].insert(0, {"name": "P9"})
    (project.root / "catalog.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    whole = load_catalog([project.root / "catalog.yaml"], FMT)

    def unwanted(*args: Any, **kwargs: Any) -> Catalog:
        raise AssertionError("loaded whole")

    monkeypatch.setattr(loader, "load_catalog", unwanted)
    again = load_project_catalog(project)
    assert again == whole and [r.location for r in again] == [r.location for r in whole]
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert load_project_catalog(project) == whole  # its own entry now, read back


def test_an_entry_not_proven_this_users_is_never_loaded_again_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data: dict[str, Any] = {"products": [{"name": f"P{i}"} for i in range(3)]}
    project = _project_with(tmp_path / "p", data)
    load_project_catalog(project)
    entry = project.state_dir / catalog_cache.CACHE_FILE
    tampered = bytearray(entry.read_bytes())
    tampered[-5] ^= 1
    entry.write_bytes(bytes(tampered))
    data["products"][0]["rate"] = "2"
    (project.root / "catalog.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    whole: list[Catalog] = []
    real = loader.load_catalog

    def counted(*args: Any, **kwargs: Any) -> Catalog:
        whole.append(real(*args, **kwargs))
        return whole[-1]

    monkeypatch.setattr(loader, "load_catalog", counted)
    assert load_project_catalog(project) == whole[0]


def test_an_entry_of_other_code_or_files_is_not_unpickled_to_be_thrown_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry whose base key is not these files' (another code version, other paths)
    cannot be loaded again from: its catalog is never unpickled (at L ~0.9 s of CPU)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data: dict[str, Any] = {"products": [{"name": f"P{i}"} for i in range(3)]}
    project = _project_with(tmp_path / "p", data)
    load_project_catalog(project)  # writes the entry, with this code's base key
    data["products"][0]["rate"] = "2"
    (project.root / "catalog.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    unpickled: list[object] = []
    real = catalog_cache._resources

    def counted(*args: Any, **kwargs: Any) -> list[Resource]:
        unpickled.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(catalog_cache, "base_key", lambda *args: b"\0" * 32)  # other code
    monkeypatch.setattr(catalog_cache, "_resources", counted)
    assert load_project_catalog(project) == load_catalog([project.root / "catalog.yaml"], FMT)
    assert unpickled == []


def test_a_changed_catalog_read_beside_tells_the_last_entrys_counts_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read that goes on beside the load asks its pages by the counts of this user's
    entry, told before the catalog is loaded; another user's entry tells none."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data: dict[str, Any] = {"products": [{"name": f"P{i}"} for i in range(3)]}
    project = _project_with(tmp_path / "p", data)
    before = load_project_catalog(project)
    data["products"].append({"name": "P9"})
    (project.root / "catalog.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    files = [project.root / "catalog.yaml"]
    monkeypatch.setattr(catalog_cache, "loaded_beside", lambda *args, **kwargs: None)
    # (this user's first: the other's run writes an entry of its own, the catalog changed)
    for cache, expected in (("cache", [before.count()]), ("another-user", [])):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / cache))
        told: list[object] = []
        seen_at_load: list[object] = []

        def loading(told: list[object] = told, seen: list[object] = seen_at_load) -> Catalog:
            seen.extend(told)  # (what was told before the catalog is loaded)
            return load_catalog(files, FMT)

        loaded = catalog_cache.cached_catalog(
            project.state_dir, "billingplatform", files, loading, told.append, beside=True
        )
        assert seen_at_load == told == expected and len(loaded) == 4


@pytest.mark.skipif(not beside.available(), reason="needs fork and two cores")
@pytest.mark.parametrize("edit", ["in place", "lines moved"])
def test_a_changed_catalog_loaded_again_beside_comes_back_as_its_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    """Loaded again from its entry by a forked child (`catalog_cache.loaded_beside`), a
    changed catalog is the whole load's, with its places and digest, and its entry then the
    same; the child sends the resources it kept from the entry by their place there, so
    this process unpickles only the others (every one when every line moved)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(catalog_cache, "BESIDE_LEAST_BYTES", 0)
    monkeypatch.setattr(catalog_cache, "CHUNK", 4)  # (several chunks, some all kept)
    data: dict[str, Any] = {
        "products": [{"name": f"P{i}", "rate": "1.00"} for i in range(12)],
        "packages": [
            {"name": f"K{k}", "products": [{"product": f"P{i}", "min_qty": 1} for i in range(3)]}
            for k in range(2)
        ],
    }
    project = _project_with(tmp_path / "p", data)
    load_project_catalog(project)  # writes the entry
    data["products"][2]["rate"] = "9.00"
    data["packages"][1]["products"][0]["min_qty"] = 2
    if edit == "lines moved":
        data["products"].insert(0, {"name": "P98"})
    (project.root / "catalog.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    whole = load_catalog([project.root / "catalog.yaml"], FMT)
    here = os.getpid()
    unpickled_here: list[Resource] = []  # (of the catalog sent: the entry's aside)
    resources = catalog_cache._unchanged_and_changed

    def counted(changes: Any, kept: Any) -> list[Resource]:
        made = resources(changes, kept)
        if os.getpid() == here:
            unpickled_here.extend(r for r in made if not any(r is k for k in kept))
        return made

    monkeypatch.setattr(catalog_cache, "_unchanged_and_changed", counted)
    later: list[Callable[[], None]] = []
    here_loaded: list[object] = []
    monkeypatch.setattr(loader, "load_catalog", lambda *args: here_loaded.append(args))
    again = load_project_catalog(project, write_later=later.append, beside=True)
    assert here_loaded == []  # (nor in the child: it was loaded again from the entry)
    assert again == whole and [r.location for r in again] == [r.location for r in whole]
    digest = Digesting()
    digest.add(whole.resources)
    assert catalog_digest(again) == digest.digest()
    if edit == "in place":  # the changed product, package-product and its package's head
        assert {r.ref.key for r in unpickled_here} == {("P2",), ("K1",), ("K1", "P0")}
    else:
        assert len(unpickled_here) == len(whole)
    later.pop()()  # the entry's write, from what the child sent after the digest
    monkeypatch.setattr(loader, "updated_catalog", lambda *args: here_loaded.append(args))
    cached = load_project_catalog(project)
    assert here_loaded == []  # (read back from the entry)
    assert cached == whole and [r.location for r in cached] == [r.location for r in whole]
    assert cached.known_digest == digest.digest()
