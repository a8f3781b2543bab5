"""Emulator variant profiles: the shared interface, `emulator serve --profile`, and the
embedded target's `emulator_profile`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogsync.backends.billingplatform.factory import open_backend
from catalogsync.cli import cli
from catalogsync.config import load_project
from catalogsync.emulator.backends import emulator_backends, emulator_profiles, make_emulator
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.billingplatform.profiles import PROFILES


@pytest.mark.parametrize("backend", emulator_backends())
def test_every_backend_lists_strict_first_with_one_line_descriptions(backend: str) -> None:
    profiles = emulator_profiles(backend)
    assert next(iter(profiles)) == "strict"
    assert all(text.strip() and "\n" not in text for text in profiles.values())


def test_an_unknown_profile_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown billingplatform emulator profile 'lenient'") as e:
        BillingPlatformEmulator(profile="lenient")
    assert all(name in str(e.value) for name in PROFILES)
    with pytest.raises(ValueError, match="known profiles: strict"):
        make_emulator("logisense", profile="no-such-profile")


@pytest.mark.parametrize("profile", list(PROFILES))
def test_make_emulator_builds_each_billingplatform_profile(profile: str) -> None:
    with make_emulator("billingplatform", profile=profile) as emulator:
        assert isinstance(emulator, BillingPlatformEmulator)
        assert emulator.profile == profile


def test_serve_help_lists_the_profiles_of_every_backend() -> None:
    result = CliRunner().invoke(cli, ["emulator", "serve", "--help"], terminal_width=200)
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "--profile NAME" in text
    for backend in emulator_backends():
        assert f"{backend}: strict (" in text
        for name in emulator_profiles(backend):
            assert f"{name} (" in text


def test_serve_with_an_unknown_profile_exits_1_naming_the_known_ones() -> None:
    result = CliRunner().invoke(cli, ["emulator", "serve", "--profile", "nope", "--port", "0"])
    assert result.exit_code == 1
    assert "unknown billingplatform emulator profile 'nope'" in result.stderr
    assert "known profiles: strict" in result.stderr


def _project(tmp_path: Path, target: str) -> Path:
    (tmp_path / "catalogsync.yaml").write_text(
        f"backend: billingplatform\ncatalog: []\ntargets:\n  local:\n{target}", encoding="utf-8"
    )
    return tmp_path


def test_the_embedded_target_runs_the_profile_it_names(tmp_path: Path) -> None:
    profile = list(PROFILES)[-1]
    project = load_project(
        _project(tmp_path, f'    url: "emulator:"\n    emulator_profile: {profile}\n')
    )
    name, target = project.config.target("local")
    backend = open_backend(project, name, target)
    emulator = getattr(backend, "emulator", None)
    assert isinstance(emulator, BillingPlatformEmulator) and emulator.profile == profile
    emulator.close()


def test_an_unknown_emulator_profile_is_a_located_config_error(tmp_path: Path) -> None:
    _project(tmp_path, '    url: "emulator:"\n    emulator_profile: lenient\n')
    result = CliRunner().invoke(cli, ["-C", str(tmp_path), "plan"])
    assert result.exit_code == 1
    assert (
        "catalogsync.yaml:6:23: target 'local': unknown emulator_profile 'lenient' for "
        "billingplatform; known profiles: strict" in result.stderr
    )


def test_emulator_profile_on_a_real_target_is_a_located_config_error(tmp_path: Path) -> None:
    _project(tmp_path, "    url: https://sandbox.example.com/acme\n    emulator_profile: strict\n")
    result = CliRunner().invoke(cli, ["-C", str(tmp_path), "validate"])
    assert result.exit_code == 1
    assert (
        "catalogsync.yaml:6:23: target 'local': emulator_profile applies only to url "
        "'emulator:'" in result.stderr
    )
