"""Selecting catalog objects by kind and name: `KIND[:GLOB]`, the one syntax of
`export --only/--exclude` and `plan`/`apply --only/--exclude` (`catalogsync.partial`).

Its own module, apart from the exporter, so that a plan imports no more than it uses.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from catalogsync.catalog import Kind, Ref
from catalogsync.catalog_format import CatalogFormat
from catalogsync.errors import UsageError


@dataclass(frozen=True)
class Selector:
    """`KIND[:GLOB]`: objects of a kind whose name (or `package / product` label) matches."""

    kind: Kind
    pattern: str = "*"

    @classmethod
    def parse(cls, text: str, fmt: CatalogFormat | None = None) -> Selector:
        """Parse `product`, `package:Gold*`, `package-product:Gold / *`; with the project's
        catalog format, its own kind words too (`package-service:Home / *`).

        Raises:
            UsageError: an unknown kind.
        """
        kind_text, _, pattern = text.partition(":")
        if fmt is not None:
            kind = fmt.kind_named(kind_text)
            if kind is None:
                raise UsageError(
                    f"'{text}': expected KIND[:GLOB] with KIND one of {fmt.kind_choices()}"
                )
            return cls(kind, pattern or "*")
        wanted = kind_text.strip().lower().replace("-", "_").removesuffix("s")
        for kind in Kind:
            if kind.value == wanted:
                return cls(kind, pattern or "*")
        kinds = ", ".join(k.value for k in Kind)
        raise UsageError(f"'{text}': expected KIND[:GLOB] with KIND one of {kinds}")

    def matches(self, ref: Ref) -> bool:
        if ref.kind is not self.kind:
            return False
        return fnmatch.fnmatchcase(ref.label, self.pattern) or fnmatch.fnmatchcase(
            ref.name, self.pattern
        )


@dataclass(frozen=True)
class Selection:
    """Which live objects to export (everything when `only` is empty)."""

    only: tuple[Selector, ...] = ()
    exclude: tuple[Selector, ...] = ()

    def selects(self, ref: Ref) -> bool:
        if any(s.matches(ref) for s in self.exclude):
            return False
        if not self.only:
            return True
        if any(s.matches(ref) for s in self.only):
            return True
        # A selected package brings the package-products written inside it.
        package = ref.package
        return package is not None and any(s.matches(package) for s in self.only)
