"""The loader: every class of bad input gives the exact file:line:col and message."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from catalogsync.catalog import Kind, package_product_ref, product_ref
from catalogsync.errors import CatalogValidationError
from catalogsync.loader import load_catalog
from catalogsync.registry import get_format
from tests.conftest import EXAMPLE, FIXTURES

BAD = FIXTURES / "bad"
FMT = get_format("billingplatform")


def problems(*files: Path) -> list[str]:
    with pytest.raises(CatalogValidationError) as caught:
        load_catalog(list(files), FMT)
    here = Path.cwd()
    return [
        str(issue).replace(os.path.relpath(BAD, here) + os.sep, "") for issue in caught.value.issues
    ]


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES.parent.parent)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "syntax-error.yaml",
            [
                # libyaml's words: the slow exact reader never reads a file it rejects
                "syntax-error.yaml:4:9: invalid YAML: did not find expected ',' or ']' "
                "while parsing a flow sequence"
            ],
        ),
        (
            "duplicate-key.yaml",
            [
                "duplicate-key.yaml:4:5: duplicate key 'rate' (a key may appear only once in a mapping)"
            ],
        ),
        (
            "wrong-type.yaml",
            [
                "wrong-type.yaml:3:11: rate: Input should be a valid decimal (got 'cheap')",
                "wrong-type.yaml:4:26: customize_tax_rules: Input should be a valid boolean, "
                "unable to interpret input (got 'maybe')",
            ],
        ),
        (
            "unknown-field.yaml",
            [
                "unknown-field.yaml:3:5: unknown field 'rat' for a billingplatform product "
                "(did you mean 'rate'?)",
                "unknown-field.yaml:7:9: missing required field 'min_qty' in billingplatform "
                "package-product",
                "unknown-field.yaml:8:9: unknown field 'min_quantity' for a billingplatform "
                "package-product (did you mean 'min_qty'?)",
            ],
        ),
        (
            "missing-required.yaml",
            [
                "missing-required.yaml:2:5: missing required field 'name' in billingplatform product",
                "missing-required.yaml:7:9: missing required field 'min_qty' in billingplatform "
                "package-product",
            ],
        ),
        (
            "bad-enum.yaml",
            [
                "bad-enum.yaml:3:27: override_permissions: invalid value 'no restriction'; "
                "expected 'No Restriction', 'Restrict Rating Method Override' or "
                "'Restrict Rate Override' (did you mean 'No Restriction'?)",
                "bad-enum.yaml:6:13: status: invalid value 'Live'; "
                "expected 'Production' or 'In Development'",
            ],
        ),
        (
            "min-greater-than-max.yaml",
            [
                "min-greater-than-max.yaml:7:18: min_qty (10) is greater than max_qty (5) "
                "for product 'Voice Minutes'"
            ],
        ),
        (
            "dangling-reference.yaml",
            [
                "dangling-reference.yaml:9:13: package-product Gold Plan / Voice Minutes / "
                "Voicemail refers to unknown product 'Voicemail'"
            ],
        ),
        (
            "reference-cycle.yaml",
            [
                "reference-cycle.yaml:7:9: reference cycle: package-product Gold Plan / Voice "
                "Minutes → package-product Silver Plan / SMS → package-product Gold Plan / "
                "Voice Minutes"
            ],
        ),
        (
            "list-not-mapping.yaml",
            [
                "list-not-mapping.yaml:1:1: expected a mapping (billingplatform catalog file), "
                "not a list"
            ],
        ),
        ("empty.yaml", ["empty.yaml:1:1: file is empty (expected a YAML mapping)"]),
    ],
)
def test_each_class_of_bad_input_is_located(fixture: str, expected: list[str]) -> None:
    assert problems(BAD / fixture) == expected


def test_duplicate_names_across_files_point_at_both() -> None:
    folder = BAD / "duplicate-name-across-files"
    assert problems(folder / "one.yaml", folder / "two.yaml") == [
        "duplicate-name-across-files/two.yaml:3:5: duplicate product Voice Minutes "
        "(first declared at duplicate-name-across-files/one.yaml:2:5)"
    ]


def test_several_problems_are_all_reported_in_one_run() -> None:
    assert problems(BAD / "several-problems.yaml") == [
        "several-problems.yaml:4:5: unknown field 'colour' for a billingplatform product",
        "several-problems.yaml:6:11: rate: Input should be a valid decimal (got 'free')",
        "several-problems.yaml:9:13: status: invalid value 'Prod'; "
        "expected 'Production' or 'In Development'",
        # checks of the valid remainder still run, at the right lines despite the
        # invalid Gold Plan package before them
        "several-problems.yaml:16:18: min_qty (3) is greater than max_qty (1) "
        "for product 'Voice Minutes'",
        "several-problems.yaml:18:9: package-product Silver Plan / Call Recording refers to "
        "unknown product 'Call Recording'",
    ]


def test_problems_in_several_files_are_reported_together() -> None:
    found = problems(BAD / "wrong-type.yaml", BAD / "bad-enum.yaml", BAD / "empty.yaml")
    assert found[0].startswith("bad-enum.yaml:2:5: duplicate product Voice Minutes")
    assert [line.split(":")[0] for line in found] == [
        # both files declare Voice Minutes: found although each copy has a bad field
        "bad-enum.yaml",
        "bad-enum.yaml",
        "bad-enum.yaml",
        "empty.yaml",
        "wrong-type.yaml",
        "wrong-type.yaml",
    ]


def test_non_utf8_bytes_are_located(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("products:\n  - name: Ger\u00e4t\n".encode("latin-1"))
    with pytest.raises(CatalogValidationError) as caught:
        load_catalog([path], FMT)
    (issue,) = caught.value.issues
    assert issue.location is not None and (issue.location.line, issue.location.column) == (2, 14)
    assert issue.message == "file is not valid UTF-8 (byte 0xe4); save it as UTF-8"


def test_package_product_checks_at_any_depth_in_order(tmp_path: Path) -> None:
    # The checks ask only the items with something to say for a message and a place:
    # the others (most of a catalog) are passed over, at every depth, in the same order.
    path = tmp_path / "checks.yaml"
    path.write_text(
        "products:\n  - name: A\n  - name: B\npackages:\n  - name: G\n    products:\n"
        "      - {product: A, min_qty: 1, max_qty: 2}\n"
        "      - product: B\n        min_qty: 3\n        max_qty: 2\n"
        "        link_product: A\n        children:\n"
        "          - {product: A, min_qty: 0}\n"
        "          - product: B\n            min_qty: 5\n            max_qty: 4\n"
        "            children:\n"
        "              - {product: A, min_qty: 0, link_product: B}\n"
        "  - name: H\n    products:\n"
        "      - {product: A, min_qty: 2, max_qty: 1, link_product: B, link_package: G}\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogValidationError) as caught:
        load_catalog([path], FMT, tmp_path)
    assert [str(issue) for issue in caught.value.issues] == [
        "checks.yaml:9:18: min_qty (3) is greater than max_qty (2) for product 'B'",
        "checks.yaml:11:23: link_product needs link_package",
        "checks.yaml:15:22: min_qty (5) is greater than max_qty (4) for product 'B'",
        "checks.yaml:18:56: link_product needs link_package",
        "checks.yaml:21:31: min_qty (2) is greater than max_qty (1) for product 'A'",
    ]


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    line = b"  - name: Product number that pads this line out\n"
    with path.open("wb") as out:
        out.write(b"products:\n")
        out.write(line * (50 * 1024 * 1024 // len(line)))
    with pytest.raises(CatalogValidationError) as caught:
        load_catalog([path], FMT)
    (issue,) = caught.value.issues
    assert issue.message.startswith("file is 50.0 MiB; catalog files are limited to 32 MiB")


def test_names_with_quotes_and_non_ascii_load_unchanged() -> None:
    catalog = load_catalog(
        [EXAMPLE / "products.yaml", *sorted((EXAMPLE / "packages").iterdir())], FMT
    )
    refs = catalog.by_ref()
    assert product_ref("O'Brien Support Desk") in refs
    assert product_ref("International Roaming – Zone 1") in refs
    nested = package_product_ref(
        "O'Brien & Söhne Business", "O'Brien Support Desk", "Gerät-Versicherung"
    )
    assert refs[nested].fields["max_qty"] == Decimal(50)


def test_only_declared_fields_are_kept_and_values_normalised(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "products:\n"
        "  - name: A\n    rate: 10.50\n    customize_tax_rules: 1\n    ssp_formula: null\n"
        "packages:\n  - name: P\n    products:\n      - product: A\n        min_qty: '1'\n",
        encoding="utf-8",
    )
    catalog = load_catalog([path], FMT)
    product = catalog.by_ref()[product_ref("A")]
    assert dict(product.fields) == {
        "rate": Decimal("10.5"),
        "customize_tax_rules": True,
        "ssp_formula": None,
    }
    (pp,) = catalog.of_kind(Kind.PACKAGE_PRODUCT)
    assert dict(pp.fields) == {"min_qty": Decimal(1)}


def test_example_catalog_counts() -> None:
    catalog = load_catalog(
        [EXAMPLE / "products.yaml", *sorted((EXAMPLE / "packages").iterdir())], FMT
    )
    assert catalog.count() == {Kind.PRODUCT: 10, Kind.PACKAGE: 4, Kind.PACKAGE_PRODUCT: 16}


def test_a_scalar_yaml_cannot_build_is_located(tmp_path: Path) -> None:
    # ruamel reads `._` as a float and then fails to build it; that is bad input, not a crash.
    path = tmp_path / "c.yaml"
    path.write_text("products:\n  - name: A\n    rate: ._\n", encoding="utf-8")
    with pytest.raises(CatalogValidationError) as caught:
        load_catalog([path], get_format("billingplatform"), base=tmp_path)
    assert [str(issue) for issue in caught.value.issues] == [
        "c.yaml:3:11: invalid value '._'; quote it to write text"
    ]


# --- the error path reads the file once, then only the items its problems are in ------------

_BIG_PACKAGE = "".join(
    f"      - {{product: P{i}, min_qty: 0}}\n" for i in range(2_000)
)  # ~80 KB: past the first window `SourceMap.resolve` parses

LOCATED_CASES = {
    "bad field in a nested child": (
        "products:\n  - {name: A, rate: '1'}\npackages:\n  - name: G\n    products:\n"
        "      - product: A\n        min_qty: 0\n        children:\n"
        "          - {product: A, min_qty: x, colour: red}\n"
    ),
    "bad field after a large list in its item": (
        "products:\n"
        + "".join(f"  - {{name: P{i}}}\n" for i in range(2_000))
        + "packages:\n  - name: G\n    products:\n"
        + _BIG_PACKAGE
        + "    status: BOGUS\n"
    ),
    "wrong type at the top": "products: 5\npackages:\n  - name: G\n    status: Bad\n",
    "unknown key at the top, after the items": "products:\n  - name: A\nextras: 1\n",
    "missing field, flow style": "products: [{name: A}, {rate: '1'}]\n",
    "semantic check after a dropped item": (
        "packages:\n  - name: G\n    status: Nope\n    products:\n"
        "      - {product: A, min_qty: 1}\n  - name: H\n    products:\n"
        "      - product: A\n        min_qty: 5\n        max_qty: 1\nproducts:\n  - name: A\n"
    ),
    "non-ASCII before the item on its line": (
        "products: [{name: \u65e5\u672c\u00e9}, {name: B, rate: x}]\n"
    ),
    "non-ASCII and line separators before the fault": (
        'products:\n  - name: "Gr\u00f6\u00dfe \u65e5\u672c"\n    external_key: "a\\u2028b"\n'
        "  - name: B\n    rate: \u65e5\u672c\n"
    ),
    # The fast reader hands a file out in parts as it reads it: what it finds wrong (or
    # leaves to the exact reader) after the first parts must undo those parts.
    "a duplicate top-level key after the first parts": (
        "products:\n  - {name: A, rate: x}\n  - {name: B}\n  - {name: C}\n  - {name: D}\n"
        "packages: []\nproducts: []\n"
    ),
    "a syntax error after the first parts": (
        "products:\n  - {name: A, rate: x}\n  - {name: B}\n  - {name: C}\n  - {name: D}\n"
        "packages: [{name: G}\n"
    ),
    "an anchor (read exactly) after the first parts": (
        "products:\n  - {name: A, rate: x}\n  - {name: B}\n  - {name: C}\n  - {name: D}\n"
        "packages:\n  - &g {name: G, status: Bogus}\n"
    ),
}


@pytest.mark.parametrize("text", LOCATED_CASES.values(), ids=LOCATED_CASES.keys())
def test_problems_are_located_where_the_exact_reader_locates_them(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    located = problems(path)
    monkeypatch.setattr("catalogsync.yamlfast.fast_available", lambda: False)  # ruamel
    assert located == problems(path)


def test_locating_one_bad_field_parses_only_its_item(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import catalogsync.yamlfast as yamlfast

    before, after = (
        "".join(f"  - {{name: {p}{i}, rate: '1'}}\n" for i in range(5_000)) for p in "PQ"
    )
    path = tmp_path / "c.yaml"
    path.write_text(f"products:\n{before}  - name: Bad\n    rate: cheap\n{after}", encoding="utf-8")
    parsed: list[int] = []
    walk = yamlfast._walk

    def counted(text: str, wanted: set[tuple[object, ...]]) -> object:
        parsed.append(len(text))
        return walk(text, wanted)

    monkeypatch.setattr(yamlfast, "_walk", counted)
    (problem,) = problems(path)
    assert problem.endswith(
        f"c.yaml:{5_000 + 3}:11: rate: Input should be a valid decimal (got 'cheap')"
    )
    # one window from the bad item on, not the 260 KB file with every position recorded
    assert len(parsed) == 1 and parsed[0] <= (1 << 16) + 4


@pytest.mark.parametrize(
    "text",
    [
        *LOCATED_CASES.values(),
        (BAD / "several-problems.yaml").read_text(encoding="utf-8"),
        "products:\n"
        + "".join(f"  - {{name: P{i}, rate: {'x' if i % 4 == 1 else 1}}}\n" for i in range(11))
        + "packages:\n"
        + "".join(
            f"  - name: G{i}\n    products: [{{product: P{i}, min_qty: {i % 3}, max_qty: 1}}]\n"
            for i in range(7)
        )
        + "  - {name: G9, products: [{product: P1, min_qty: 0}]}\n",
    ],
    ids=[*LOCATED_CASES, "several problems", "problems in several parts"],
)
def test_a_file_read_in_parts_has_the_problems_it_has_read_whole(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each file is validated PART_ITEMS top-level items at a time (memory); the problems,
    # their places and the salvaged remainder's checks must not depend on the slicing.
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr("catalogsync.loader.PART_ITEMS", 2)
    in_parts = problems(path)
    monkeypatch.setattr("catalogsync.loader.PART_ITEMS", 1_000_000)
    assert in_parts == problems(path)
    assert in_parts


def test_a_valid_file_read_in_parts_is_the_same_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks.generate import generate, write_project

    write_project(tmp_path, generate(60, 9, 150, awkward=True))
    files = [tmp_path / "catalog.yaml"]
    monkeypatch.setattr("catalogsync.loader.PART_ITEMS", 7)
    in_parts = load_catalog(files, FMT)
    monkeypatch.setattr("catalogsync.loader.PART_ITEMS", 1_000_000)
    assert in_parts == load_catalog(files, FMT)
    assert len(in_parts) == 60 + 9 + 150
