"""The BillingPlatform REST 2.0 emulator: routes (`app`), SQLite state and rules (`store`,
`writes`), the BP SQL translator (`sql`) and the entity definitions (`schema`)."""

from catalogsync.emulator.billingplatform.emulator import BillingPlatformEmulator

__all__ = ["BillingPlatformEmulator"]
