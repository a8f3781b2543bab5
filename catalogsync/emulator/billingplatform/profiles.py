"""The BillingPlatform emulator's variant profiles (docs/vendor-api.md, "BillingPlatform").

"strict" (the default) answers as the primary documents show. Each other profile turns on
one or more named switches of `Variants`, one per behaviour the documents leave open, so
the contract suite can prove the client copes with each plausible real org.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalogsync.emulator.profiles import DEFAULT_PROFILE, check_profile

__all__ = ["PROFILES", "Variants", "variants_for"]

#: Profile name → what it changes; "strict" first and the default.
PROFILES: dict[str, str] = {
    DEFAULT_PROFILE: "as the vendor documents show (seeds 000-003 and the vendor's pages)",
}


@dataclass(frozen=True)
class Variants:
    """The switches a profile sets; the defaults are the strict, documented behaviour."""


_PROFILE_VARIANTS: dict[str, Variants] = {
    DEFAULT_PROFILE: Variants(),
}


def variants_for(profile: str) -> Variants:
    """The switches of `profile`; ValueError naming the known profiles for an unknown one."""
    return _PROFILE_VARIANTS[check_profile("billingplatform", profile, PROFILES)]
