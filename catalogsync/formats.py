"""What a backend's catalog format must provide to the backend-neutral loader.

Each billing system declares its own YAML vocabulary (field names, enums, nesting) as
pydantic models. The loader parses YAML, validates a file against `document_model`, and
asks the format to turn the validated document into `Resource`s; it never needs to know
which fields exist. Adding a backend means adding a `CatalogFormat`, not editing the loader.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from pydantic import BaseModel

from catalogsync.catalog import Resource
from catalogsync.errors import Issue, SourceLocation
from catalogsync.yamlio import YamlPath

# Resolves a path inside the YAML document to where it stands in the file.
Locate = Callable[[YamlPath], SourceLocation]


class CatalogFormat(ABC):
    """A backend's catalog file format.

    Implementers must:
    - give `document_model`: a frozen pydantic model (extra="forbid") for ONE catalog file;
    - turn a validated document into Resources whose `fields` hold only declared fields,
      with values normalised (Decimal, bool, str, None);
    - report semantic problems pydantic cannot see (e.g. min > max) as located Issues.
    """

    backend: ClassVar[str]
    document_model: ClassVar[type[BaseModel]]

    @abstractmethod
    def to_resources(self, document: BaseModel, locate: Locate) -> Iterable[Resource]:
        """The resources a validated document declares, each with its source location."""

    def check(self, document: BaseModel, locate: Locate) -> Iterable[Issue]:
        """Semantic problems within one document; none by default."""
        return ()

    def describe(self, model: type[BaseModel]) -> str:
        """How messages name an object of `model`: 'billingplatform package-product'."""
        return f"{self.backend} {self.labels().get(model, 'catalog file')}"

    def labels(self) -> dict[type[BaseModel], str]:
        """Readable names of the format's models, e.g. {PackageProduct: 'package-product'}."""
        return {}

    def json_schema(self) -> dict[str, Any]:
        """JSON Schema of a catalog file, for editors (`catalogsync schema`)."""
        schema = self.document_model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = f"catalogsync {self.backend} catalog"
        return schema
