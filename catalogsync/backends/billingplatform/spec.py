"""The backend's spec (`catalogsync.backend_api.BackendSpec`): its one front door, named in
the registry."""

from catalogsync.backend_api import BackendSpec, Scaffold
from catalogsync.backends.billingplatform.catalog_format import FORMAT
from catalogsync.backends.billingplatform.samples import SAMPLES
from catalogsync.config import Target

SPEC = BackendSpec(
    name="billingplatform",
    catalog_format=FORMAT,
    target_model=Target,
    opener="catalogsync.backends.billingplatform.factory:open_backend",
    emulator="catalogsync.emulator.billingplatform:BillingPlatformEmulator",
    emulator_profiles="catalogsync.emulator.billingplatform.profiles:PROFILES",
    scaffold=Scaffold(
        env_prefix="BP",
        example_url="https://sandbox.billingplatform.com/yourorg",
        samples=SAMPLES,
    ),
)
