"""What a backend's catalog format must provide to the backend-neutral loader.

Each billing system declares its own YAML vocabulary (field names, enums, nesting) as
pydantic models. The loader parses YAML, validates a file against `document_model`, and
asks the format to turn the validated document into `Resource`s; it never needs to know
which fields exist. Adding a backend means adding a `CatalogFormat`, not editing the loader.
"""

from __future__ import annotations

import functools
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from itertools import compress, repeat
from operator import attrgetter, contains, is_, itemgetter
from types import MappingProxyType
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ValidationInfo, WithJsonSchema

from catalogsync.catalog import Kind, Ref, Resource, Value
from catalogsync.errors import Issue, SourceLocation
from catalogsync.yamlio import YamlPath

# Resolves a path inside the YAML document to where it stands in the file.
Locate = Callable[[YamlPath], SourceLocation]


def declared_values(model: BaseModel, structural: Collection[str] = ()) -> dict[str, Value]:
    """The fields a YAML object declares (minus `structural` keys), as normalised values.

    An explicit empty value means what the billing systems store for it, so that apply
    then plan shows no change:
    - a flag (a bool field) declared `null` is `false`: a flag is stored as 0/1, false;
    - a text declared `""` is `null` (empty): the systems answer "" and null alike.
    Any other field declared `null` is cleared (written empty, read back as `null`).
    """
    fields: dict[str, Value] = {}
    flags = flags_of(type(model))
    # (a model's values are its `__dict__`'s, read without `getattr`'s look-up through the
    # class; a catalog's reading asks this of every object)
    values = model.__dict__
    for key in sorted(model.model_fields_set.difference(structural)):
        value = values[key]
        if value is None:
            if key in flags:
                value = False
        elif type(value) is str:  # (the usual text: no enum to unwrap)
            if not value:
                value = None
        elif isinstance(value, str):  # (a StrEnum)
            if isinstance(value, StrEnum):
                value = value.value
            if value == "":
                value = None
        fields[key] = value
    return fields


#: The value types `declared_values` keeps as they are (but an empty text, or a flag's None).
_KEPT_TYPES = frozenset({str, int, bool, float, Decimal, tuple, type(None)})
# (pydantic's own attributes: `model_fields_set` is a property, a Python call per model)
_FIELDS_SET = attrgetter("__pydantic_fields_set__")
_VALUES = attrgetter("__dict__")


#: Fewer models than this are made one by one: the columns' own cost is more than theirs.
COLUMNS_FROM = 4


def declared_values_of(
    models: Sequence[BaseModel], structural: Collection[str] = ()
) -> list[dict[str, Value]]:
    """`declared_values(model, structural)` of each model, made a field at a time in C
    when the models are of one class and no value one declares is one `declared_values`
    makes otherwise than as it is or as an enum's value (a flag's None, an empty text,
    another type): then each model's is its declared values of the sorted keys, in that
    order. Each model alone otherwise. (An export's proof reads 205,000 objects at L,
    most in runs of one kind.)"""
    if len(models) >= COLUMNS_FROM:
        model_type = type(models[0])
        declared = list(map(_FIELDS_SET, models))
        if all(map(is_, map(type, models), repeat(model_type))):
            flags = flags_of(model_type)
            first = declared[0]
            same = declared.count(first) == len(declared)
            keys = sorted((first if same else set().union(*declared)).difference(structural))
            values = list(map(_VALUES, models))
            # (which models declare each key, when they do not all declare the same)
            held = [] if same else [list(map(contains, declared, repeat(key))) for key in keys]
            columns = [list(map(itemgetter(key), values)) for key in keys]
            made = declared_values_from(keys, columns, held, flags, len(models))
            if made is not None:
                return made
    return [declared_values(model, structural) for model in models]


def declared_values_from(
    keys: Sequence[str],
    columns: Sequence[list[Any]],
    held: Sequence[list[bool]],
    flags: Collection[str],
    count: int,
) -> list[dict[str, Value]] | None:
    """`declared_values` of `count` objects of one class (whose bool fields are `flags`)
    from the values they hold, a column per key (`keys` sorted, the structural ones left
    out): each object's are its declared keys' values in that order, where `held` (a
    list per key, or empty when every object declares every key) says which declare each.
    None when a value one declares is one `declared_values` makes otherwise than as it is
    or as an enum's value (a flag's None, an empty text, another type): the caller then
    asks it of each object."""
    if not keys:
        return [{} for _ in range(count)]
    made = [
        _as_declared(column, key in flags, held[n] if held else [])
        for n, (key, column) in enumerate(zip(keys, columns, strict=True))
    ]
    if any(column is None for column in made):
        return None
    rows = map(zip, repeat(keys), zip(*made, strict=True))
    if not held:
        return list(map(dict, rows))
    return list(map(dict, map(compress, rows, zip(*held, strict=True))))


def _as_declared(column: list[Any], flag: bool, held: list[bool]) -> list[Any] | None:
    """A field's `column` of values as `declared_values` makes each (those where `held`
    is false, if any, are not declared: only the others count), when it keeps each as it
    is or makes an enum its value; None otherwise (the caller asks it of each model)."""
    declared = list(compress(column, held)) if held else column
    types = set(map(type, declared))
    if not types <= _KEPT_TYPES:
        enums = {kind for kind in types - _KEPT_TYPES if issubclass(kind, StrEnum)}
        if not types - enums <= _KEPT_TYPES:
            return None
        column = [value._value_ if type(value) in enums else value for value in column]
        declared = list(compress(column, held)) if held else column
        types = set(map(type, declared))
    if flag and type(None) in types:
        return None
    if str in types and "" in declared:
        return None
    return column


@functools.cache
def flags_of(model: type[BaseModel]) -> frozenset[str]:
    """The bool fields of a model (asked once per model, not per object: 40,000 objects)."""
    return frozenset(
        name for name, info in model.model_fields.items() if info.annotation in (bool, bool | None)
    )


def _kind_word(value: Any, info: ValidationInfo) -> Any:
    """A kind as the project's backend names it (e.g. `service`) or by its generic
    name (`package_product`; `package-product` as on the command line works too).

    The backend's catalog format comes as validation context (`config.load_project`); without it
    only the generic names are known.
    """
    if not isinstance(value, str):
        return value
    fmt: CatalogFormat | None = (info.context or {}).get(FORMAT_CONTEXT)
    if fmt is None:
        return value.strip().replace("-", "_")
    kind = fmt.kind_named(value)
    if kind is None:
        raise ValueError(f"unknown kind '{value.strip()}'; expected {fmt.kind_choices()}")
    return kind


#: The validation-context key of the project's catalog format (its kind words).
FORMAT_CONTEXT = "catalog_format"

KindWord = Annotated[Kind, BeforeValidator(_kind_word), WithJsonSchema({"type": "string"})]


class CatalogFormat(ABC):
    """A backend's catalog file format.

    Implementers must:
    - give `document_model`: a frozen pydantic model (extra="forbid") for ONE catalog file;
    - turn a validated document into Resources whose `fields` hold only declared fields,
      with values normalised (Decimal, bool, str, None);
    - report semantic problems pydantic cannot see (e.g. min > max) as located Issues;
    - treat each item of a top-level list alone: the loader validates, checks and converts a
      large file in slices of its top-level lists (`loader.PART_ITEMS` items at a time, for
      memory), so no validator or check may look across the items of a file;
    - write resources back as YAML-ready data (`item`, `document`) for `export` and for the
      adoption snippets of `drift`, such that loading that data gives the same resources.
    """

    backend: ClassVar[str]
    document_model: ClassVar[type[BaseModel]]
    #: What the billing system calls each kind, singular (e.g. "service"): the words
    #: messages and output use for this backend's objects, and that users may write where a
    #: kind is named (`kind:` in catalogsync.yaml, `--only KIND:GLOB`), besides the generic
    #: kind names (`product`, `package`, `package_product`), which every format accepts.
    kind_names: ClassVar[Mapping[Kind, str]] = MappingProxyType(
        {Kind.PRODUCT: "product", Kind.PACKAGE: "package", Kind.PACKAGE_PRODUCT: "package-product"}
    )

    #: Fields whose value names another catalog object, and that object's kind (links: a
    #: renamed object is followed through them); none by default.
    link_fields: ClassVar[Mapping[str, Kind]] = MappingProxyType({})

    #: Whether each item of an item's nested list reads alone too, as top-level items do
    #: (no validator or check looks across them, and an item's own resource does not
    #: depend on them): a changed catalog is then loaded again nested item by nested item
    #: (`loader.updated_catalog`). Off unless a format says so.
    nested_items_alone: ClassVar[bool] = False

    def linked_refs(self, fields: Mapping[str, Value]) -> tuple[Ref, ...]:
        """The objects a record's link fields name, which must exist before it (what export
        adds to a selection, what a delete must not strand); none by default, and none for
        a record that holds none of `link_fields`, or holds each of them empty (None):
        export skips such records unasked."""
        return ()

    @abstractmethod
    def to_resources(self, document: BaseModel, locate: Locate) -> Iterable[Resource]:
        """The resources a validated document declares, each with its source location."""

    @abstractmethod
    def item(self, resource: Resource) -> dict[str, Any]:
        """The YAML mapping that declares one object, without the objects nested in it.

        Values are plain: str, bool, int, Decimal (written as a quoted string), None, and
        lists or mappings of those.
        """

    @abstractmethod
    def document(self, resources: Iterable[Resource]) -> dict[str, Any]:
        """One catalog file declaring `resources`, in a stable order (for `export`).

        Every object a resource's key implies (the package and parent package-products of a
        package-product) is among `resources`.
        """

    def export_fields(self, ref: Ref, fields: Mapping[str, Value]) -> dict[str, Value]:
        """The live fields `export` writes: those that differ from what an absent field means.

        By default every field that is not empty (None).
        """
        return {key: value for key, value in fields.items() if value is not None}

    def export_document(self, records: Iterable[tuple[Ref, Mapping[str, Value]]]) -> dict[str, Any]:
        """The catalog file `export` writes for live `records` (each object's key and live
        fields): `document` of the resources declaring their `export_fields`. A format may
        make it without those resources (an export makes one per live object)."""
        return self.document(
            Resource(ref=ref, fields=self.export_fields(ref, fields)) for ref, fields in records
        )

    def export_sections(
        self, records: Sequence[tuple[Ref, Mapping[str, Value]]], writer: Any
    ) -> dict[str, list[str]] | None:
        """The lines of `export_document(records)` as `writer` (a `CatalogWriter`) writes
        them, made straight from the records (in key order): each top-level list's items,
        each item's text (its lines, each ending in a newline); None when the format does
        not lay them out itself (then the writer writes `export_document`). See
        `CatalogWriter.export`."""
        return None

    def export_sections_of(
        self, files: Sequence[Sequence[tuple[Ref, Mapping[str, Value]]]], writer: Any
    ) -> list[dict[str, list[str]]] | None:
        """`export_sections` of each file's records (each in key order), made together
        where that is cheaper; None when the format does not lay them all out (then each
        file is made alone). See `CatalogWriter.export_files`."""
        return None

    def check(self, document: BaseModel, locate: Locate) -> Iterable[Issue]:
        """Semantic problems within one document; none by default."""
        return ()

    def counted(self, n: int, kind: Kind) -> str:
        """`1 service`, `3 package services`: counts in the billing system's words."""
        return f"{n} {self.kind_names[kind]}" if n == 1 else f"{n} {self.plural(kind)}"

    def plural(self, kind: Kind) -> str:
        """`services`, `package services`: the kind's name, plural."""
        return f"{self.kind_names[kind]}s"

    def kind_named(self, word: str) -> Kind | None:
        """The kind a user's word means, None if none: this format's own name for it in any
        spelling (`package service`, `package-service`, `package_service`, plural too) or
        the generic kind name (`package_product`, an alias every format accepts)."""
        wanted = _kind_key(word)
        for kind in Kind:
            if wanted in (_kind_key(kind.value), _kind_key(self.kind_names[kind])):
                return kind
        return None

    def kind_choices(self) -> str:
        """The kind words messages offer, e.g. `service, package or package_service`."""
        words = [self.kind_names[kind].replace(" ", "_").replace("-", "_") for kind in Kind]
        return f"{', '.join(words[:-1])} or {words[-1]}"

    def describe(self, model: type[BaseModel]) -> str:
        """How messages name an object of `model`: '<backend> package-product'."""
        return f"{self.backend} {self.labels().get(model, 'catalog file')}"

    def labels(self) -> dict[type[BaseModel], str]:
        """Readable names of the format's models, e.g. {PackageProduct: 'package-product'}."""
        return {}

    # --- what money means in this format (money-aware review); none by default ---------

    def money_fields(self, kind: Kind) -> tuple[str, ...]:
        """The fields of `kind` that are prices (shown as money, graded, linted)."""
        return ()

    def own_rate_field(self) -> str | None:
        """The package-product field that overrides its product's field of the same name
        (the package-product inherits the product's price when it has none); None: no
        inheritance in this format."""
        return None

    def quantity_bounds(self) -> tuple[str, str] | None:
        """A package-product's (minimum, maximum) quantity fields, if it has them."""
        return None

    def package_in_production(self, fields: Mapping[str, Value]) -> bool:
        """Whether a package with these fields is sold (customers use it).

        Conservative by default: a format without a package status treats every package as
        in production.
        """
        return True

    def product_active(self, fields: Mapping[str, Value]) -> bool | None:
        """Whether a product with these fields is active; None when the fields do not say."""
        return None

    def is_discount(self, name: str, fields: Mapping[str, Value]) -> bool:
        """Whether a product is a discount (a negative rate is expected there)."""
        return "discount" in name.lower()

    def json_schema(self) -> dict[str, Any]:
        """JSON Schema of a catalog file, for editors (`catalogsync schema`)."""
        schema = self.document_model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = f"catalogsync {self.backend} catalog"
        return schema

    def json_schema_text(self) -> str:
        """The JSON Schema as the text written to `schemas/` (stable: sorted keys)."""
        return json.dumps(self.json_schema(), indent=2, sort_keys=True) + "\n"


def _kind_key(word: str) -> str:
    """A kind word with case, separators and a plural `s` folded away."""
    return "".join(word.strip().lower().replace("-", " ").replace("_", " ").split()).removesuffix(
        "s"
    )
