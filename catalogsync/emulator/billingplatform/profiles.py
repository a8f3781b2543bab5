"""The BillingPlatform emulator's variant profiles (docs/vendor-api.md, "BillingPlatform").

"strict" (the default) answers as the primary documents show. Each other profile turns on
one or more named switches of `Variants`, one per behaviour the documents leave open, so
the contract suite can prove the client copes with each plausible real org.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from catalogsync.emulator.profiles import DEFAULT_PROFILE, check_profile

__all__ = ["PROFILES", "Variants", "variants_for"]

#: Profile name → what it changes; "strict" first and the default.
PROFILES: dict[str, str] = {
    DEFAULT_PROFILE: "as the vendor documents show: POST answers retrieveResponse (seeds "
    "000/001), no upsert on PRODUCT, the seeds' required fields enforced, 10,000-row pages",
    "create-response": "POST answers a createResponse array of per-record results (the "
    "vendor's schema pages, public client code)",
    "product-upsert": "PATCH PRODUCT keyed by Name is accepted (no document shows it)",
    "small-pages": "query answers hold at most 5 rows, below the 10,000 the client asks for",
    "rate-display": "queries answer PRODUCT Rate as display text ('USD $0.05<br/>'), as "
    "public demo code reads it",
    "narrow-schema": "PRODUCT has no Ranking column (it is in one vendor schema snapshot only)",
    "legacy": "all of create-response, product-upsert and small-pages at once",
}


@dataclass(frozen=True)
class Variants:
    """The switches a profile sets; the defaults are the strict, documented behaviour."""

    #: POST answers `createResponse` (array of results) instead of `retrieveResponse`.
    create_response: bool = False
    #: PATCH on PRODUCT accepts `externalIDFieldName: "Name"`.
    product_upsert: bool = False
    #: The most rows one query answer holds (the community-documented cap is 10,000).
    page_cap: int = 10_000
    #: Queries answer PRODUCT.Rate as `<br/>`-separated display text (G3).
    rate_display: bool = False
    #: (entity, column) pairs this org's schema lacks: a query naming one is refused (400).
    missing_columns: tuple[tuple[str, str], ...] = ()


_CREATE = Variants(create_response=True)
_UPSERT = Variants(product_upsert=True)
_SMALL = Variants(page_cap=5)
_PROFILE_VARIANTS: dict[str, Variants] = {
    DEFAULT_PROFILE: Variants(),
    "create-response": _CREATE,
    "product-upsert": _UPSERT,
    "small-pages": _SMALL,
    "rate-display": Variants(rate_display=True),
    "narrow-schema": Variants(missing_columns=(("PRODUCT", "Ranking"),)),
    "legacy": replace(_CREATE, product_upsert=True, page_cap=_SMALL.page_cap),
}


def variants_for(profile: str) -> Variants:
    """The switches of `profile`; ValueError naming the known profiles for an unknown one."""
    return _PROFILE_VARIANTS[check_profile("billingplatform", profile, PROFILES)]
