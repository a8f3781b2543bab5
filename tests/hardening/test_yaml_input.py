"""Hostile YAML: alias bombs, merge keys, forbidden characters, huge numbers, error floods.

Each refused input ends in exit 1 with `file:line:col: message`, never an internal error;
the measured costs of the same attacks on the CLI are in docs/reliability.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogsync.errors import MAX_ISSUES_SHOWN, SourceLocation
from catalogsync.yamlfast import MAX_DEPTH, YamlProblem, fast_load
from catalogsync.yamlio import SourceMap, YamlFileError, _plain, _reader, parse_yaml_text
from tests.conftest import EXAMPLE, FIXTURES
from tests.hardening.conftest import CONFIG, validate


def alias_bomb(per_level: int = 9, levels: int = 6) -> str:
    """The billion-laughs shape: each level lists the previous level `per_level` times."""
    lines = ["a0: &a0 [" + ", ".join(['"x"'] * per_level) + "]"]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * per_level) + "]")
    return "\n".join([*lines, "products: [{name: p, rate: '1'}]", f"x: *a{levels}", ""])


def test_an_alias_bomb_in_a_catalog_is_refused_at_the_alias(project: Path) -> None:
    run = validate(project, alias_bomb())
    assert run.code == 1
    assert "catalog.yaml:6:10: aliases expand this document past 100,000 nodes" in run.err
    assert "internal error" not in run.err


def test_an_alias_bomb_in_catalogsync_yaml_is_refused_at_the_alias(project: Path) -> None:
    config = CONFIG + alias_bomb().replace("products: [{name: p, rate: '1'}]\n", "")
    run = validate(project, "products: []\n", config)
    assert run.code == 1
    assert "catalogsync.yaml:10:10: aliases expand this document past 100,000 nodes" in run.err


def test_a_recursive_alias_is_refused_at_the_alias(project: Path) -> None:
    run = validate(project, "products: &p\n  - name: A\n    children: *p\n")
    assert run.code == 1
    assert "catalog.yaml:3:15: alias *p refers to itself" in run.err


def test_a_few_shared_aliases_are_still_read(project: Path) -> None:
    catalog = "products:\n  - &a {name: A, status: ACTIVE}\n  - {name: B, status: *s}\n"
    run = validate(project, catalog.replace("status: ACTIVE", "status: &s ACTIVE"))
    assert run.code == 0, run.err


def test_merge_keys_are_supported_in_a_catalog(project: Path) -> None:
    catalog = (
        "products:\n  - &d {name: Base, status: ACTIVE, rate: '1'}\n  - <<: *d\n    name: Derived\n"
    )
    run = validate(project, catalog)
    assert run.code == 0, run.err
    assert "2 products" in run.out


def test_an_error_in_a_merged_value_is_located_where_it_is_written(project: Path) -> None:
    catalog = "products:\n  - &d {name: Base, rate: abc}\n  - <<: *d\n    name: Derived\n"
    run = validate(project, catalog)
    assert run.code == 1
    assert "catalog.yaml:2:27: rate: " in run.err
    assert "internal error" not in run.err


def test_merge_keys_are_supported_in_catalogsync_yaml(project: Path) -> None:
    config = (
        "backend: billingplatform\ncatalog: [catalog.yaml]\n"
        "targets:\n  local:\n    <<: {url: 'emulator:'}\n"
        "settings:\n  <<: {batch_size: 5}\n  concurrency: 2\n"
    )
    run = validate(project, "products: []\n", config)
    assert run.code == 0, run.err


def test_a_nul_byte_is_located_where_it_is(project: Path) -> None:
    run = validate(project, 'products:\n  - name: A\n    rate: "1"\x00\n')
    assert run.code == 1
    assert "catalog.yaml:3:14: character U+0000 is not allowed in YAML" in run.err


def _deep_block(depth: int) -> str:
    return (
        "products: []\n"
        + "".join("  " * i + "k:\n" for i in range(depth))
        + "  " * depth
        + "k: v\n"
    )


@pytest.mark.parametrize(
    ("catalog", "expected"),
    [
        # a block nest 5,000 deep, with a value at the bottom: refused where it passes the
        # bound (the mapping on line 66), not "nested too deeply" at 1:1
        (
            _deep_block(5_000),
            f"catalog.yaml:{MAX_DEPTH + 2}:{2 * MAX_DEPTH + 1}: YAML nested more than "
            f"{MAX_DEPTH} levels deep",
        ),
        # the same after an anchor: the exact reader's input, checked before it recurses
        (
            "d: &d {a: 1}\n" + _deep_block(3_000),
            f"catalog.yaml:{MAX_DEPTH + 3}:{2 * MAX_DEPTH + 1}: YAML nested more than "
            f"{MAX_DEPTH} levels deep",
        ),
        # in flow style libyaml's scanner looks ahead to its own limit (1,000) first
        (
            "products: []\nk: " + "[" * 5_000 + "1" + "]" * 5_000 + "\n",
            "catalog.yaml:2:1003: invalid YAML: exceeded maximum nesting depth",
        ),
    ],
    ids=["block", "after an anchor", "flow"],
)
def test_a_very_deep_nest_is_located_where_it_gets_too_deep(
    project: Path, catalog: str, expected: str
) -> None:
    run = validate(project, catalog)
    assert run.code == 1
    assert expected in run.err, run.err


def test_a_syntax_error_is_located_without_the_slow_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ruamel's pure-Python reader took minutes to find a syntax error at the end of a
    # 30 MB catalog; libyaml finds and locates it in the pass that reads the file.
    def slow_reader() -> None:
        raise AssertionError("the slow reader was asked")

    monkeypatch.setattr("catalogsync.yamlio._reader", slow_reader)
    items = "".join(f"  - {{name: P{i}, rate: '1'}}\n" for i in range(2_000))
    for text, where in [
        (f"products:\n{items}  - name: [A\n", (2_003, 1)),
        (f"products:\n{items}  - {{name: A, name: B}}\n", (2_002, 15)),  # duplicate key
        (f"d: &d {{a: 1}}\nproducts:\n{items}  - name: A\n   rate: x\n", (2_004, 4)),
    ]:
        with pytest.raises(YamlFileError) as caught:
            parse_yaml_text(text, "c.yaml", fast=True)
        location = caught.value.issue.location
        assert location is not None and (location.line, location.column) == where, text[-40:]


def test_rates_beyond_the_decimal_bounds_are_located_errors(project: Path) -> None:
    rates = ['"1e999999999"', '"' + "1" * 5000 + '"', '"0.00000000001"', '"1234567890123456789"']
    catalog = "products:\n" + "".join(
        f"  - {{name: P{i}, rate: {r}}}\n" for i, r in enumerate(rates)
    )
    run = validate(project, catalog)
    assert run.code == 1, run.err
    lines = run.err.splitlines()
    assert (
        "catalog.yaml:2:22: rate: too many digits (at most 28 in all) (got '1e999999999')"
        in lines[0]
    )
    assert "catalog.yaml:3:22: rate: too many digits" in lines[1]
    assert len(lines[1]) < 250  # the 5,000 digits are not echoed
    assert "catalog.yaml:4:22: rate: too precise (at most 10 digits after" in lines[2]
    assert "catalog.yaml:5:22: rate: too large (at most 18 digits before" in lines[3]


def test_an_unquoted_5000_digit_number_is_a_located_error(project: Path) -> None:
    run = validate(project, "products:\n  - name: P\n    rate: " + "1" * 5000 + "\n")
    assert run.code == 1
    assert "catalog.yaml:3:11: invalid value '1111" in run.err
    assert "internal error" not in run.err and len(run.err) < 300


def test_the_largest_accepted_rate_is_valid(project: Path) -> None:
    run = validate(project, "products:\n  - {name: P, rate: '999999999999999999.9999999999'}\n")
    assert run.code == 0, run.err


def test_printed_errors_are_capped_with_a_count(project: Path) -> None:
    count = MAX_ISSUES_SHOWN + 50
    catalog = "products:\n" + "".join(f"  - {{name: P{i}, rate: abc}}\n" for i in range(count))
    run = validate(project, catalog)
    assert run.code == 1
    lines = run.err.splitlines()
    assert len(lines) == MAX_ISSUES_SHOWN + 2
    assert lines[-2] == f"... and 50 more (the first {MAX_ISSUES_SHOWN} shown)"
    assert lines[-1] == f"{count} problems found (catalog)"


def _ruamel_source_map(text: str) -> tuple[object, SourceMap]:
    source = SourceMap("x")
    source.values[()] = SourceLocation("x", 1, 1)
    return _plain(_reader().load(text), (), source), source


@pytest.mark.parametrize(
    "path",
    sorted((*EXAMPLE.rglob("*.yaml"), *FIXTURES.rglob("*.yaml"))),
    ids=lambda p: p.name,
)
def test_the_libyaml_source_map_places_every_key_and_value_as_ruamel_does(path: Path) -> None:
    # Errors are located with libyaml's positions (a 30 MB catalog in seconds): they must be
    # exactly the round-trip reader's.
    text = path.read_text(encoding="utf-8")
    try:
        loaded = fast_load(text, locate=True)
    except YamlProblem:
        pytest.skip("invalid whichever reader reads it (tests/test_yamlfast.py)")
    if loaded is None or loaded[0] is None:
        pytest.skip("the exact reader decides this one")
    document = parse_yaml_text(text, "x")
    data, expected = _ruamel_source_map(text)
    assert document.data == data
    assert document.source.values == expected.values
    assert document.source.keys == expected.keys
