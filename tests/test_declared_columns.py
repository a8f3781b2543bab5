"""The declared fields and resources made a column at a time (`declared_values_of`,
`YamlCatalogFormat.declared_all`, the lists of `to_resources` and LogiSense's package
services) are what each model's own `declared_values` and `declared` make: equal, of the
same types, in the same order, whatever the models declare (flags declared null, empty
texts, enums, fields some declare and others not, too few to make columns of)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from catalogsync.backends.billingplatform.catalog_format import Product as BpProduct
from catalogsync.backends.logisense.catalog_format import (
    FORMAT,
    CatalogFile,
    PackageService,
    Service,
)
from catalogsync.catalog import Resource
from catalogsync.catalog_format import declared_values, declared_values_of
from catalogsync.errors import SourceLocation
from catalogsync.yamlio import YamlPath
from tests.conftest import examples

_TEXTS = st.sampled_from(["", " ", "x", "Voice", "Month", "USD"])
_VALUES: dict[type[BaseModel], dict[str, st.SearchStrategy[Any]]] = {
    Service: {
        "renamed_from": st.lists(st.sampled_from(["Old", "Older"]), max_size=1),
        "protect": st.booleans(),
        "service_type": st.sampled_from(["Recurring", "Usage"]),
        "description": st.one_of(st.none(), _TEXTS),
        "is_active": st.one_of(st.none(), st.booleans()),
        "is_tax_exempt": st.one_of(st.none(), st.booleans()),
        "usage_frequency": st.one_of(st.none(), st.integers(0, 3)),
        "usage_frequency_type": st.one_of(st.none(), st.sampled_from(["Month", "Day"])),
    },
    PackageService: {
        "protect": st.booleans(),
        "default_instances": st.one_of(st.none(), st.integers(0, 3)),
        "minimum_instances": st.one_of(st.none(), st.integers(0, 3)),
        "maximum_instances": st.one_of(st.none(), st.integers(0, 3)),
    },
    BpProduct: {
        "status": st.one_of(st.none(), st.sampled_from(["ACTIVE", "x"])),
        "rate": st.one_of(st.none(), st.sampled_from(["1", "0.10", "424.46"])),
        "override_permissions": st.one_of(
            st.none(), st.sampled_from(["No Restriction", "Restrict Rate Override"])
        ),
        "external_key": st.one_of(st.none(), _TEXTS),
        "order_of_execution": st.one_of(st.none(), st.sampled_from(["5", "5.0", "x"])),
        "customize_tax_rules": st.one_of(st.none(), st.booleans()),
    },
}
_KEYS = {Service: "name", PackageService: "service", BpProduct: "name"}


@st.composite
def _models(draw: st.DrawFn, model: type[BaseModel]) -> list[BaseModel]:
    """Models of one class, each declaring some of its fields (mostly the same ones)."""
    values = _VALUES[model]
    shared = draw(st.sets(st.sampled_from(sorted(values))))
    made = []
    for n in range(draw(st.integers(0, 8))):
        declared = shared if draw(st.booleans()) else draw(st.sets(st.sampled_from(sorted(values))))
        data = {_KEYS[model]: f"Object {n}"}
        if model is Service:
            data["service_type"] = "Recurring"
        data.update({key: draw(values[key]) for key in declared})
        try:
            made.append(model.model_validate(data))
        except ValidationError:
            continue
    return made


def _same(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert got == expected
    for got_fields, expected_fields in zip(got, expected, strict=True):
        assert list(got_fields) == list(expected_fields)
        assert [type(v) for v in got_fields.values()] == [type(v) for v in expected_fields.values()]


@settings(max_examples=examples(300), deadline=None)
@given(st.sampled_from(sorted(_VALUES, key=lambda model: model.__name__)).flatmap(_models))
def test_declared_values_of_models_are_each_model_s_declared_values(
    models: list[BaseModel],
) -> None:
    structural = {"name", "renamed_from", "protect", "service", "services"}
    _same(declared_values_of(models, structural), [declared_values(m, structural) for m in models])


@settings(max_examples=examples(100), deadline=None)
@given(services=_models(Service), items=_models(PackageService))
def test_a_documents_resources_are_each_object_s_declared_resource(
    services: list[BaseModel], items: list[BaseModel]
) -> None:
    fmt = FORMAT
    package = {"name": "Gold", "services": items, "frequencies": ["Month"]}
    document = CatalogFile.model_validate({"services": services, "packages": [package]})

    def locate(ypath: YamlPath) -> SourceLocation:
        return SourceLocation("c.yaml", len(ypath), sum(map(len, map(str, ypath))))

    made = list(fmt.to_resources(document, locate))
    expected: list[Resource] = [
        fmt.declared(model, made[n].ref, locate(("services", n)))
        for n, model in enumerate(document.services)
    ]
    gold = document.packages[0]
    expected.append(fmt.declared(gold, made[len(services)].ref, locate(("packages", 0))))
    expected += [
        fmt.declared(item, made[len(services) + 1 + n].ref, locate(("packages", 0, "services", n)))
        for n, item in enumerate(gold.services)
    ]
    assert made == expected
    assert [r.ref.key for r in made] == [
        *((model.name,) for model in document.services),
        ("Gold",),
        *(("Gold", item.service) for item in gold.services),
    ]
    assert [r.location for r in made] == [r.location for r in expected]
    _same([dict(r.fields) for r in made], [dict(r.fields) for r in expected])
