"""A written file read a column at a time (`yamlcolumns`) loads exactly as the loader
loads it otherwise: the same resources (keys, fields and their types, links, renames,
protection, places) and no issue, or the file is left to the loader, which words its
issues as always.

Each file is loaded twice, through `loader.load_file` as it is and with the column
reader turned off, and the two compared: catalogs in the writer's layout (as `export`
writes them) with random fields and values of every kind a model refuses or makes its
own, and the same files with lines changed at random.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogsync import loader, yamlcolumns
from catalogsync.catalog_writer import CatalogWriter
from catalogsync.catalog_yaml import YamlCatalogFormat
from catalogsync.registry import get_format
from catalogsync.yamlfast import fast_available
from tests.conftest import examples
from tests.test_yamlblock import _edited, _edits

pytestmark = pytest.mark.skipif(not fast_available(), reason="PyYAML without libyaml")

HEADER = ["yaml-language-server: $schema=../schemas/x.json", "Exported by a test."]


def _loaded(path: Path, backend: str) -> Any:
    """What `load_file` makes of the file: its issues, and each resource with its fields'
    types (a 1 is not a True, a Decimal not a text)."""
    issues, resources = loader.load_file(path, get_format(backend), shown="f.yaml")
    return (
        [(issue.message, issue.location) for issue in issues],
        [
            (
                r.ref,
                list(r.fields.items()),
                [type(value) for value in r.fields.values()],
                r.requires,
                r.renamed_from,
                r.protect,
                r.location,
            )
            for r in resources
        ],
    )


def assert_loads_as_before(text: str, backend: str) -> bool:
    """The file loads the same with and without the column reader; whether that read it."""
    with tempfile.TemporaryDirectory() as name:
        path = Path(name) / "f.yaml"
        path.write_text(text)
        fmt = get_format(backend)
        assert isinstance(fmt, YamlCatalogFormat)
        taken = yamlcolumns.file_resources(path.read_bytes(), "f.yaml", fmt) is not None
        with pytest.MonkeyPatch.context() as patch:  # (the loader without the column reader)
            patch.setattr(loader, "file_resources", lambda *args: None)
            expected = _loaded(path, backend)
        assert _loaded(path, backend) == expected
        if taken:
            assert not expected[0]
    return taken


_texts = st.sampled_from(
    [
        *("Product 000001", "Gold", "it's", "x.y/z (1)", "Pkg-2", "a", " ", "", "Month"),
        *("USD", "a: b", "c:d", "x #1", "x#1", "(1) ", "_"),
    ]
)
_values = st.one_of(
    _texts,
    st.sampled_from(["true", "null", "007", "1.50", "No Restriction", "Restrict Rate Override"]),
    st.sampled_from(["3 Month", "2026-01-01", "2026-01-01T12:30:00Z", "Production", "ACTIVE"]),
    st.integers(-2, 5),
    st.sampled_from([2**31 - 1, 2**31, 10**20]),
    st.booleans(),
    st.none(),
    st.sampled_from([Decimal("1.20"), Decimal("-0"), Decimal("424.46")]),
    st.lists(_texts, max_size=2),
)
_FIELDS = {
    "logisense": {
        "product": [
            "renamed_from",
            "protect",
            "service_type",
            "description",
            "is_active",
            "is_tax_exempt",
            "usage_frequency",
            "usage_frequency_type",
            "other",
        ],
        "package": ["package_category", "description", "start", "frequencies", "currencies"],
        "item": ["protect", "default_instances", "minimum_instances", "maximum_instances", "x"],
    },
    "billingplatform": {
        "product": [
            "renamed_from",
            "protect",
            "status",
            "rate",
            "override_permissions",
            "order_of_execution",
            "customize_tax_rules",
            "external_key",
            "other",
        ],
        "package": ["status", "renamed_from", "protect"],
        "item": ["name", "min_qty", "max_qty", "rate", "link_package", "link_product"],
    },
}
_HEADS = {"logisense": ("services", "service"), "billingplatform": ("products", "product")}


def _object(
    draw: st.DrawFn, head: str, name: str, keys: list[str], typical: dict[str, Any]
) -> dict[str, Any]:
    """An object: its name, then mostly the typical fields, sometimes others of any value."""
    data: dict[str, Any] = {head: name}
    if draw(st.integers(0, 3)):
        data.update(typical)
    if not draw(st.integers(0, 3)):
        for key in draw(st.lists(st.sampled_from(keys), max_size=2)):
            data[key] = draw(_values)
    return data


_TYPICAL: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "logisense": (
        {"service_type": "Recurring", "description": "rate 424.46", "is_active": True},
        {"default_instances": 1, "minimum_instances": 0, "maximum_instances": 304},
        {"frequencies": ["Month"], "currencies": ["USD"]},
    ),
    "billingplatform": (
        {"status": "ACTIVE", "rate": "424.46", "override_permissions": "No Restriction"},
        {"min_qty": 1, "max_qty": 304},
        {"status": "Production"},
    ),
}


@st.composite
def _documents(draw: st.DrawFn, backend: str) -> dict[str, Any]:
    fields, items_key = _FIELDS[backend], _HEADS[backend][0]
    product, _, package = _TYPICAL[backend]
    names = st.sampled_from(["Product 000001", "Product 2", "Gold", "it's", "007", "true", ""])
    document: dict[str, Any] = {}
    if draw(st.booleans()):
        document[items_key] = [
            _object(draw, "name", draw(names), fields["product"], product)
            for _ in range(draw(st.integers(1, 6)))
        ]
    if draw(st.booleans()) or not document:
        packages = []
        for n in range(draw(st.integers(1, 2))):
            made = _object(draw, "name", f"Package {n}", fields["package"], package)
            items = _items(draw, backend, names, 3)
            keep = draw(st.booleans())
            if items or keep:
                made[items_key] = items
            packages.append(made)
        document["packages"] = packages
    return document


def _items(
    draw: st.DrawFn, backend: str, names: st.SearchStrategy[str], depth: int
) -> list[dict[str, Any]]:
    """A package's items; BillingPlatform's with items nested in some (`children`, empty
    at times), up to `depth` deep."""
    items = []
    for _ in range(draw(st.integers(0, 6 if depth == 3 else 2))):
        made = _object(
            draw, _HEADS[backend][1], draw(names), _FIELDS[backend]["item"], _TYPICAL[backend][1]
        )
        if backend == "billingplatform" and depth and not draw(st.integers(0, 2)):
            children = _items(draw, backend, names, depth - 1)
            if children or not draw(st.integers(0, 3)):
                made["children"] = children
        items.append(made)
    return items


def _text(document: dict[str, Any]) -> str:
    return CatalogWriter().text(document, HEADER)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(["logisense", "billingplatform"]))
def test_a_written_file_loads_as_the_loader_loads_it(data: st.DataObject, backend: str) -> None:
    assert_loads_as_before(_text(data.draw(_documents(backend))), backend)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(["logisense", "billingplatform"]), _edits)
def test_a_written_file_changed_at_random_loads_as_the_loader_loads_it(
    data: st.DataObject, backend: str, edits: list[tuple[str, int]]
) -> None:
    assert_loads_as_before(_edited(_text(data.draw(_documents(backend))), edits), backend)


#: Package-products nested as `export` writes them: two deep, the last with no max_qty.
_NESTED = {
    "children": [
        {
            "product": "Product 9",
            "min_qty": 0,
            "max_qty": 3,
            "children": [{"product": "Product 8", "min_qty": 0}],
        },
        {"product": "Product 7", "min_qty": 0},
    ]
}


def _typical_document(backend: str, products: int, items: int) -> dict[str, Any]:
    items_key, item_head = _HEADS[backend]
    product, item, package = _TYPICAL[backend]
    return {
        items_key: [{"name": f"Product {n:06}", **product} for n in range(products)],
        "packages": [
            {
                "name": f"Package {p}",
                **package,
                items_key: [
                    {
                        item_head: f"Product {n:06}",
                        **item,
                        **(_NESTED if backend == "billingplatform" and n % 3 else {}),
                    }
                    for n in range(items)
                ],
            }
            for p in range(2)
        ],
    }


@pytest.mark.parametrize("backend", ["logisense", "billingplatform"])
def test_an_exported_file_is_read_a_column_at_a_time(backend: str) -> None:
    # (not left to the loader each time: the comparisons above compare something)
    products = _typical_document(backend, 30, 0)
    del products["packages"]
    assert assert_loads_as_before(_text(products), backend)
    packages = _typical_document(backend, 0, 12)
    del packages[_HEADS[backend][0]]
    assert assert_loads_as_before(_text(packages), backend)
