"""The backend-neutral emulator package loads no vendor's emulator (issue 19 item 4)."""

from __future__ import annotations

import subprocess
import sys

# Importing these must not import a vendor emulator (or its dependencies, e.g. sqlglot).
NEUTRAL = (
    "catalogsync.emulator",
    "catalogsync.emulator.backends",
    "catalogsync.emulator.base",
    "catalogsync.emulator.faults",
    "catalogsync.emulator.middleware",
    "catalogsync.emulator.server",
)


def test_neutral_emulator_modules_import_no_vendor_emulator() -> None:
    probe = (
        "import importlib, sys\n"
        f"for name in {NEUTRAL!r}: importlib.import_module(name)\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith("
        "('catalogsync.emulator.billingplatform', 'catalogsync.emulator.logisense', "
        "'sqlglot')))))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []
