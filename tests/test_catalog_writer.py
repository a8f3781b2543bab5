"""`CatalogWriter` writes exactly what `yamlio.dump_yaml` writes, one object at a time.

`export` writes its files with it; these tests hold it to the bytes of the writer it
replaced there, on real catalogs of both backends (awkward names too) and random documents.
"""

from __future__ import annotations

import io
import random
import tempfile
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate, write_project
from benchmarks.systems import systems_named
from catalogsync.catalog import Kind, Ref, Resource, Value, package_product_ref, package_ref
from catalogsync.catalog_writer import CatalogWriter, write_file
from catalogsync.catalog_yaml import YamlCatalogFormat
from catalogsync.loader import load_catalog
from catalogsync.registry import get_format
from catalogsync.yamlio import dump_yaml, walk_files
from tests.conftest import EXAMPLE, examples

HEADER = ["yaml-language-server: $schema=../schemas/x.json", "", "Exported by a test."]


def assert_writes_like_dump_yaml(document: Any, header: list[str] = HEADER) -> None:
    expected = dump_yaml(document, header)
    writer = CatalogWriter()
    assert writer.text(document, header) == expected
    assert writer.text(document, header) == expected  # again, from the writer's cache
    stream = io.StringIO()
    writer.write(stream, document, header)
    assert stream.getvalue() == expected


def _documents(backend: str, folder: Path) -> list[dict[str, Any]]:
    """The whole catalog under `folder` as one document, and one document per package."""
    fmt = get_format(backend)
    resources = list(load_catalog(list(walk_files(folder)), fmt, base=folder))
    per_package: dict[str, list[Any]] = {}
    for resource in resources:
        if resource.ref.kind is not Kind.PRODUCT:
            per_package.setdefault(resource.ref.key[0], []).append(resource)
    return [fmt.document(resources)] + [fmt.document(group) for group in per_package.values()]


@pytest.mark.parametrize("backend", ["billingplatform", "logisense"])
def test_generated_catalogs_with_awkward_names_are_written_like_dump_yaml(
    backend: str, tmp_path: Path
) -> None:
    system = systems_named([backend])[0]
    folder = tmp_path
    write_project(folder, system.catalog(generate(60, 6, 150, awkward=True)), backend=backend)
    (folder / "catalogsync.yaml").unlink()
    documents = _documents(backend, folder)
    assert len(documents) == 7
    for document in documents:
        assert_writes_like_dump_yaml(document)


@pytest.mark.parametrize("backend", ["billingplatform", "logisense"])
def test_export_document_is_the_document_of_the_exported_resources(
    backend: str, tmp_path: Path
) -> None:
    # `export` makes each file's items straight from the live records (no `Resource` each):
    # the same document as the resources declaring their export fields, in any order.
    system = systems_named([backend])[0]
    folder = tmp_path
    write_project(folder, system.catalog(generate(60, 6, 150, awkward=True)), backend=backend)
    (folder / "catalogsync.yaml").unlink()
    fmt = get_format(backend)
    records = [(r.ref, r.fields) for r in load_catalog(list(walk_files(folder)), fmt, base=folder)]
    random.Random(7).shuffle(records)
    exported = [Resource(ref=ref, fields=fmt.export_fields(ref, fields)) for ref, fields in records]
    assert fmt.export_document(records) == fmt.document(exported)
    assert dump_yaml(fmt.export_document(records)) == dump_yaml(fmt.document(exported))


@pytest.mark.parametrize(
    ("backend", "folder"),
    [
        ("billingplatform", EXAMPLE),
        ("logisense", EXAMPLE.parent / "logisense-example"),
    ],
)
def test_the_example_catalogs_are_written_like_dump_yaml(
    backend: str, folder: Path, tmp_path: Path
) -> None:
    copy = tmp_path
    for path in walk_files(folder):
        if path.name != "catalogsync.yaml":
            target = copy / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    for document in _documents(backend, copy):
        assert_writes_like_dump_yaml(document)


def test_an_object_the_writer_does_not_lay_out_is_written_whole_by_dump_yaml() -> None:
    # A multi-line text, an empty list and an odd key: ruamel's layout, the object alone;
    # the plain objects around it are still written by the writer itself.
    document = {
        "products": [
            {"name": "A", "rate": Decimal("1.50")},
            {"name": "B", "description": "two\nlines", "tags": []},
            {"name": "C", "odd key: yes": 1},
            {"name": "yes", "rate": Decimal("-0.00"), "flag": True, "qty": 3},
        ],
        "packages": [{"name": "P", "products": [{"product": "A", "children": [{"x": None}]}]}],
    }
    assert_writes_like_dump_yaml(document)


def test_one_writer_writes_equal_scalars_of_different_types_each_their_own_way() -> None:
    # The writer remembers each scalar's text; 1, True and Decimal(1) are equal (and hash
    # alike) in Python but are written `1`, `true` and `"1"`.
    writer = CatalogWriter()
    values: list[Any] = [1, True, Decimal("1"), "1", 0, False, Decimal("0"), "0", None, ""]
    for value in values + values[::-1]:
        document = {"products": [{"name": "A", "v": value, "w": [value]}]}
        assert writer.text(document) == dump_yaml(document)


def test_one_writer_writes_equal_decimals_of_different_digits_each_their_own_way() -> None:
    # Decimal("1.20") == Decimal("1.2") and Decimal("-0") == Decimal("0") (and hash alike),
    # but `dump_yaml` writes "1.20", "1.2", "-0", "0": remembered by value, the second was
    # written as the first, so a file's text hung on what its process had written before
    # (an export's files are shared out between two processes).
    values = [Decimal("1.20"), Decimal("1.2"), Decimal("1.200"), Decimal("-0"), Decimal("0")]
    for order in (values, values[::-1]):
        writer = CatalogWriter()
        for value in order:
            document = {"products": [{"name": "A", "rate": value, "w": [value]}]}
            assert writer.text(document) == dump_yaml(document)


def test_documents_it_does_not_lay_out_at_all_are_dump_yaml_s() -> None:
    documents: list[Any] = [{}, {"products": []}, {"products": {"a": 1}}, {"products": [1, 2]}]
    for document in documents:
        assert_writes_like_dump_yaml(document)


_text = st.text(
    st.sampled_from("aZ09 ._-:#'\"é\n/()+%@`&*!|>{[,?ö–\\\t\x85\u2028~=<\r"), max_size=8
)
_scalar = st.one_of(
    _text,
    st.sampled_from(["yes", "No", "null", "1:30", "0x1F", "1_000", "~", "Product 000001"]),
    st.integers(-5, 10**6),
    st.booleans(),
    st.none(),
    st.decimals(places=2, allow_nan=False, allow_infinity=False),
)
_keys = st.sampled_from(["name", "rate", "min_qty", "children", "x y", "1", "on", "a:b"])
_values = st.recursive(
    _scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=3)),
    max_leaves=10,
)
_objects = st.dictionaries(_keys, _values, min_size=1, max_size=4)


# long: test_generated_catalogs_with_awkward_names_are_written_like_dump_yaml,
# test_the_example_catalogs_are_written_like_dump_yaml, test_documents_it_does_not_lay_out_at_all_are_dump_yaml_s
# and the property test_the_export_of_any_field_values_is_the_text_of_its_document
@pytest.mark.long
@settings(max_examples=examples(300), deadline=None)
@given(st.dictionaries(st.sampled_from(["products", "packages"]), st.lists(_objects, max_size=3)))
def test_random_catalog_shaped_documents_are_written_like_dump_yaml(document: Any) -> None:
    assert_writes_like_dump_yaml(document)


def _generated_records(backend: str, size: tuple[int, int, int] = (60, 6, 150)) -> list[Any]:
    system = systems_named([backend])[0]
    # (called at import: no pytest tmp_path; the records are read before the folder goes)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        write_project(folder, system.catalog(generate(*size, awkward=True)), backend=backend)
        (folder / "catalogsync.yaml").unlink()
        fmt = get_format(backend)
        return [(r.ref, r.fields) for r in load_catalog(list(walk_files(folder)), fmt, base=folder)]


def assert_exports_like_the_document(backend: str, records: list[tuple[Any, Any]]) -> None:
    """`CatalogWriter.export` (the lines laid out straight from the records) is the text of
    `export_document`, one writer for many files (as in an export), in any order."""
    fmt = get_format(backend)
    by_package: dict[str, list[tuple[Any, Any]]] = {}
    for ref, fields in records:
        by_package.setdefault(ref.key[0] if ref.kind is not Kind.PRODUCT else "", []).append(
            (ref, fields)
        )
    groups = [records, *by_package.values()]
    exporting, writing = CatalogWriter(), CatalogWriter()
    for group in groups + groups[::-1]:
        shuffled = list(group)
        random.Random(len(group)).shuffle(shuffled)
        expected = writing.text(fmt.export_document(group), HEADER)
        assert exporting.export(fmt, shuffled, HEADER) == expected
        assert expected == dump_yaml(fmt.export_document(group), HEADER)
    # The files made together (`export_files`: each kind's objects of every file laid out
    # at once, or each file alone when that does not lay them all out): the same texts
    texts = [writing.text(fmt.export_document(group), HEADER) for group in groups]
    for writer in (exporting, CatalogWriter()):
        assert writer.export_files(fmt, groups, [HEADER] * len(groups)) == texts
    # ... and of records in key order already, as the choice hands them out, unsorted
    ordered = [sorted(group, key=itemgetter(0)) for group in groups]
    headers = [HEADER] * len(groups)
    assert CatalogWriter().export_files(fmt, ordered, headers, in_order=True) == texts


@pytest.mark.parametrize("backend", ["billingplatform", "logisense"])
def test_the_export_lays_out_the_lines_of_its_document(backend: str) -> None:
    assert_exports_like_the_document(backend, _generated_records(backend))


@pytest.mark.parametrize("backend", ["billingplatform", "logisense"])
def test_the_export_writes_equal_numbers_of_other_digits_each_their_own_way(backend: str) -> None:
    # One writer for every file: a rate 1.20 written before must not make a later 1.2 "1.20".
    fmt, records = get_format(backend), _records[backend]
    field = "rate" if backend == "billingplatform" else "usage_frequency"
    products = [(ref, dict(f)) for ref, f in records if ref.kind is Kind.PRODUCT][:4]
    assert isinstance(fmt, YamlCatalogFormat)
    assert field in fmt.models[Kind.PRODUCT].model_fields
    values = [Decimal("1.20"), Decimal("1.2"), Decimal("-0"), Decimal("0")]
    for (_, fields), value in zip(products, values, strict=True):
        fields[field] = value
    assert_exports_like_the_document(backend, products)
    assert_exports_like_the_document(backend, products[::-1])


_field_values = st.one_of(
    _text,
    st.sampled_from(["Product 000001", "true", "1.5", "", "a\nb"]),
    st.integers(-5, 10**6),
    st.booleans(),
    st.decimals(places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("1.20"), Decimal("1.2"), Decimal("-0"), Decimal("0"), 1.5, -0.0]),
    st.tuples(_text),
    st.just(()),
)


@settings(max_examples=examples(100), deadline=None)
@given(
    backend=st.sampled_from(["billingplatform", "logisense"]),
    changes=st.lists(
        st.tuples(
            st.integers(0, 10**6),
            st.sampled_from(["status", "rate", "description", "name", "min_qty", "frequencies"]),
            _field_values,
        ),
        max_size=12,
    ),
)
def test_the_export_of_any_field_values_is_the_text_of_its_document(
    backend: str, changes: list[tuple[int, str, Any]]
) -> None:
    # Values the writer lays out itself, writes whole (a multi-line text, an empty list),
    # equal numbers of other digits, a package-product's own name: the same text as the
    # document's, whichever way each file is written.
    records, fmt = _records[backend], get_format(backend)
    assert isinstance(fmt, YamlCatalogFormat)
    changed = [(ref, dict(fields)) for ref, fields in records]
    for at, key, value in changes:
        ref, fields = changed[at % len(changed)]
        if key in fmt.models[ref.kind].model_fields:  # (a live record holds its kind's fields)
            fields[key] = value
    assert_exports_like_the_document(backend, changed)


#: A smaller catalog than the one above (48 records, 216 there) for the tests that export it
#: again per example: at most 12 changed values a run land closer together, and each
#: example costs a fifth (its document is also written by ruamel, four times over).
_records = {
    backend: _generated_records(backend, (16, 2, 30))
    for backend in ("billingplatform", "logisense")
}


def _live_like(records: list[tuple[Any, Any]]) -> list[tuple[Any, dict[str, Any]]]:
    """The records with every field of their kind, as a live read has them (None: empty)."""
    keys: dict[Kind, dict[str, None]] = {}
    for ref, fields in records:
        keys.setdefault(ref.kind, {}).update(dict.fromkeys(fields))
    return [(ref, {**keys[ref.kind], **fields}) for ref, fields in records]


def _by_package(records: list[tuple[Any, Any]]) -> list[list[tuple[Any, Any]]]:
    """The records of each file of an export split by package (products in one)."""
    groups: dict[str, list[tuple[Any, Any]]] = {}
    for ref, fields in records:
        groups.setdefault(ref.key[0] if ref.kind is not Kind.PRODUCT else "", []).append(
            (ref, fields)
        )
    return list(groups.values())


@pytest.mark.parametrize("backend", ["billingplatform", "logisense"])
def test_objects_of_one_shape_are_laid_out_a_field_at_a_time(backend: str) -> None:
    # An export's files (the whole catalog, each package, the products) are laid out by
    # `ColumnLayout`, not the object-at-a-time code, and it writes the document's text.
    fmt, records = get_format(backend), _live_like(_records[backend])
    assert isinstance(fmt, YamlCatalogFormat)
    layout = fmt.column_layout
    assert layout is not None
    writer = CatalogWriter()
    for group in [records, *_by_package(records)]:
        sections = layout.sections(sorted(group, key=itemgetter(0)), writer)
        assert sections is not None
        text = "".join(f"{key}:\n" + "".join(items) for key, items in sections.items())
        assert text == dump_yaml(fmt.export_document(group))
    # ... and a run of them together, each kind's objects of all of them at once
    files = [sorted(group, key=itemgetter(0)) for group in _by_package(records)]
    made = layout.sections_of(files, CatalogWriter())
    assert made is not None
    assert made == [layout.sections(records, writer) for records in files]


@pytest.mark.parametrize("own", [0, 1, 2])
def test_a_package_product_s_own_name_is_written_and_its_default_left_out(own: int) -> None:
    # BillingPlatform leaves out a package-product's name where it is its default
    # (`export_defaults`): none, one or both of a run's items with a name of their own.
    fmt = get_format("billingplatform")
    assert isinstance(fmt, YamlCatalogFormat) and fmt.column_layout is not None
    items = [package_product_ref("Gold", product) for product in ("Data", "Voice")]
    names = [f"Own {n}" if n < own else " / ".join(ref.key) for n, ref in enumerate(items)]
    records: list[tuple[Ref, dict[str, Value]]] = [(package_ref("Gold"), {"status": "Production"})]
    records += [(ref, {"name": name, "min_qty": 1}) for ref, name in zip(items, names, strict=True)]
    sections = fmt.column_layout.sections(records, CatalogWriter())
    assert sections is not None
    text = "".join(f"{key}:\n" + "".join(items) for key, items in sections.items())
    assert text == dump_yaml(fmt.export_document(records))
    assert text.count("name: Own") == own


def _one_type(values: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(st.one_of(values, st.none()), min_size=1, max_size=6)


_columns = st.one_of(
    _one_type(_text),
    _one_type(st.sampled_from(["Product 000001", "true", "1.5", "", "a\nb", "x: y"])),
    _one_type(st.integers(-5, 10**6)),
    _one_type(st.booleans()),
    _one_type(st.decimals(places=2, allow_nan=False, allow_infinity=False)),
    _one_type(st.sampled_from([Decimal("1.20"), Decimal("1.2"), Decimal("-0"), Decimal("0")])),
    _one_type(st.sampled_from([1.5, -0.0, 0.0, 2.0])),
    _one_type(st.tuples(_text)),
    _one_type(st.sampled_from([(), ("a", "b"), (1,), (True,)])),
)


#: Fields of the generated catalogs' kinds, both backends (flags among them).
_FIELDS_OF_BOTH = frozenset(
    {
        "status",
        "rate",
        "name",
        "min_qty",
        "max_qty",
        "allow_price_override",
        "customize_tax_rules",
        "description",
        "is_active",
        "frequencies",
        "default_instances",
        "usage_frequency",
    }
)


@settings(max_examples=examples(100), deadline=None)
@given(
    backend=st.sampled_from(["billingplatform", "logisense"]),
    fields=st.lists(
        st.tuples(st.sampled_from(sorted(_FIELDS_OF_BOTH)), _columns), min_size=1, max_size=3
    ),
)
def test_a_field_of_one_type_in_every_object_is_written_as_the_document_writes_it(
    backend: str, fields: list[tuple[str, list[Any]]]
) -> None:
    # Every object of a kind holding the field gets one of the values (the same type, or
    # None): the column layout's case, with equal values of other digits or types, flags,
    # a package-product's own name, values it leaves to `dump_yaml`.
    records, fmt = _records[backend], get_format(backend)
    assert isinstance(fmt, YamlCatalogFormat)
    changed = _live_like(records)
    for name, values in fields:
        for index, (ref, mapping) in enumerate(changed):
            if name in fmt.models[ref.kind].model_fields:
                mapping[name] = values[index % len(values)]
    assert_exports_like_the_document(backend, changed)


def test_write_file_writes_what_write_text_writes(tmp_path: Path) -> None:
    # The same bytes (UTF-8, newlines as they are), the same mode, over a longer file too.
    text = "products:\n  - name: Café – ü\r\n" * 50_000
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text("longer than the text " * 200_000, encoding="utf-8")
    write_file(tmp_path / "b.yaml", text)
    write_file(tmp_path / "c.yaml", text)
    expected = (tmp_path / "a.yaml").read_bytes()
    assert (tmp_path / "b.yaml").read_bytes() == expected == (tmp_path / "c.yaml").read_bytes()
    modes = {(tmp_path / name).stat().st_mode for name in ("a.yaml", "b.yaml", "c.yaml")}
    assert len(modes) == 1
    with pytest.raises(UnicodeEncodeError):  # (as `write_text`: an unpaired surrogate)
        write_file(tmp_path / "d.yaml", "\ud800")


#: Names on one line (a name on several is written by `dump_yaml`, every file around it too).
_names = st.one_of(
    st.text(st.sampled_from("aZ09 ._-:#'\"é/()+%@`&*!|>{[,?ö–\\~=<"), max_size=8),
    st.sampled_from(["yes", "No", "null", "~", "1:30", "%s", "100%", "a %d b", "Product 1"]),
)


@settings(max_examples=examples(100), deadline=None)
@given(
    backend=st.sampled_from(["billingplatform", "logisense"]),
    names=st.lists(_names, min_size=60, max_size=60, unique=True),
    descriptions=st.lists(_names, min_size=1, max_size=4),
)
def test_objects_of_any_names_are_written_as_the_document_writes_them(
    backend: str, names: list[str], descriptions: list[str]
) -> None:
    # Each name (a product's, a package's, in a package item's key) and each text field
    # made new to the writer (the column layout makes those written plain together):
    # quoted where the document quotes them, '%' and reserved words too.
    records, fmt = _live_like(_records[backend]), get_format(backend)
    assert isinstance(fmt, YamlCatalogFormat)
    known = list(dict.fromkeys(name for ref, _ in records for name in ref.key))
    assert len(known) <= len(names)
    renamed = dict(zip(known, names, strict=False))
    field = "description"
    changed = []
    for index, (ref, fields) in enumerate(records):
        mapping = dict(fields)
        if field in fmt.models[ref.kind].model_fields:
            mapping[field] = descriptions[index % len(descriptions)]
        changed.append((Ref(ref.kind, tuple(map(renamed.__getitem__, ref.key))), mapping))
    assert_exports_like_the_document(backend, changed)
