"""`yamlio.bytes_within`: a catalog file's bytes in few system calls, as `Path.read_bytes`
reads them, with the size limit told before any read."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogsync.errors import CatalogValidationError
from catalogsync.loader import load_catalog
from catalogsync.registry import get_format
from catalogsync.yamlio import TooLarge, bytes_within


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 70_000])
def test_a_file_is_read_whole_as_read_bytes_reads_it(tmp_path: Path, size: int) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    assert bytes_within(path, 1 << 20) == path.read_bytes()


def test_a_file_whose_size_says_nothing_is_read_to_its_end() -> None:
    status = Path("/proc/self/status")  # (its size is 0, its text is not)
    if not status.exists():
        pytest.skip("no /proc here")
    text = bytes_within(status, 10)  # (the limit is told by the size: 0)
    assert text.startswith(b"Name:") and text.endswith(b"\n")


def test_a_file_over_the_limit_is_told_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"x" * 101)
    assert bytes_within(path, 101) == b"x" * 101
    with pytest.raises(TooLarge) as caught:
        bytes_within(path, 100)
    assert caught.value.size == 101


def test_a_folder_or_a_missing_file_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        bytes_within(tmp_path, 1 << 20)
    with pytest.raises(FileNotFoundError):
        bytes_within(tmp_path / "missing.yaml", 1 << 20)


def test_the_loader_words_a_folder_as_before(tmp_path: Path) -> None:
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    with pytest.raises(CatalogValidationError) as caught:
        load_catalog([folder], get_format("billingplatform"))
    (issue,) = caught.value.issues
    assert issue.message == "cannot read file: Is a directory"
