"""What every YAML catalog format shares, written once: each format states only its own words.

A catalog file lists products and packages at the top and each package's items inside the
package. `YamlCatalogFormat` implements, for any format shaped so, the parts of
`CatalogFormat` that do not depend on the vendor: reading those objects into `Resource`s,
writing them back (`item`, `document`), naming its models in messages, and what `export`
leaves out. A format gives its models, the names of its lists and keys, and what is
particular to its package items (nesting, links, checks).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import repeat
from operator import add, attrgetter, itemgetter, methodcaller
from types import MappingProxyType
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints

from catalogsync.catalog import (
    Kind,
    Ref,
    Resource,
    Value,
    owned_resource,
    package_ref,
    product_refs,
    ref_order,
    restored_resources,
)
from catalogsync.catalog_format import (
    CatalogFormat,
    Locate,
    declared_values,
    declared_values_of,
)
from catalogsync.errors import Issue, SourceLocation
from catalogsync.export_columns import ColumnLayout
from catalogsync.yamlio import YamlPath


def none_as_empty(value: Any) -> Any:
    """A list key with nothing under it (`products:`) means an empty list, not an error."""
    return [] if value is None else value


# A name must have some visible text; surrounding spaces are kept as written (they are
# part of the name in the billing system, and must round-trip).
Name = Annotated[str, StringConstraints(min_length=1, pattern=r"\S")]
Names = Annotated[tuple[Name, ...], BeforeValidator(none_as_empty)]


class FormatModel(BaseModel):
    """Base of a format's YAML objects: frozen, and an unknown key is an error."""

    # Built when first used (`defer_build`): a plan whose catalog comes from the cache
    # validates no catalog file (tests/test_deferred_models.py: the same errors).
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False, defer_build=True)


@functools.cache
def flag_fields(model: type[BaseModel]) -> frozenset[str]:
    """The flags (bool fields) of a model, except `protect` (catalogsync's own, not a field)."""
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if info.annotation in (bool, bool | None) and name != "protect"
    )


@functools.cache
def field_order(model: type[BaseModel]) -> dict[str, int]:
    """Each field of a model by its place in the model (the order `item` writes them in)."""
    return {name: index for index, name in enumerate(model.model_fields)}


def greater_than(
    item: BaseModel, low: str, high: str, what: str, here: YamlPath, locate: Locate
) -> Issue | None:
    """An Issue at `low` when the item's `low` field is greater than its `high` one."""
    low_value, high_value = getattr(item, low), getattr(item, high)
    if low_value is None or high_value is None or low_value <= high_value:
        return None
    return Issue(
        f"{low} ({low_value}) is greater than {high} ({high_value}) for {what}",
        locate((*here, low)),
    )


@functools.lru_cache(maxsize=1024)
def _written_order(model: type[BaseModel], keys: tuple[str, ...]) -> tuple[str, ...]:
    """`keys` in the order `item` writes them: the model's, then by name. Worked out once
    per set of keys (an export's 40,000 objects have a few dozen)."""
    order = field_order(model)
    return tuple(sorted(keys, key=lambda k: (order[k], k)))


@functools.cache
def _without(keys: frozenset[str], kept: frozenset[str]) -> frozenset[str]:
    return keys - kept


_NAME, _VALUES = attrgetter("name"), attrgetter("__dict__")
#: (as `declared` asks a model's values: a package item has no `renamed_from`)
_GET_RENAMED_FROM = methodcaller("get", "renamed_from", ())
_GET_PROTECT = methodcaller("get", "protect", False)


def items_located(where: YamlPath, count: int, locate: Locate) -> list[SourceLocation]:
    """Where each of the `count` items of the list at `where` stands (`locate` of each
    item's path, the paths made in C)."""
    return list(map(locate, map(add, repeat(where), zip(range(count)))))


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


_NO_DEFAULTS: Mapping[str, Callable[[tuple[str, ...]], Value]] = MappingProxyType({})


class YamlCatalogFormat(CatalogFormat):
    """A catalog format whose files list products and packages, with items in packages."""

    #: The YAML model of each kind.
    models: ClassVar[Mapping[Kind, type[BaseModel]]]
    #: The list keys: products and packages at the top of a file, and a package's items.
    lists: ClassVar[Mapping[Kind, str]]
    #: The key of a package item that names its product (`product`, `service`).
    item_key: ClassVar[str]
    #: The list key of items nested under an item, for formats that nest them.
    children_key: ClassVar[str | None] = None
    #: Keys that shape the catalog rather than being fields of the remote record.
    structural: ClassVar[frozenset[str]]
    #: The structural keys a package item declares as fields (`declared_fields`' `keep`).
    item_fields_kept: ClassVar[frozenset[str]] = frozenset()

    # --- reading ---------------------------------------------------------------------

    def to_resources(self, document: BaseModel, locate: Locate) -> Iterator[Resource]:
        assert isinstance(document, self.document_model)
        products, packages = self.lists[Kind.PRODUCT], self.lists[Kind.PACKAGE]
        items = getattr(document, products)
        refs = list(product_refs(map(_NAME, items)))
        resources = self.declared_all(items, refs, items_located((products,), len(items), locate))
        for index, package in enumerate(getattr(document, packages)):
            where: YamlPath = (packages, index)
            resources.append(self.declared(package, package_ref(package.name), locate(where)))
            resources.extend(self.package_items(package, where, locate))
        return iter(resources)

    def package_items(self, package: Any, where: YamlPath, locate: Locate) -> Iterator[Resource]:
        """The resources of a package's items; `where` is the package's path."""
        return iter(())

    def columns_pass(
        self, kind: Kind, keys: Sequence[Any], fields: Mapping[str, list[Any]]
    ) -> bool:
        """Whether `check` surely finds nothing to say of a file's objects of `kind` whose
        validated keys (names) and fields (a column per field they declare, None where an
        object does not) are these (`yamlcolumns`: a file read a column at a time). False
        when unsure: the file is then loaded as usual, and `check` decides."""
        return False

    def declared(self, model: BaseModel, ref: Ref, location: SourceLocation) -> Resource:
        """The resource one YAML object declares: its declared fields, renames, protection
        and where it stands."""
        # (made in C, `owned_resource`: the fields dict is made for it. A model's field
        # values are its `__dict__`'s: asked there, a model without the field (a
        # package item has no `renamed_from`) answers the default without pydantic's
        # `__getattr__` raising and catching an AttributeError per object)
        values = model.__dict__
        renamed_from = values.get("renamed_from", ())
        protect = values.get("protect", False)
        return owned_resource(ref, self.declared_fields(model), (), renamed_from, protect, location)

    def declared_all(
        self,
        models: Sequence[BaseModel],
        refs: Sequence[Ref],
        locations: Sequence[SourceLocation],
        fields: list[dict[str, Value]] | None = None,
    ) -> list[Resource]:
        """`declared` of each model, with its ref and location, made a column at a time
        (`declared_values_of`, `restored_resources`: no Python step per object where the
        models are alike). `fields`: their declared fields, when the caller has them
        (`declared_fields` with keys to keep), each made for its resource."""
        if fields is None:
            fields = declared_values_of(models, self.structural)
        values = list(map(_VALUES, models))
        count = len(models)
        renamed_from = list(map(_GET_RENAMED_FROM, values))
        protect = list(map(_GET_PROTECT, values))
        return restored_resources(refs, fields, [()] * count, renamed_from, protect, locations)

    def declared_fields(self, model: BaseModel, keep: Iterable[str] = ()) -> dict[str, Value]:
        """The fields the YAML declares, as normalised values (only those are managed); the
        structural keys in `keep` count as fields too (a package-product's `name`)."""
        return declared_values(model, _without(self.structural, frozenset(keep)))

    # --- writing ---------------------------------------------------------------------

    def item(self, resource: Resource) -> dict[str, Any]:
        ref = resource.ref
        head = self.item_key if ref.kind is Kind.PACKAGE_PRODUCT else "name"
        mapping: dict[str, Any] = {head: ref.name}
        if resource.renamed_from:
            mapping["renamed_from"] = list(resource.renamed_from)
        if resource.protect:
            mapping["protect"] = True
        self._with_fields(mapping, ref.kind, resource.fields)
        return mapping

    def _with_fields(
        self, mapping: dict[str, Any], kind: Kind, fields: Mapping[str, Value]
    ) -> None:
        """Add `fields` to an item's `mapping`, in the order and form `item` writes them."""
        yaml_value = self.yaml_value
        for key in _written_order(self.models[kind], tuple(fields)):
            mapping[key] = yaml_value(key, fields[key])

    def yaml_value(self, key: str, value: Value) -> Any:
        """How a field's value is written to YAML (a tuple as a list)."""
        return list(value) if isinstance(value, tuple) else value

    def document(self, resources: Iterable[Resource]) -> dict[str, Any]:
        ordered = sorted(resources, key=lambda r: ref_order(r.ref))
        return self._nested((r.ref, self.item(r)) for r in ordered)

    def export_document(self, records: Iterable[tuple[Ref, Mapping[str, Value]]]) -> dict[str, Any]:
        """`document` of the exported resources, each item made straight from its record."""
        # (A `Ref` is the tuple `ref_order` gives: compared as it is, in C, not through a
        # key function called twice per object.)
        ordered = sorted(records, key=itemgetter(0))
        head = {kind: self.item_key if kind is Kind.PACKAGE_PRODUCT else "name" for kind in Kind}
        export_fields, yaml_value, models = self.export_fields, self.yaml_value, self.models

        def item(ref: Ref, fields: Mapping[str, Value]) -> dict[str, Any]:
            # `item`'s mapping: `_with_fields` of the exported fields, without its calls
            kind = ref.kind
            mapping: dict[str, Any] = {head[kind]: ref.key[-1]}
            kept = export_fields(ref, fields)
            for key in _written_order(models[kind], tuple(kept)):
                mapping[key] = yaml_value(key, kept[key])
            return mapping

        return self._nested((ref, item(ref, fields)) for ref, fields in ordered)

    def export_sections(
        self, records: Sequence[tuple[Ref, Mapping[str, Value]]], writer: Any
    ) -> dict[str, list[str]] | None:
        """`export_document`'s items as `writer` lays them out, line by line, without the
        document: each item's lines are those `writer.entry` makes of the item's mapping
        (the same keys, values and order as `item` in `export_document`), nested as
        `_nested` nests them. In key order a package-product follows its package and
        parents, and all of a package's items come before the next package's (a key
        sorts right after the keys it extends): each object's lines go at the end of the
        lines of the top-level item holding it, under its container's list key, which is
        written once, before the container's first item (`_nested`'s `setdefault`).

        Objects of one shape are laid out a field at a time (`export_columns`), the same
        lines; what that leaves is laid out here, an object at a time."""
        layout = self.column_layout
        if layout is not None:
            texts = layout.sections(records, writer)
            if texts is not None:
                return texts
        head, taken = self._heads(), self._taken()
        export_fields, yaml_value, models = self.export_fields, self.yaml_value, self.models
        lists, children_key = self.lists, self.children_key
        top_items, nested, package = lists[Kind.PACKAGE_PRODUCT], Kind.PACKAGE_PRODUCT, Kind.PACKAGE
        entry, entries, scalar_entry = writer.entry, writer.entries, writer.scalar_entry
        sections: dict[str, list[list[str]]] = {}
        # Each container (a package, a package item) by key: [the lines of the top-level
        # item holding it, the column of its keys, whether its list key is written]
        containers: dict[tuple[str, ...], list[Any]] = {}
        for ref, fields in records:
            kind, key = ref.kind, ref.key
            if kind is not nested:
                lines: list[str] = []
                sections.setdefault(lists[kind], []).append(lines)
                indent, start = 4, "  - "
                if kind is package:
                    containers[key] = [lines, indent, False]
            else:
                container = containers[key[:-1]]
                lines, at = container[0], container[1]
                if not container[2]:
                    under = children_key if len(key) > 2 else top_items
                    if under is None:
                        return None
                    writer.key(under)
                    lines.append(f"{' ' * at}{under}:")
                    container[2] = True
                indent, start = at + 4, f"{' ' * (at + 2)}- "
                containers[key] = [lines, indent, False]
            # (the item's name is written as it is, not as a field's `yaml_value`: its
            # line is remembered apart from the fields')
            name, field = key[-1], head[kind]
            line = entries.get((None, field, name)) if type(name) is str else None
            if line is None and type(name) is str:
                line = scalar_entry((None, field, name), field, name)
            if line is None:
                entry(lines, start, indent, field, name)
            else:
                lines.append(start + line)
            kept = export_fields(ref, fields)
            if not taken[kind].isdisjoint(kept):
                return None
            pad = " " * indent
            for field in _written_order(models[kind], tuple(kept)):
                # A scalar's line is remembered by its field and value (see `entries`);
                # other values are laid out by `entry` each time.
                value = kept[field]
                kind_of = type(value)
                if kind_of is str or kind_of is int or kind_of is bool:
                    remembered: Any = (field, kind_of, value)
                elif kind_of is Decimal or kind_of is float:
                    remembered = (field, kind_of, str(value))  # (1.20 == 1.2: its digits)
                else:
                    entry(lines, pad, indent, field, yaml_value(field, value))
                    continue
                line = entries.get(remembered)
                if line is None:
                    line = scalar_entry(remembered, field, yaml_value(field, value))
                    if line is None:
                        entry(lines, pad, indent, field, yaml_value(field, value))
                        continue
                lines.append(pad + line)
        return {key: [_text(lines) for lines in items] for key, items in sections.items()}

    def export_sections_of(
        self, files: Sequence[Sequence[tuple[Ref, Mapping[str, Value]]]], writer: Any
    ) -> list[dict[str, list[str]]] | None:
        """Each file's `export_sections`, the objects of one shape of all the files laid
        out together (`ColumnLayout.sections_of`); None when that does not lay out them
        all (then each file is made alone, as `export_sections` makes it)."""
        layout = self.column_layout
        return None if layout is None else layout.sections_of(files, writer)

    @functools.cached_property
    def column_layout(self) -> ColumnLayout | None:
        """How `export_sections` lays out objects of one shape a field at a time; None for
        a format whose `export_fields` is its own (the layout follows this class's rules:
        empty values, false flags and `export_defaults` left out). Made once per format
        (`export_sections` asks once per file)."""
        if type(self).export_fields is not YamlCatalogFormat.export_fields:
            return None
        models = self.models
        return ColumnLayout(
            head=self._heads(),
            lists=self.lists,
            children_key=self.children_key,
            order=lambda kind, keys: _written_order(models[kind], keys),
            flags=lambda kind: flag_fields(models[kind]),
            defaults=self.export_defaults,
            yaml_value=self.yaml_value,
            taken=self._taken(),
        )

    def _heads(self) -> dict[Kind, str]:
        """The key of each kind's name in its item."""
        return {kind: self.item_key if kind is Kind.PACKAGE_PRODUCT else "name" for kind in Kind}

    def _taken(self) -> dict[Kind, frozenset[str]]:
        """Keys an item's mapping holds besides its fields: a field under one of them would
        take its place in `export_document`'s dict, not be a second line (never so in a
        catalog: then the document is written instead)."""
        head, top_items = self._heads(), self.lists[Kind.PACKAGE_PRODUCT]
        return {
            Kind.PRODUCT: frozenset({head[Kind.PRODUCT]}),
            Kind.PACKAGE: frozenset({head[Kind.PACKAGE], top_items}),
            Kind.PACKAGE_PRODUCT: frozenset(
                k for k in (head[Kind.PACKAGE_PRODUCT], self.children_key) if k
            ),
        }

    def _nested(self, items_in_order: Iterable[tuple[Ref, dict[str, Any]]]) -> dict[str, Any]:
        """The document holding each object's item, in key order, package items nested."""
        # In key order a package comes before its items and an item before its children,
        # so each container is made before what goes into it. A package item's container
        # is the object whose key is its key but the last name (its package, or its parent
        # item): packages and items are found by key (products hold nothing, and share
        # their keys' shape with packages).
        containers: dict[tuple[str, ...], dict[str, Any]] = {}
        document: dict[str, Any] = {}
        lists, children_key = self.lists, self.children_key
        top_items, nested, package = lists[Kind.PACKAGE_PRODUCT], Kind.PACKAGE_PRODUCT, Kind.PACKAGE
        for ref, mapping in items_in_order:
            kind = ref.kind
            if kind is not nested:
                if kind is package:
                    containers[ref.key] = mapping
                document.setdefault(lists[kind], []).append(mapping)
                continue
            key = ref.key
            containers[key] = mapping
            if len(key) > 2:  # inside its parent item
                assert children_key is not None
                under = children_key
            else:  # inside its package
                under = top_items
            containers[key[:-1]].setdefault(under, []).append(mapping)
        return document

    def export_fields(self, ref: Ref, fields: Mapping[str, Value]) -> dict[str, Value]:
        """Non-empty fields, minus false flags (what an absent flag means) and the fields
        equal to their defaults (`export_defaults`)."""
        flags = flag_fields(self.models[ref.kind])
        kept: dict[str, Value] = {
            k: v for k, v in fields.items() if v is not None and not (k in flags and not v)
        }
        for field, default in self.export_defaults(ref.kind).items():
            if field in kept and kept[field] == default(ref.key):
                del kept[field]
        return kept

    def export_defaults(self, kind: Kind) -> Mapping[str, Callable[[tuple[str, ...]], Value]]:
        """The fields of a kind that `export` leaves out when they equal what the function
        gives for the object's key (the value the system gives an object declaring none)."""
        return _NO_DEFAULTS

    def labels(self) -> dict[type[BaseModel], str]:
        return {model: self.kind_names[kind] for kind, model in self.models.items()}
