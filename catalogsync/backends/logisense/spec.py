"""The backend's spec (`catalogsync.backend_api.BackendSpec`): its one front door, named in
the registry."""

from catalogsync.backend_api import BackendSpec, Scaffold
from catalogsync.backends.logisense.catalog_format import FORMAT
from catalogsync.backends.logisense.samples import SAMPLES
from catalogsync.backends.logisense.target import LogiSenseTarget

SPEC = BackendSpec(
    name="logisense",
    catalog_format=FORMAT,
    target_model=LogiSenseTarget,
    opener="catalogsync.backends.logisense.factory:open_backend",
    emulator="catalogsync.emulator.logisense:LogiSenseEmulator",
    emulator_profiles="catalogsync.emulator.logisense.profiles:PROFILES",
    scaffold=Scaffold(
        env_prefix="LOGISENSE",
        example_url="https://yourtenant.logisense.com",
        extra_credentials=("client_id",),
        samples=SAMPLES,
    ),
)
