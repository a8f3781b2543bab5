"""Each backend's target model carries its own credential fields (issue 19 item 1).

LogiSense's `client_id` lives on its own target model, not the shared one: a LogiSense
target (and its read/write sets) takes it, a BillingPlatform target refuses it with
file:line, and choosing a credential set carries the backend's own fields along.
"""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from catalogsync.backends.logisense.target import LogiSenseTarget
from catalogsync.config import Target, config_model, load_project
from catalogsync.errors import ConfigError


def write(tmp_path: Path, backend: str, target: str) -> Path:
    text = f"backend: {backend}\ntargets:\n  prod:\n    url: https://example.com\n{target}"
    (tmp_path / "catalogsync.yaml").write_text(text, encoding="utf-8")
    return tmp_path


SPLIT = (
    "    read:\n"
    "      username: {env: R_USER}\n      password: {env: R_PASS}\n"
    "      client_id: {env: R_CLIENT}\n"
    "    write:\n"
    "      username: {env: W_USER}\n      password: {env: W_PASS}\n"
    "      client_id: {env: W_CLIENT}\n"
)


def test_a_logisense_target_and_its_credential_sets_take_a_client_id(tmp_path: Path) -> None:
    target = load_project(write(tmp_path, "logisense", SPLIT)).config.targets["prod"]
    assert isinstance(target, LogiSenseTarget)
    writer = target.for_access("write")
    assert isinstance(writer, LogiSenseTarget)
    assert writer.client_id is not None and writer.client_id.env == "W_CLIENT"
    assert writer.read is None and writer.write is None
    reader = target.for_access("read")
    assert isinstance(reader, LogiSenseTarget) and reader.client_id is not None
    assert reader.client_id.env == "R_CLIENT"


def test_a_billingplatform_target_refuses_a_client_id_with_its_line(tmp_path: Path) -> None:
    folder = write(tmp_path, "billingplatform", "    client_id: {env: CLIENT}\n")
    with pytest.raises(ConfigError) as caught:
        load_project(folder)
    (issue,) = caught.value.issues
    assert issue.message == "unknown field 'client_id' for a target"
    assert issue.location is not None and issue.location.line == 5


def test_the_client_id_is_not_on_the_shared_model() -> None:
    _, shared = get_args(config_model("billingplatform").model_fields["targets"].annotation)
    assert shared is Target and "client_id" not in Target.model_fields
    _, own = get_args(config_model("logisense").model_fields["targets"].annotation)
    assert own is LogiSenseTarget and "client_id" in LogiSenseTarget.model_fields
