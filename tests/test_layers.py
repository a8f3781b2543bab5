"""The layers of catalogsync, enforced (issue 19 items 2 and 5).

- `import-linter` contracts (pyproject.toml, [tool.importlinter]): the core never imports
  a backend or an emulator package (the registry reaches backends by dotted path); backends
  never import each other; emulators never import clients; no module imports another
  package's private (`_x`) modules.
- No vendor name in the core: outside `backends/<system>/`, `emulator/<system>/` and the
  registry, no module of catalogsync names a billing system.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from catalogsync.registry import backend_names, get_spec

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "catalogsync"


def test_the_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout, result.stdout


def test_every_shipped_backend_is_in_the_independence_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (independent,) = [c for c in contracts if c["type"] == "independence"]
    shipped = {
        get_spec(name).opener.partition(":")[0].rsplit(".", 1)[0]
        for name in backend_names()
        if get_spec(name).opener.startswith("catalogsync.backends.")
    }
    assert shipped <= set(independent["modules"])


def _vendor_words() -> re.Pattern[str]:
    names = [name for name in backend_names() if name.isalpha()]
    return re.compile("|".join(names), re.IGNORECASE)


#: Where a vendor's name belongs: its own backend and emulator packages, and the registry.
def _vendor_home(path: Path) -> bool:
    relative = path.relative_to(PACKAGE).as_posix()
    own = any(
        relative.startswith((f"backends/{name}/", f"emulator/{name}/")) for name in backend_names()
    )
    return own or relative == "registry.py"


#: Files of other lanes of issue 19 still being changed (each entry goes as its lane lands).
PENDING: dict[str, str] = {}


def test_no_vendor_name_outside_its_backend_its_emulator_and_the_registry() -> None:
    words = _vendor_words()
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if _vendor_home(path) or path.relative_to(PACKAGE).as_posix() in PENDING:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if words.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
