"""`validate` in one pass (config and catalog together), target URLs, --format github|json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogsync.cli import cli
from catalogsync.cli.validate_cmd import github_annotation
from catalogsync.errors import Issue, SourceLocation
from tests.conftest import ROOT

CONFIG = """\
backend: billingplatform
catalog: [catalog.yaml]
targets:
  local: {url: "emulator"}
  prod: {url: "ftp://x"}
guards:
  max_change_share: 3
"""

CATALOG = """\
products:
  - name: Voice Minutes
  - name: Voicemail
packages:
  - name: Starter Plan
    status: Live
    produtcs: []
    products:
      - product: Voice Minutes
        min_qty: 10
        max_qty: 1
      - product: Voicemial
        min_qty: 0
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "catalogsync.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


EVERY_PROBLEM = [
    "catalogsync.yaml:4:16: url: 'emulator' is not a URL (the embedded emulator is "
    '"emulator:", with the colon); expected https://host/... or "emulator:"',
    "catalogsync.yaml:5:15: url: unsupported URL scheme 'ftp' in 'ftp://x'; use https://",
    "catalogsync.yaml:7:21: max_change_share: Input should be less than or equal to 1 (got 3)",
    "catalog.yaml:6:13: status: invalid value 'Live'; expected 'Production' or 'In Development'",
    "catalog.yaml:7:5: unknown field 'produtcs' for a billingplatform package "
    "(did you mean 'products'?)",
    # found in the same pass although the package holding them has errors of its own
    "catalog.yaml:10:18: min_qty (10) is greater than max_qty (1) for product 'Voice Minutes'",
    "catalog.yaml:12:9: package-product Starter Plan / Voicemial refers to unknown product "
    "'Voicemial' (did you mean 'Voicemail'?)",
]


def test_config_and_catalog_problems_are_reported_in_one_pass(broken: Path) -> None:
    code, out, err = run("validate")
    assert code == 1 and out == ""
    lines = err.removeprefix("Error: ").splitlines()
    assert sorted(lines[:-1]) == sorted(EVERY_PROBLEM)
    assert lines[-1] == "7 problems found (catalogsync.yaml and catalog)"


def test_github_format_annotates_each_problem_on_stdout(broken: Path) -> None:
    code, out, err = run("validate", "--format", "github")
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert len(lines) == 7
    assert (
        "::error file=catalog.yaml,line=10,col=18,title=catalogsync validate::min_qty (10) is "
        "greater than max_qty (1) for product 'Voice Minutes'"
    ) in lines
    assert all(line.startswith("::error file=") for line in lines)


def test_json_format_is_one_document_with_every_problem(broken: Path) -> None:
    code, out, err = run("validate", "--format", "json")
    assert (code, err) == (1, "")
    data = json.loads(out)
    assert data["valid"] is False and data["backend"] == "billingplatform"
    assert len(data["problems"]) == 7
    assert {
        "message": "status: invalid value 'Live'; expected 'Production' or 'In Development'",
        "file": "catalog.yaml",
        "line": 6,
        "column": 13,
    } in data["problems"]


def test_json_format_of_a_valid_project_counts_its_objects() -> None:
    code, out, _ = run(
        "-C", str(ROOT / "catalogs" / "logisense-example"), "validate", "--format", "json"
    )
    assert code == 0
    assert json.loads(out) == {
        "backend": "logisense",
        "counts": {"package": 3, "package_product": 10, "product": 8},
        "problems": [],
        "valid": True,
        "warnings": [],
    }


def test_logisense_counts_are_in_logisense_words() -> None:
    code, out, _ = run("-C", str(ROOT / "catalogs" / "logisense-example"), "validate")
    assert (code, out) == (
        0,
        "catalog is valid (logisense): 8 services, 3 packages, 10 package services\n",
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("emulator", "'emulator' is not a URL (the embedded emulator is \"emulator:\""),
        ("ftp://x", "unsupported URL scheme 'ftp'"),
        ("https://", "'https://' has no host"),
        ("sandbox.billingplatform.com", "'sandbox.billingplatform.com' is not a URL;"),
    ],
)
def test_bad_target_urls_fail_validate_at_their_line(
    tmp_path: Path, url: str, message: str
) -> None:
    (tmp_path / "catalogsync.yaml").write_text(
        f"backend: billingplatform\ntargets:\n  t:\n    url: {json.dumps(url)}\n",
        encoding="utf-8",
    )
    (tmp_path / "c.yaml").write_text("products:\n  - name: A\n", encoding="utf-8")
    code, _, err = run("-C", str(tmp_path), "validate")
    assert code == 1
    assert "catalogsync.yaml:4:10: url: " + message in err


@pytest.mark.parametrize("url", ["emulator:", "https://acme.example/bp", "http://127.0.0.1:8080"])
def test_good_target_urls_pass(tmp_path: Path, url: str) -> None:
    (tmp_path / "catalogsync.yaml").write_text(
        f'backend: billingplatform\ntargets:\n  t: {{url: "{url}"}}\n', encoding="utf-8"
    )
    (tmp_path / "c.yaml").write_text("products:\n  - name: A\n", encoding="utf-8")
    assert run("-C", str(tmp_path), "validate")[0] == 0


def test_rules_accept_package_product_spelled_as_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "catalogsync.yaml").write_text(
        "backend: billingplatform\nprune:\n  - kind: package-product\n", encoding="utf-8"
    )
    (tmp_path / "c.yaml").write_text("products:\n  - name: A\n", encoding="utf-8")
    assert run("-C", str(tmp_path), "validate")[0] == 0


def test_annotations_escape_what_github_would_misread() -> None:
    issue = Issue("50% off\nnext", SourceLocation("a,b:c.yaml", 3, 4))
    assert github_annotation(issue) == (
        "::error file=a%2Cb%3Ac.yaml,line=3,col=4,title=catalogsync validate::50%25 off%0Anext"
    )
    assert github_annotation(Issue("no place")) == "::error title=catalogsync validate::no place"


def test_schema_honours_the_project_folder(tmp_path: Path) -> None:
    code, _, _ = run("-C", str(tmp_path), "schema")
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "schemas").iterdir()) == [
        "billingplatform.catalog.schema.json",
        "catalogsync.schema.json",
        "logisense.catalog.schema.json",
    ]
    assert run("-C", str(tmp_path), "schema", "--check")[0] == 0


def test_checked_in_schemas_are_current_including_the_config_one() -> None:
    code, _, err = run("-C", str(ROOT), "schema", "--check")
    assert code == 0, err


def test_lint_warnings_are_github_warnings_and_json_warnings(tmp_path: Path) -> None:
    (tmp_path / "catalogsync.yaml").write_text("backend: billingplatform\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("products:\n  - name: Alone\n", encoding="utf-8")
    code, out, _ = run("-C", str(tmp_path), "validate", "--format", "github")
    assert code == 0
    assert out.startswith("::warning file=")
    assert "line=2,col=5,title=catalogsync validate::warning: " in out
    assert out.splitlines()[-1].endswith("(1 lint warning)")
    code, out, _ = run("-C", str(tmp_path), "validate", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["valid"] is True and len(data["warnings"]) == 1


def test_the_plan_workflow_and_the_pre_commit_hook_use_the_formats() -> None:
    workflow = (ROOT / ".github" / "workflows" / "catalog-plan.yml").read_text(encoding="utf-8")
    assert "command: validate\n" in workflow and "args: --format github" in workflow
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "entry: catalogsync validate --format text\n" in hooks


@pytest.mark.parametrize("example", ["example", "logisense-example"])
def test_the_config_schema_accepts_the_examples_and_their_modeline_finds_it(
    example: str,
) -> None:
    import jsonschema  # type: ignore[import-untyped]
    import yaml

    config = ROOT / "catalogs" / example / "catalogsync.yaml"
    first = config.read_text(encoding="utf-8").splitlines()[0]
    schema_path = (config.parent / first.split("$schema=", 1)[1]).resolve()
    assert schema_path == ROOT / "schemas" / "catalogsync.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    jsonschema.validate(yaml.safe_load(config.read_text(encoding="utf-8")), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"backend": "billingplatform", "colour": "red"}, schema)
