"""A toy billing system: the proof that a third backend needs no change to the core.

Everything it is lives here: its catalog format, its emulator, its backend and its
contract harness. It joins through one line, in tests/contract/conftest.py (its entry in
`TEST_BACKENDS`, which registers this `SPEC` with catalogsync.registry while the contract
suite runs); no module of catalogsync names it.
"""

from catalogsync.backend_api import BackendSpec, Scaffold
from catalogsync.config import Target
from tests.toy_backend.catalog_format import FORMAT

SPEC = BackendSpec(
    name="toy",
    catalog_format=FORMAT,
    target_model=Target,
    opener="tests.toy_backend.backend:open_backend",
    emulator="tests.toy_backend.emulator:ToyEmulator",
    emulator_profiles="tests.toy_backend.emulator:PROFILES",
    scaffold=Scaffold(env_prefix="TOY", example_url="https://toy.example.com"),
)
