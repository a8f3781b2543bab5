"""pydantic validation errors → located, readable `Issue`s: the one seam over pydantic errors.

Used for catalog files and for catalogsync.yaml alike. pydantic's error `loc` tuples are
paths into the YAML document, so each maps to a line and column through the SourceMap.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from catalogsync.errors import Issue
from catalogsync.yamlio import SourceMap, YamlPath

# Names the object a model validates, for messages: e.g. "<backend> package-product".
Describe = Callable[[type[BaseModel]], str]


def validation_issues(
    exc: ValidationError | Iterable[ErrorDetails],
    source: SourceMap,
    root: type[BaseModel],
    describe: Describe,
) -> Iterator[Issue]:
    """One Issue per pydantic error (of `exc`, or as `exc.errors()` lists them), located
    through `source`."""
    errors = exc.errors(include_url=False) if isinstance(exc, ValidationError) else exc
    for err in errors:
        yield _issue(err, source, root, describe)


def _issue(
    err: ErrorDetails, source: SourceMap, root: type[BaseModel], describe: Describe
) -> Issue:
    loc: YamlPath = tuple(err["loc"])
    kind = err["type"]
    field = next((str(part) for part in reversed(loc) if isinstance(part, str)), "")
    model = model_at(root, loc[:-1])
    what = describe(model) if model else "object"
    if kind == "extra_forbidden":
        known = sorted(model.model_fields) if model else []
        hint = suggest(str(loc[-1]), known)
        return Issue(f"unknown field '{loc[-1]}' for a {what}{hint}", source.key(loc))
    if kind == "missing":
        return Issue(f"missing required field '{field}' in {what}", source.value(loc[:-1]))
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        expected = describe(model_at(root, loc) or root)
        return Issue(
            f"{field + ': ' if field else ''}expected a mapping ({expected}), "
            f"not {type_name(err['input'])}",
            source.value(loc),
        )
    if kind == "enum":
        expected = err.get("ctx", {}).get("expected", "")
        options = [part.strip(" '") for part in expected.replace(" or ", ",").split(",")]
        hint = suggest(str(err["input"]), [o for o in options if o])
        return Issue(
            f"{field}: invalid value {err['input']!r}; expected {expected}{hint}",
            source.value(loc),
        )
    return Issue(f"{field or 'value'}: {_message(err)}", source.value(loc))


def _message(err: ErrorDetails) -> str:
    message = err["msg"]
    if err["type"] in ("string_pattern_mismatch", "string_too_short"):
        message = "must not be empty"
    if err["type"] == "value_error":
        # Our own validators word their message in full; the input is not echoed because
        # it may be a credential written where it must not be.
        return message.removeprefix("Value error, ")
    if err["type"] in _DECIMAL_BOUNDS:
        message = _DECIMAL_BOUNDS[err["type"]].format(**err.get("ctx", {}))
    value = err["input"]
    if isinstance(value, (dict, list)) or value is None:
        return f"{message} (got {type_name(value)})"
    shown = repr(value)
    if len(shown) > _MAX_SHOWN_INPUT:  # a 5,000-digit number is not worth echoing whole
        shown = shown[: _MAX_SHOWN_INPUT - 3] + "..."
    return f"{message} (got {shown})"


_DECIMAL_BOUNDS = {
    "decimal_max_digits": "too many digits (at most {max_digits} in all)",
    "decimal_whole_digits": "too large (at most {whole_digits} digits before the decimal point)",
    "decimal_max_places": "too precise (at most {decimal_places} digits after the decimal point)",
}
_MAX_SHOWN_INPUT = 60


def type_name(value: Any) -> str:
    """How a YAML value's type reads in a message."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "an empty value"
    return {"str": "a string", "int": "a number", "float": "a number", "bool": "a boolean"}.get(
        type(value).__name__, type(value).__name__
    )


def suggest(word: str, candidates: Sequence[str]) -> str:
    """' (did you mean 'x'?)' for the closest candidate, or ''."""
    lowered = {c.lower(): c for c in candidates}
    if word.lower() in lowered:
        return f" (did you mean '{lowered[word.lower()]}'?)"
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def model_at(model: type[BaseModel], loc: YamlPath) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at `loc` (to list its field names)."""
    # Only the shape of the path matters (every list item has the same model): cached by
    # shape, since the error path asks once per invalid item and field (20,000 bad rates
    # took a minute of type introspection before).
    return _model_at_shape(model, tuple(0 if isinstance(p, int) else p for p in loc))


@functools.lru_cache(maxsize=4096)
def _model_at_shape(model: type[BaseModel], loc: YamlPath) -> type[BaseModel] | None:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            current = _item_type(current)
        elif isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(part)
            current = _unwrap(info.annotation) if info else None
        elif get_origin(current) is dict:
            current = _unwrap(get_args(current)[1])
        else:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated / Optional down to the interesting type."""
    while get_origin(annotation) not in (None, tuple, list, dict) and get_args(annotation):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    return annotation


def _item_type(annotation: Any) -> Any:
    args = get_args(_unwrap(annotation))
    return _unwrap(args[0]) if args else None
