"""Pure mapping and wire parsing: names ↔ ids, children ↔ tuples, envelope variations."""

from __future__ import annotations

import pytest

from catalogsync.backends.logisense.mapping import (
    FIELDS,
    FieldType,
    Lookups,
    Record,
    child_patch_items,
    decode_fields,
    decode_value,
    encode_fields,
    live_resources,
    taken,
)
from catalogsync.backends.logisense.wire import PagedResponse, WriteResponse
from catalogsync.catalog import Kind, package_product_ref, package_ref

LOOKUPS = Lookups.from_records(
    {
        "ServiceType": [{"identity": 1, "name": "Recurring"}],
        "FrequencyType": [{"identity": 3, "name": "Month"}, {"identity": 4, "name": "Year"}],
        "Currency": [{"identity": 1, "name": "US Dollar", "code": "USD"}],
        "PackageCategory": [{"identity": 2, "name": "Default"}],
    }
)


def test_lookups_by_name_and_by_id() -> None:
    record = {"serviceTypeId": 1, "isActive": True, "usageFrequencyTypeId": 9, "description": None}
    fields = decode_fields(Kind.PRODUCT, record, LOOKUPS)
    assert fields["service_type"] == "Recurring"
    assert fields["usage_frequency_type"] == "#9"  # an id nobody can name still differs
    assert fields["is_active"] is True and fields["description"] is None
    wire = encode_fields(
        Kind.PRODUCT, [("service_type", "Recurring"), ("description", None)], LOOKUPS
    )
    assert wire == {"serviceTypeId": 1, "description": None}
    with pytest.raises(KeyError, match="unknown package category 'Gold'"):
        encode_fields(Kind.PACKAGE, [("package_category", "Gold")], LOOKUPS)


def test_dates_compare_as_instants_and_go_out_as_utc_timestamps() -> None:
    record = {"start": "2026-01-01T00:00:00.000Z", "expiry": "2026-03-01T10:00:00+01:00"}
    fields = decode_fields(Kind.PACKAGE, record, LOOKUPS)
    assert (fields["start"], fields["expiry"]) == ("2026-01-01", "2026-03-01T09:00:00Z")
    assert encode_fields(Kind.PACKAGE, [("start", "2026-01-01")], LOOKUPS) == {
        "start": "2026-01-01T00:00:00Z"
    }


def test_package_children_become_sorted_tuples_and_services_are_keyed_by_name() -> None:
    packages = [
        {
            "identity": 10,
            "name": "P",
            "details": {
                "frequencies": [
                    {"identity": 5, "frequency": 1, "frequencyTypeId": 4},
                    {"identity": 6, "frequency": 3, "frequencyTypeId": 3},
                ],
                "currencies": [{"identity": 7, "currencyId": 1, "currencyCode": "USD"}],
                "services": [{"identity": 8, "serviceId": 20, "defaultInstances": 2}],
            },
        }
    ]
    live = {r.ref: r for r in live_resources([{"identity": 20, "name": " S "}], packages, LOOKUPS)}
    package = live[package_ref("P")]
    assert package.fields["frequencies"] == ("3 Month", "Year")
    assert package.fields["currencies"] == ("USD",)
    child = live[package_product_ref("P", " S ")]
    assert (child.remote_id, child.fields["default_instances"]) == ("8", 2)


def test_child_patch_items_add_and_remove() -> None:
    items = child_patch_items(
        "frequencies", ("Month", "Year"), ("3 Month", "Month"), {"Year": 6, "Month": 5}, LOOKUPS
    )
    assert [(i.collection, i.wire, i.label) for i in items] == [
        ("frequencies", {"patchType": "delete", "identity": 6}, "frequency 'Year'"),
        (
            "frequencies",
            {"patchType": "create", "frequency": 3, "frequencyTypeId": 3},
            "frequency '3 Month'",
        ),
    ]
    with pytest.raises(KeyError, match="currency 'USD' has no live record"):
        child_patch_items("currencies", ("USD",), (), {}, LOOKUPS)


def test_write_results_wrapped_or_bare_and_uncounted_pages() -> None:
    bare = WriteResponse.model_validate({"results": {"items": [{"identity": 3, "name": "P"}]}})
    assert (bare.items[0].identity, bare.items[0].action) == (3, "created")
    wrapped = WriteResponse.model_validate(
        {"results": {"items": [{"identity": 4, "action": "created", "patchClientId": 2}]}}
    )
    assert wrapped.items[0].patch_client_id == 2
    page = PagedResponse.model_validate(
        {"pagedResults": {"totalCount": 0, "items": [{"identity": 1}]}}
    )
    assert page.total_count is None  # 0 with items: the server did not count


@pytest.mark.parametrize(
    "value",
    [None, 0, 1, 7, -3, 2.0, 2.5, True, False, "", "x", "True", "1", "0", "12", [1], {"a": 1}],
)
def test_a_field_decodes_each_json_type_as_decode_value_does(value: object) -> None:
    """The fields a read decodes in bulk take a shortcut for values of the documented JSON
    type; every type still decodes as `decode_value` does it."""
    for kind, specs in FIELDS.items():
        for spec in specs:
            if spec.type not in (FieldType.TEXT, FieldType.INT, FieldType.FLAG):
                continue  # a lookup id or a date: decoded by `decode_value` itself
            record = {spec.wire: value}
            decoded = decode_fields(kind, record, LOOKUPS)[spec.name]
            expected = decode_value(value, spec, LOOKUPS)
            assert (decoded, type(decoded)) == (expected, type(expected)), spec


def test_taken_hands_out_the_records_in_order_and_lets_each_go() -> None:
    records: list[Record] = [{"identity": 1}, {"identity": 2}, {"identity": 3}]
    handed = taken(records)
    assert next(handed) == {"identity": 1}
    assert records == [{"identity": 3}, {"identity": 2}]  # the first is no longer held
    assert list(handed) == [{"identity": 2}, {"identity": 3}]
    assert records == []


def test_a_listing_in_name_order_is_mapped_in_the_live_catalog_s_order() -> None:
    """Packages first, then every package's services: a listing in name order (as LogiSense
    pages are) needs no reordering by the live catalog's sort, only a check."""
    services = [{"identity": 20 + n, "name": f"S{n}"} for n in range(3)]
    packages = [
        {
            "identity": 10 + n,
            "name": f"P{n}",
            "details": {
                "services": [{"identity": 30 + 3 * n + s, "serviceId": 20 + s} for s in range(3)]
            },
        }
        for n in range(3)
    ]
    mapped = live_resources(services, packages, LOOKUPS)
    assert [r.ref for r in mapped] == sorted(r.ref for r in mapped)
    kinds = [Kind.PACKAGE] * 3 + [Kind.PACKAGE_PRODUCT] * 9 + [Kind.PRODUCT] * 3
    assert [r.ref.kind for r in mapped] == kinds
