"""How the login thread reads an answer (`catalogsync.early_login._exchange`): a body its
`Content-Length` frames is received straight into one buffer, any other framing through
h11 as before; both give the bytes the server sent, and raise where h11 raises (a body cut
short, the deadline)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import pairwise

import pytest

from catalogsync import early_login
from catalogsync.http import HttpSettings
from catalogsync.logins import LoginRequest

BODY = bytes(range(256)) * 1000  # 256,000 bytes: several receives
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


@contextmanager
def serving(pieces: Sequence[bytes], pause: float = 0.0) -> Iterator[str]:
    """A server answering one connection with `pieces`, `pause` seconds apart, then
    closing it; its URL."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        connection, _ = listener.accept()
        with connection:
            request = b""
            while b"\r\n\r\n" not in request:
                request += connection.recv(4096)
            for piece in pieces:
                try:
                    connection.sendall(piece)
                except OSError:  # the client gave up (its deadline)
                    return
                time.sleep(pause)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        thread.join(5)
        listener.close()


def read(url: str, timeout: float = 5.0) -> early_login.Exchange:
    intent = early_login.Intent(
        url, LoginRequest("/login"), HttpSettings(timeout_seconds=timeout), False
    )
    return early_login._exchange(intent, "GET", "/page", {}, None, "")


def pieces_of(answer: bytes, sizes: Sequence[int]) -> list[bytes]:
    cuts = [0, *sizes, len(answer)]
    return [answer[a:b] for a, b in pairwise(cuts) if a < b]


@pytest.mark.parametrize(
    "sizes",
    [
        (),  # the whole answer at once
        (len(HEAD) + 3,),  # the head alone, cut in the middle
        (len(HEAD) + 30, len(HEAD) + 31, 100_000),  # part of the body with the head
    ],
)
def test_a_body_framed_by_its_length_is_the_bytes_sent(sizes: Sequence[int]) -> None:
    head = HEAD + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
    with serving(pieces_of(head + BODY, [min(size, len(head) + 10) for size in sizes])) as url:
        sent = read(url)
    assert sent.status == 200 and sent.body == BODY
    assert ("content-length", str(len(BODY))) in sent.headers


def test_bytes_past_the_length_are_not_the_body() -> None:
    head = HEAD + b"Content-Length: 10\r\n\r\n"
    with serving([head + BODY[:25]]) as url:
        assert read(url).body == BODY[:10]


def test_a_chunked_body_and_one_read_until_close_go_through_h11() -> None:
    chunked = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (BODY[:1000], BODY[1000:]))
    with serving([chunked, chunks + b"0\r\n\r\n"]) as url:
        assert read(url).body == BODY
    with serving([HEAD + b"\r\n", BODY]) as url:  # no length: the body ends with the connection
        assert read(url).body == BODY


def test_an_empty_body_of_length_zero() -> None:
    with serving([HEAD + b"Content-Length: 0\r\n\r\n"]) as url:
        assert read(url).body == b""


def test_a_body_cut_short_raises() -> None:
    head = HEAD + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
    with serving([head + BODY[:1000], BODY[1000:5000]]) as url, pytest.raises(ConnectionError):
        read(url)


def test_a_body_that_stalls_past_the_deadline_raises() -> None:
    head = HEAD + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
    # Each piece comes within the timeout of the last, the whole answer not.
    pieces = [head, BODY[:1000], BODY[1000:2000], BODY[2000:]]
    with serving(pieces, pause=0.15) as url, pytest.raises(TimeoutError):
        read(url, timeout=0.3)
