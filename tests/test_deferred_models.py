"""The pydantic models are built when first used (`defer_build`), not when their module is
imported: a plan whose catalog comes from the cache never validates a catalog file, and a
client never uses most of its wire models. What a model says about bad input is the same
either way: here every model built at import (as before) and every model built on first
use say the same, byte for byte, with the same exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

#: Modules defining every model the configuration, the catalog files and the clients use.
MODEL_MODULES = (
    "catalogsync.config",
    "catalogsync.review_config",
    "catalogsync.catalog_yaml",
    "catalogsync.backends.billingplatform.catalog_format",
    "catalogsync.backends.billingplatform.wire",
    "catalogsync.backends.billingplatform.client",
    "catalogsync.backends.logisense.catalog_format",
    "catalogsync.backends.logisense.wire",
    "catalogsync.backends.logisense.client",
)

#: `catalogsync validate` in each project, in one process; with "eager", every model of
#: MODEL_MODULES is built first, as importing its module did before.
_VALIDATE_EACH = """
import importlib, json, sys
from click.testing import CliRunner
from pydantic import BaseModel, TypeAdapter
mode, modules, projects = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
built = 0
for name in modules:
    for value in list(vars(importlib.import_module(name)).values()):
        mine = getattr(value, "__module__", None) == name
        if mode == "eager" and mine and isinstance(value, type) and issubclass(value, BaseModel):
            built += value.model_rebuild(force=True) is not False
        elif mode == "eager" and isinstance(value, TypeAdapter):
            built += value.rebuild(force=True) is not False
from catalogsync.cli import cli
said = []
for project in projects:
    result = CliRunner().invoke(cli, ["-C", project, "validate"])
    said.append([result.exit_code, result.stdout, result.stderr])
answers = []  # each model (and adapter) asked to validate the same odd bodies
for name in modules:
    for value in list(vars(sys.modules[name]).values()):
        model = isinstance(value, type) and issubclass(value, BaseModel)
        if (model and value.__module__ == name) or isinstance(value, TypeAdapter):
            for body in ({}, [], {"Id": "1", "id": 1, "Name": 2, "items": [{}]}, [{"x": None}]):
                try:
                    made = value.model_validate(body) if model else value.validate_python(body)
                    answers.append(repr(made))
                except ValueError as exc:
                    answers.append(str(exc))
print(json.dumps({"built": built, "said": said, "answers": answers}))
"""

BP = "backend: billingplatform\ncatalog: [catalog.yaml]\n"
LS = "backend: logisense\ncatalog: [catalog.yaml]\n"
TARGET = "targets:\n  t:\n    url: https://example.com\n"
BP_CATALOG = "products:\n  - name: Voice\n"
LS_CATALOG = "services:\n  - name: Voice\n    service_type: Usage\n"

#: (catalogsync.yaml, catalog.yaml): each wrong in another model.
CASES = {
    "unknown target key": (BP + TARGET + "    colour: red\n", BP_CATALOG),
    "literal password": (BP + TARGET + "    password: hunter2\n", BP_CATALOG),
    "env and file": (BP + TARGET + "    username: {env: U, file: u.txt}\n", BP_CATALOG),
    "settings type": (BP + "settings:\n  rate_limit: fast\n  batch_size: -1\n", BP_CATALOG),
    "guards": (BP + "guards:\n  max_change_share: lots\n", BP_CATALOG),
    "currency": (BP + "pricing: {currency: usd, max_decimals: 13}\n", BP_CATALOG),
    "risk": (BP + "risk: {high_increase_percent: -1}\n", BP_CATALOG),
    "policy": (BP + "policies:\n  - {name: p, rule: no_such_rule}\n", BP_CATALOG),
    "lint": (BP + "lint: {rate_precision: loud}\n", BP_CATALOG),
    "unknown top key": (BP + "colour: red\n", BP_CATALOG),
    "bp catalog": (BP, "products:\n  - name: Voice\n    rate: cheap\n    colour: red\n  - {}\n"),
    "bp package": (BP, BP_CATALOG + "packages:\n  - name: P\n    products: [{qty: x}]\n"),
    "ls catalog": (LS, "services:\n  - name: Voice\n  - name: Data\n    service_type: 7\n"),
    "ls package": (LS, LS_CATALOG + "packages:\n  - name: P\n    services: [{}]\n"),
    "valid": (BP + TARGET, BP_CATALOG),
}


def _validate_each(mode: str, projects: list[str]) -> tuple[int, list[list[object]], list[str]]:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _VALIDATE_EACH,
            mode,
            json.dumps(MODEL_MODULES),
            json.dumps(projects),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(done.stdout.splitlines()[-1])
    return found["built"], found["said"], found["answers"]


def test_a_model_built_on_first_use_says_what_one_built_at_import_said(tmp_path: Path) -> None:
    projects = []
    for name, (config, catalog) in CASES.items():
        project = tmp_path / name.replace(" ", "-")
        project.mkdir()
        (project / "catalogsync.yaml").write_text(config, encoding="utf-8")
        (project / "catalog.yaml").write_text(catalog, encoding="utf-8")
        projects.append(str(project))
    built, eager, eager_answers = _validate_each("eager", projects)
    assert built >= 40  # every model (and type adapter) of MODEL_MODULES
    _, deferred, deferred_answers = _validate_each("deferred", projects)
    assert deferred == eager
    assert len(deferred_answers) == 4 * built
    assert deferred_answers == eager_answers
    for name, (code, out, err) in zip(CASES, deferred, strict=True):
        if name == "valid":
            assert code == 0, err
        else:  # an error located in its file, exit 1
            assert code == 1 and out == "", (name, err)
            assert str(err).startswith("Error: ") and ".yaml:" in str(err), (name, err)
