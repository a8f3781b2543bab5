"""A backend's own words for the kinds (issue 19 item 3): a LogiSense catalog says `service`
and `package_service` where the engine says product and package-product; the generic words
stay accepted as aliases everywhere, and messages use the backend's words."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from catalogsync.catalog import Kind, Ref
from catalogsync.cli import cli
from catalogsync.config import load_project
from catalogsync.errors import ConfigError, UsageError
from catalogsync.partial import parse_selection
from catalogsync.registry import get_format
from tests.conftest import copy_example

LOGISENSE = get_format("logisense")
BILLINGPLATFORM = get_format("billingplatform")


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("service", Kind.PRODUCT),
        ("Services", Kind.PRODUCT),
        ("package_service", Kind.PACKAGE_PRODUCT),
        ("package-service", Kind.PACKAGE_PRODUCT),
        ("package service", Kind.PACKAGE_PRODUCT),
        ("package", Kind.PACKAGE),
        ("product", Kind.PRODUCT),  # the generic words are aliases
        ("package_product", Kind.PACKAGE_PRODUCT),
        ("package-products", Kind.PACKAGE_PRODUCT),
        ("serv", None),
    ],
)
def test_logisense_kind_words(word: str, kind: Kind | None) -> None:
    assert LOGISENSE.kind_named(word) is kind


def test_kind_words_are_public_and_each_backend_keeps_its_own() -> None:
    assert LOGISENSE.kind_names[Kind.PACKAGE_PRODUCT] == "package service"
    assert LOGISENSE.kind_choices() == "service, package or package_service"
    assert LOGISENSE.counted(2, Kind.PACKAGE_PRODUCT) == "2 package services"
    assert BILLINGPLATFORM.kind_choices() == "product, package or package_product"
    assert BILLINGPLATFORM.kind_named("service") is None


def _project(tmp_path: Path, backend: str, rules: str) -> Path:
    config = f"backend: {backend}\ncatalog: [catalog.yaml]\n{textwrap.dedent(rules)}"
    (tmp_path / "catalogsync.yaml").write_text(config, encoding="utf-8")
    (tmp_path / "catalog.yaml").write_text("{}\n", encoding="utf-8")
    return tmp_path


RULES = """\
prune:
  - kind: package_service
  - kind: package_product
protect:
  - kind: service
    names: [Internet]
ignore:
  - kind: Package-Service
    fields: [default_instances]
"""


def test_a_logisense_project_names_kinds_in_its_words_or_the_generic_ones(tmp_path: Path) -> None:
    config = load_project(_project(tmp_path, "logisense", RULES)).config
    assert [rule.kind for rule in config.prune] == [Kind.PACKAGE_PRODUCT, Kind.PACKAGE_PRODUCT]
    assert config.protect[0].kind is Kind.PRODUCT
    assert config.ignore[0].kind is Kind.PACKAGE_PRODUCT
    result = CliRunner().invoke(cli, ["-C", str(tmp_path), "validate"])
    assert result.exit_code == 0, result.stderr
    assert "0 services, 0 packages, 0 package services" in result.stdout


def test_an_unknown_kind_word_is_located_and_offers_the_backends_words(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_project(_project(tmp_path, "billingplatform", "protect:\n  - kind: service\n"))
    message = str(raised.value)
    assert "catalogsync.yaml:4:11" in message
    assert "unknown kind 'service'; expected product, package or package_product" in message


def test_selectors_take_the_backends_words() -> None:
    selection = parse_selection(["package-service:Home / *"], ["services:Spare*"], LOGISENSE)
    assert selection.only[0].kind is Kind.PACKAGE_PRODUCT
    assert selection.only[0].pattern == "Home / *"
    assert selection.exclude[0].kind is Kind.PRODUCT
    with pytest.raises(UsageError, match="KIND one of service, package or package_service"):
        parse_selection(["servce"], [], LOGISENSE)
    with pytest.raises(UsageError):
        parse_selection(["service"], [], BILLINGPLATFORM)


EXAMPLE = Path(__file__).resolve().parents[1] / "catalogs" / "logisense-example"


def _logisense_example(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "project", EXAMPLE)


def _invoke(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(project), *args])


def test_a_logisense_catalog_error_names_services_not_products(tmp_path: Path) -> None:
    project = _logisense_example(tmp_path)
    business = project / "packages" / "business.yaml"
    text = business.read_text(encoding="utf-8")
    business.write_text(text.replace("service: Static IP Address", "service: Static IP"), "utf-8")
    result = _invoke(project, "validate")
    assert result.exit_code == 1
    assert (
        "package service O'Brien & Söhne Business / Static IP refers to unknown service "
        "'Static IP'" in result.stdout + result.stderr
    )
    assert "product" not in result.stdout + result.stderr


def test_a_logisense_guard_names_package_services_and_the_words_do_not_leak(
    tmp_path: Path,
) -> None:
    project = _logisense_example(tmp_path)
    assert _invoke(project, "apply", "--auto-approve").exit_code == 0
    config = project / "catalogsync.yaml"
    rule = "protect:\n  - kind: package_service\n    names: ['Home Fibre 500 / *']\n"
    config.write_text(config.read_text(encoding="utf-8") + rule, encoding="utf-8")
    residential = project / "packages" / "residential.yaml"
    text = residential.read_text(encoding="utf-8")
    fee = (
        "      - service: Installation Fee\n        default_instances: 1\n"
        "        minimum_instances: 0\n        maximum_instances: 1\n"
    )
    assert fee in text
    residential.write_text(text.replace(fee, "", 1), encoding="utf-8")
    result = _invoke(project, "apply", "--auto-approve", "--allow-delete")
    assert result.exit_code == 3, result.stdout + result.stderr
    assert (
        "package service Home Fibre 500 / Installation Fee is protected and cannot be deleted"
        in result.stderr
    )
    # The words are the command's: outside it, a reference is named generically again.
    assert str(Ref(Kind.PACKAGE_PRODUCT, ("Home Fibre 500", "Installation Fee"))) == (
        "package-product Home Fibre 500 / Installation Fee"
    )
