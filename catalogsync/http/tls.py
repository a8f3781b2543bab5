"""The TLS context a client verifies its server with, made ahead on a thread of its own.

httpx makes its `verify=True` context when a client is made (`httpx._config.
create_ssl_context`), even for a client that never speaks TLS (an http:// target on this
machine): 0.03-0.05 s of CPU before a command's first request, nearly all of it OpenSSL
reading certifi's roots (`load_verify_locations`), which runs with the interpreter's lock
released. So a command whose login is sent early (`catalogsync.early_login`) has the very
same context made on another thread meanwhile, on the other core, and its client takes it
(`take`) instead of letting httpx make it again: the context is the one httpx would make,
from the same files, read under the same environment.
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Mapping
from concurrent.futures import Future

#: The variables httpx reads (trust_env) to choose the roots it trusts.
_ENVIRONMENT = ("SSL_CERT_FILE", "SSL_CERT_DIR")

_ahead: tuple[tuple[str | None, ...], Future[ssl.SSLContext]] | None = None
_lock = threading.Lock()


def verified_context(environ: Mapping[str, str] = os.environ) -> ssl.SSLContext:
    """httpx's context for `verify=True` (trusting the environment, as its clients do):
    `SSL_CERT_FILE`, else `SSL_CERT_DIR`, else certifi's roots."""
    if environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=environ["SSL_CERT_FILE"])
    if environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=environ["SSL_CERT_DIR"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def make_ahead() -> None:
    """Start making `verified_context()` on a thread of its own, for `take`."""
    global _ahead
    made: Future[ssl.SSLContext] = Future()
    with _lock:
        _ahead = (_environment(), made)
    threading.Thread(target=_make, args=(made,), name="catalogsync-tls", daemon=True).start()


def take() -> ssl.SSLContext | None:
    """The context made ahead, once, if the environment still chooses the same roots and
    it was made; None otherwise (the caller lets httpx make its own, as without it)."""
    global _ahead
    with _lock:
        ahead, _ahead = _ahead, None
    if ahead is None or ahead[0] != _environment():
        return None
    try:
        return ahead[1].result()
    except Exception:  # made again by httpx, which raises what is wrong, as it always did
        return None


def _make(made: Future[ssl.SSLContext]) -> None:
    if not made.set_running_or_notify_cancel():
        return
    try:
        made.set_result(verified_context())
    except BaseException as exc:
        made.set_exception(exc)


def _environment() -> tuple[str | None, ...]:
    return tuple(os.environ.get(name) or None for name in _ENVIRONMENT)
