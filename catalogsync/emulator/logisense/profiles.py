"""Named behaviours of the LogiSense emulator: `strict` (the default) and its variants.

`strict` answers as the vendor's documents show (seed page 004, the v8 object pages) and
refuses what they do not show: invented paths are 404, PATCH keys that are neither a field
nor a documented collection are 400, PATCH answers carry no `patchClientId`, POST answers
200 with the created object as the result item. Where the documents are silent or
disagree, each plausible answer is a variant profile; a client must pass under all of
them (docs/vendor-api.md, "LogiSense REST v8", lists the sources of each).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_PROFILE", "PROFILES", "Profile", "profile_named"]

DEFAULT_PROFILE = "strict"

#: Profile name -> one-line description ("strict" first: the default).
PROFILES: dict[str, str] = {
    "strict": "as the v8 documents show: documented paths only, unknown PATCH keys refused "
    "(400), no patchClientId echo, POST answers 200 with the bare created object",
    "create-201": "POST answers 201 Created (the v10 reference lists 201 for a POST)",
    "echo-patch-client-id": "PATCH result items echo each request item's patchClientId",
    "wrapped-write-items": "POST/PUT result items wrap the object as {identity, action, "
    "dtoTypeKey, instance} (the v10 'PATCH, POST, PUT & DELETE' guide)",
    "top-level-children": "PATCH also accepts child collections (services, frequencies, "
    "currencies) at the top level of the body, beside 'details'",
}


@dataclass(frozen=True)
class Profile:
    """The switches one profile sets (everything off/200 is `strict`)."""

    name: str = DEFAULT_PROFILE
    create_status: int = 200
    echo_patch_client_id: bool = False
    wrapped_write_items: bool = False
    top_level_children: bool = False


_SWITCHES: dict[str, Profile] = {
    "strict": Profile(),
    "create-201": Profile("create-201", create_status=201),
    "echo-patch-client-id": Profile("echo-patch-client-id", echo_patch_client_id=True),
    "wrapped-write-items": Profile("wrapped-write-items", wrapped_write_items=True),
    "top-level-children": Profile("top-level-children", top_level_children=True),
}


def profile_named(name: str) -> Profile:
    """The profile called `name`; ValueError naming the known ones otherwise."""
    found = _SWITCHES.get(name)
    if found is None:
        known = ", ".join(PROFILES)
        raise ValueError(f"unknown LogiSense emulator profile {name!r}; known profiles: {known}")
    return found
