"""Stateful billing-system emulators, shipped in the package.

They are the embedded default target (`emulator:` URLs), the test double for every backend
test, and a sandbox users can run themselves (`catalogsync emulator serve`). Backend-neutral
parts (faults, request log, transports, server) live here; each billing system has its own
subpackage.
"""

from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.faults import Faults

__all__ = ["BillingPlatformEmulator", "Faults"]
