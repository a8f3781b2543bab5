"""Variant profiles shared by every emulator: the named sets of behaviours a document leaves open.

Each emulator package has a `profiles` module with `PROFILES` (profile name → one-line
description; "strict" first and the default: what the primary documents show) and builds
its own switches from a profile name. This module holds the one rule they share: an
unknown profile name is a ValueError that names the known ones.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DEFAULT_PROFILE", "check_profile", "describe_profiles"]

DEFAULT_PROFILE = "strict"


def check_profile(backend: str, profile: str, known: Mapping[str, str]) -> str:
    """`profile` if `known` has it; otherwise a ValueError listing the known profiles."""
    if profile not in known:
        raise ValueError(
            f"unknown {backend} emulator profile {profile!r}; known profiles: {', '.join(known)}"
        )
    return profile


def describe_profiles(known: Mapping[str, str]) -> str:
    """The profiles as `name: description` lines, for help texts."""
    return "\n".join(f"{name}: {description}" for name, description in known.items())
