"""The export proof's per-file check (`StagedCheck.file_ok`) split into its parts, timed on
the loader's own code: `benchmarks.export_phases --proof-steps` prints them.

While `timing_proof_steps` is active, thin wrappers add each part's CPU (`time.
process_time`) to a total, around the very functions `loader.load_file` calls, so the
check runs as it always does:

- `columns`: the file's bytes read a column at a time (`loader.file_resources`,
  `yamlcolumns`): a file `export` wrote, that loads with no issue, is made into its
  resources there, and none of the steps below runs for it;
- `read_parse`: the file's YAML (`loader.read_yaml_parts` of the bytes the loader read,
  then each of its parts as `_load_parts` takes it: the line reader, `yamlblock`, works
  as they are asked);
- `validate`: the document model's validation of each part (`loader._validated`);
- `resources`: the format's resources of each validated part (`fmt.to_resources`);
- `checks`: the format's checks and any validation issues (the `found` that `_validated`
  returns, made in full by `_load_parts`);
- `upserts`: whether any of the file's objects plans a create or an update
  (`StagedCheck.upserts`).

What `file_ok` spends besides (its comparisons of keys and links, the loader's own
steps, reading each file's bytes once) is `check_files` less these. The wrappers cost a
call or two per file and part, not per object.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from catalogsync import loader
from catalogsync.catalog_format import CatalogFormat
from catalogsync.export_check import StagedCheck

PROOF_STEPS = ("columns", "read_parse", "validate", "resources", "checks", "upserts")


@contextmanager
def timing_proof_steps(
    fmt: CatalogFormat, totals: dict[str, float]
) -> Iterator[Callable[[StagedCheck], StagedCheck]]:
    """Within the block, `file_ok` of the check the given function returns adds the CPU of
    each of `PROOF_STEPS` to `totals` (see the module docstring); as before afterwards."""
    for step in PROOF_STEPS:
        totals.setdefault(step, 0.0)
    # (the loader's module globals, as `_load_file` and `_load_parts` look them up)
    originals = vars(loader)
    read_yaml_parts, validated = originals["read_yaml_parts"], originals["_validated"]
    file_resources = originals["file_resources"]
    to_resources = fmt.to_resources

    def add(step: str, started: float) -> None:
        totals[step] += time.process_time() - started

    def timed_parts(parts: Iterator[Any]) -> Iterator[Any]:
        while True:
            started = time.process_time()
            try:
                part = next(parts)
            except StopIteration:
                add("read_parse", started)
                return
            add("read_parse", started)
            yield part

    def timed_columns(*args: Any) -> Any:
        started = time.process_time()
        resources = file_resources(*args)
        add("columns", started)
        return resources

    def timed_read(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        source, parts = read_yaml_parts(*args, **kwargs)
        add("read_parse", started)
        return source, timed_parts(parts)

    def timed_validated(*args: Any) -> Any:
        started = time.process_time()
        found, model, locate = validated(*args)
        add("validate", started)

        def timed_found() -> Iterable[Any]:
            started = time.process_time()
            issues = list(found())
            add("checks", started)
            return issues

        return timed_found, model, locate

    def timed_resources(*args: Any) -> list[Any]:
        started = time.process_time()
        resources = list(to_resources(*args))
        add("resources", started)
        return resources

    def timed_check(check: StagedCheck) -> StagedCheck:
        upserts = check.upserts

        def timed_upserts(*args: Any) -> Any:
            started = time.process_time()
            changes = upserts(*args)
            add("upserts", started)
            return changes

        return dataclasses.replace(check, upserts=timed_upserts)

    # (set by name: a wrapper is not of the type the attribute is declared with)
    wrapped = {
        "read_yaml_parts": timed_read,
        "_validated": timed_validated,
        "file_resources": timed_columns,
    }
    for name, wrapper in wrapped.items():
        setattr(loader, name, wrapper)
    vars(fmt)["to_resources"] = timed_resources  # (the instance's own, before the method)
    try:
        yield timed_check
    finally:
        for name, original in (
            ("read_yaml_parts", read_yaml_parts),
            ("_validated", validated),
            ("file_resources", file_resources),
        ):
            setattr(loader, name, original)
        del vars(fmt)["to_resources"]
