"""Resources, refs and places made without their Python constructors (`owned_resource`,
`made_ref`, `product_ref`, `package_ref`, `package_product_ref`, `made_location`; the
export's stand-ins) are the values the constructors make: equal, of the same types, hashed
alike, still read-only."""

from __future__ import annotations

import dataclasses
import os
from decimal import Decimal
from pathlib import Path

import pytest

from catalogsync.backends.billingplatform.catalog_format import Product
from catalogsync.catalog import (
    Kind,
    Ref,
    Resource,
    made_ref,
    owned_resource,
    package_product_ref,
    package_ref,
    product_ref,
)
from catalogsync.catalog_format import declared_values
from catalogsync.errors import SourceLocation, made_location
from catalogsync.export_check import _stand_ins
from catalogsync.loader import load_catalog
from catalogsync.registry import get_format
from catalogsync.yamlio import display_path


def _same_value(got: object, expected: object) -> None:
    assert got == expected and type(got) is type(expected)
    assert repr(got) == repr(expected)


@pytest.mark.parametrize(
    ("made", "expected"),
    [
        (product_ref("Voice"), Ref(Kind.PRODUCT, ("Voice",))),
        (package_ref("Gold"), Ref(Kind.PACKAGE, ("Gold",))),
        (package_product_ref("Gold", "Voice"), Ref(Kind.PACKAGE_PRODUCT, ("Gold", "Voice"))),
        (
            package_product_ref("Gold", "Voice", "Mail"),
            Ref(Kind.PACKAGE_PRODUCT, ("Gold", "Voice", "Mail")),
        ),
        (made_ref(Kind.PACKAGE, ("Gold",)), Ref(Kind.PACKAGE, ("Gold",))),
    ],
)
def test_refs_made_in_c_are_the_named_tuples(made: Ref, expected: Ref) -> None:
    _same_value(made, expected)
    assert hash(made) == hash(expected) and str(made) == str(expected)
    assert made.kind is expected.kind and made.parent == expected.parent


def test_a_made_location_is_the_location_its_arguments_make() -> None:
    made, expected = made_location("c.yaml", 3, 5), SourceLocation("c.yaml", 3, 5)
    _same_value(made, expected)
    assert hash(made) == hash(expected) and str(made) == str(expected)
    assert made < SourceLocation("c.yaml", 3, 6) and not made < expected
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.line = 4  # type: ignore[misc]


def test_an_owned_resource_is_the_resource_its_arguments_make() -> None:
    ref = package_product_ref("Gold", "Voice")
    where = SourceLocation("catalog.yaml", 3, 5)
    parts = {
        "ref": ref,
        "requires": (package_ref("Silver"),),
        "renamed_from": ("Old",),
        "protect": True,
        "location": where,
    }
    expected = Resource(fields={"rate": Decimal("1.50"), "name": None}, **parts)  # type: ignore[arg-type]
    got = owned_resource(fields={"rate": Decimal("1.50"), "name": None}, **parts)  # type: ignore[arg-type]
    _same_value(got, expected)
    assert [type(getattr(got, name)) for name in Resource.__slots__] == [
        type(getattr(expected, name)) for name in Resource.__slots__
    ]
    assert got.dependencies() == expected.dependencies()
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.protect = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        got.fields["rate"] = Decimal(1)  # type: ignore[index]
    _same_value(owned_resource(product_ref("Voice"), {}), Resource(ref=product_ref("Voice")))


def test_the_export_s_stand_ins_are_the_resources_of_their_keys_and_links() -> None:
    gold, voice = package_ref("Gold"), product_ref("Voice")
    item = package_product_ref("Gold", "Voice")
    groups = {"products.yaml": [voice], "packages/Gold.yaml": [gold, item]}
    links = {item: (package_ref("Silver"),)}
    _same_value(
        _stand_ins(groups, links),
        [Resource(ref=voice), Resource(ref=gold), Resource(ref=item, requires=links[item])],
    )
    _same_value(_stand_ins(groups, {}), [Resource(ref=ref) for ref in (voice, gold, item)])
    shared = _stand_ins(groups, {})
    assert shared[0].fields is not shared[1].fields  # (each its own, as `Resource()` makes)


@pytest.mark.parametrize("backend", ["billingplatform", "logisense"])
def test_a_loaded_catalog_holds_the_resources_the_constructor_makes(
    backend: str, tmp_path: Path
) -> None:
    """Every resource the loader reads (made in C) equals its copy made by `Resource(...)`."""
    text = {
        "billingplatform": (
            "products:\n- name: Voice\n  rate: '1.50'\n  protect: true\n"
            "  renamed_from: [Old Voice]\n- name: Mail\n"
            "packages:\n- name: Gold\n  status: Production\n  products:\n"
            "  - product: Voice\n    min_qty: 1\n    name: null\n    children:\n"
            "    - product: Mail\n      min_qty: 0\n      link_package: Silver\n"
            "      link_product: Voice\n"
            "- name: Silver\n  products:\n  - product: Voice\n    min_qty: 2\n"
        ),
        "logisense": (
            "services:\n- name: Voice\n  service_type: Usage\n  protect: true\n"
            "packages:\n- name: Gold\n  services:\n  - service: Voice\n    minimum_instances: 1\n"
        ),
    }[backend]
    (tmp_path / "catalog.yaml").write_text(text, encoding="utf-8")
    catalog = load_catalog([tmp_path / "catalog.yaml"], get_format(backend), base=tmp_path)
    assert len(catalog) >= 3
    for got in catalog:
        expected = Resource(
            ref=Ref(got.ref.kind, tuple(got.ref.key)),
            fields=dict(got.fields),
            requires=tuple(Ref(r.kind, r.key) for r in got.requires),
            renamed_from=got.renamed_from,
            protect=got.protect,
            location=got.location,
        )
        _same_value(got, expected)
        assert type(got.ref) is Ref and all(type(r) is Ref for r in got.requires)


def test_declared_values_are_the_normalised_values_the_yaml_declares() -> None:
    """Only the keys set, in name order, minus the structural ones; a flag `null` is false,
    a text "" (plain or an enum's) is null, an enum its value, anything else as it is."""
    product = Product.model_validate(
        {
            "name": "Voice",
            "status": "ACTIVE",
            "external_key": "",
            "rate": "1.50",
            "customize_tax_rules": None,
            "default_rate_flag": True,
            "override_permissions": "No Restriction",
        }
    )
    got = declared_values(product, frozenset({"name"}))
    assert got == {
        "customize_tax_rules": False,
        "default_rate_flag": True,
        "external_key": None,
        "override_permissions": "No Restriction",
        "rate": Decimal("1.50"),
        "status": "ACTIVE",
    }
    assert list(got) == sorted(got)
    assert type(got["override_permissions"]) is str
    assert declared_values(product)["name"] == "Voice"


def test_a_path_under_its_base_is_shown_without_asking_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_cwd() -> Path:
        raise AssertionError("asked the working folder")

    monkeypatch.setattr(Path, "cwd", staticmethod(no_cwd))
    assert display_path(tmp_path / "packages" / "Gold.yaml", tmp_path) == os.path.join(
        "packages", "Gold.yaml"
    )


def test_live_resources_made_in_c_are_the_ones_the_constructor_makes() -> None:
    """`LiveResource.made` and `adopting` (no Python call per resource) make the values
    `LiveResource(...)` makes: equal, read-only; the constructor copies its fields."""
    from types import MappingProxyType

    from catalogsync.catalog import Value, package_product_refs, product_refs
    from catalogsync.live import LiveResource

    fields: dict[str, Value] = {"rate": Decimal("1.5"), "min_qty": 0}
    built = [
        LiveResource(product_ref("Voice"), "1", fields, "2026-01-01T00:00:00Z"),
        LiveResource(package_product_ref("Gold", "Voice"), "2", fields, None, "me"),
    ]
    refs = [*product_refs(["Voice"]), *package_product_refs(["Gold"], ["Voice"])]
    assert refs == [r.ref for r in built] and all(type(r) is Ref for r in refs)
    view = MappingProxyType(dict(fields))
    made = LiveResource.made(
        refs, ["1", "2"], [view, view], ["2026-01-01T00:00:00Z", None], [None, "me"]
    )
    adopted = [
        LiveResource.adopting(r.ref, r.remote_id, dict(fields), r.updated_at, r.updated_by)
        for r in built
    ]
    assert made == built == adopted and all(type(r) is LiveResource for r in made + adopted)
    assert LiveResource.made(refs[:1], ["1"], [view], ["2026-01-01T00:00:00Z"]) == built[:1]
    assert LiveResource(product_ref("A"), "3").fields == {} and built[0].updated_by is None
    fields["rate"] = Decimal(9)  # the constructor copied them
    assert built[0].fields["rate"] == Decimal("1.5")
    with pytest.raises(TypeError):
        built[0].fields["rate"] = Decimal(2)  # type: ignore[index]
    with pytest.raises(AttributeError):
        built[0].remote_id = "9"  # type: ignore[misc]
