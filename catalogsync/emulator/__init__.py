"""Stateful billing-system emulators, shipped in the package.

They are the embedded default target (`emulator:` URLs), the test double for every backend
test, and a sandbox users can run themselves (`catalogsync emulator serve`). Backend-neutral
parts (faults, request log, middleware, SQLite set-up, transports, server) live here; each
billing system has its own subpackage, imported only by whoever uses that system
(`catalogsync.emulator.<system>`, or `emulator.backends.make_emulator` by name), so
importing this package loads no vendor's emulator.
"""

from catalogsync.emulator.faults import Faults

__all__ = ["Faults"]
