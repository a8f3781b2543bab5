"""The login sent before the project's configuration is validated, and adopted only when it
was the very login the validated configuration sends.

A command that reads its target (plan, drift, export, apply) used to send its login after
importing click, pydantic, httpx and asyncio and validating catalogsync.yaml: ~0.45 s of
CPU before the first byte left. `start`, the process's first step (`catalogsync.launch`),
reads catalogsync.yaml with libyaml alone, works out the target, its credentials and HTTP
settings as the validated configuration would, and sends that login from a thread of its
own (a plain socket, h11 for HTTP/1.1, TLS verified as httpx verifies it), while
the command imports and validates as it always did.

It is a guess, and never more: when the command's client opens its session it asks for the
early login with the login it would send itself (`claim`: the same URL, the same request,
credentials included, the same HTTP settings), and takes its answer only if all of it is
equal and the answer is a session (`http.sessions.Sessions`); its exchange is then counted
(`--stats`) and recorded (`--record`) as the client's own login. Anything else drops it, and
the command goes on exactly as without it: another target or other credentials, different
settings, an unreadable file, an unset variable, a refused or failed early login (the
client's own login then runs, and fails as it always failed, with the same message and exit
code). A dropped early login is neither counted nor recorded; its session, if it got one, is
never used and left to expire, as every session catalogsync leaves is (it does not log out).

Nothing here prints, raises or exits: any doubt means no early login. Whatever this module
does not understand exactly (an option it does not know, `--help`, a proxy set
in the environment, which httpx would go through, an URL other than https:// or loopback http://)
means no early login too.
"""

from __future__ import annotations

import dataclasses
import io
import ipaddress
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from catalogsync import __version__
from catalogsync.catalog_cache_keys import hinted_counts
from catalogsync.http import tls
from catalogsync.http.settings import HttpSettings
from catalogsync.logins import EarlyLogin, EarlyRead, LoginRequest
from catalogsync.registry import early_login
from catalogsync.secret_file import read_secret_file

#: The commands that read their target, and the credentials each uses (`config.Access`).
ACCESS = {"plan": "read", "drift": "read", "export": "read", "apply": "write"}
#: The commands that begin with a full read of their target (`EarlyLogin.reads`).
_READ_FIRST = frozenset({"plan", "drift", "export"})
CONFIG_FILE = "catalogsync.yaml"  # config.CONFIG_FILE (that module imports pydantic)
STATE_DIR = ".catalogsync"  # config.Project.state_dir
#: The group's options (`catalogsync.cli.cli`) taking a value, and its flags.
_GROUP_VALUED = ("-C", "--project", "--color")
_GROUP_FLAGS = ("--debug",)
#: Anything meaning "no command will run": no login either.
_NO_RUN = frozenset({"-h", "--help", "--version"})
#: The project settings (`config.Settings`) the HTTP policy takes, by `HttpSettings` name
#: (`backends.project_settings.http_settings`).
_HTTP_SETTINGS = {
    "timeout_seconds": "timeout_seconds",
    "max_retries": "max_retries",
    "rate_limit": "rate_limit_per_second",
    "concurrency": "concurrency",
}
#: The proxies httpx reads from the environment (trust_env): a login going around them
#: would not be the client's login.
_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@dataclass(frozen=True)
class Intent:
    """A login as the client of a target sends it: where, what, and under which policy."""

    base_url: str
    login: LoginRequest
    settings: HttpSettings
    allow_insecure_http: bool


@dataclass(frozen=True)
class Exchange:
    """What the early login (or an early read) sent and got back (headers as sent and
    received); a login's carries the reads sent behind it (`reads`)."""

    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    reason: str
    http_version: str
    headers: list[tuple[str, str]]
    body: bytes
    started_wall: float  # time.time() when it was sent
    started_clock: float  # time.monotonic() then (the rate limiter's clock)
    seconds: float
    target: str = ""  # the request's path and query as sent
    reads: EarlyReads | None = None


class NotStarted(Exception):
    """A read the login thread never started: the client that took over sends it itself."""


#: What `EarlyReads` keeps of an answer the client has taken: that it is done.
_TAKEN: Future[Exchange] = Future()
_TAKEN.cancel()


class EarlyReads:
    """The reads the login thread sends once its login got a session (`EarlyLogin.reads`),
    with that session, as the client's policy would: at most `concurrency` at once, their
    starts `1 / rate_limit` apart counting from the login's.

    The thread starts them all in their order, the whole read on its pace, while the
    command imports, loads and decodes. Once the client that adopts the login first asks
    for a request it follows them (`follow`): it may wait for a read not started yet, and
    the thread skips any read the client gave up on before its start (its answer's future
    cancelled: a page the read dropped). Once the client sends anything itself, or closes,
    it takes them over (`stop`): none is started from then on, each one started is the
    client's to take when it sends that very read (`HttpClient.adopt_early_reads`), and
    each one not started answers `NotStarted`, for the client to send."""

    def __init__(self, reads: Sequence[EarlyRead], session: dict[str, str]) -> None:
        self.reads = tuple(reads)
        #: The session headers they are sent with.
        self.session = dict(session)
        self._lock = threading.Lock()
        self._stopped = False
        #: Each read's answer, by `EarlyRead.key`, made now: the client may wait for a
        #: read before it is started (a read listed twice is sent once).
        self._answers: dict[tuple[Any, ...], Future[Exchange]] = {}
        for read in self.reads:
            self._answers.setdefault(read.key(), Future())
        self._unstarted = list(dict.fromkeys(read.key() for read in self.reads))
        self._by_key = {read.key(): read for read in self.reads}
        #: (read, time.monotonic() when it started, its answer), in the order started.
        self._started: list[tuple[EarlyRead, float, Future[Exchange]]] = []

    def start(self, read: EarlyRead) -> Future[Exchange] | None:
        """Note `read` as started now, unless the client has taken over (or it is not one
        of these reads still to start)."""
        with self._lock:
            key = read.key()
            if self._stopped or key not in self._unstarted:
                return None
            self._unstarted.remove(key)
            return self._started_now(key)

    def next(self) -> tuple[EarlyRead, Future[Exchange]] | None:
        """The next read to start, noted as started now (skipping any the client gave up
        on); None once the client has taken over, or none is left."""
        with self._lock:
            while not self._stopped and self._unstarted:
                answer = self._started_now(self._unstarted.pop(0))
                if answer is not None:
                    return self._started[-1][0], answer
            return None

    def _started_now(self, key: tuple[Any, ...]) -> Future[Exchange] | None:
        answer = self._answers[key]
        # Running: a client that gives up waiting for it from now on (asyncio.wrap_future
        # cancels the future it waits on) cannot cancel it under the thread that answers
        # it. A future cancelled before is a read the client gave up on: not sent.
        if not answer.set_running_or_notify_cancel():
            return None
        self._started.append((self._by_key[key], time.monotonic(), answer))
        return answer

    def taken(self, key: tuple[Any, ...]) -> None:
        """The client has taken the answer of the read `key` (started, and done): let go of
        it here. Kept, every page the thread sent stayed in memory until the client closed
        (at M ~20 MB more at the read's peak; at L, with the page worker, more)."""
        with self._lock:
            answer = self._answers.get(key)
            if answer is None or not answer.done() or key in self._unstarted:
                return
            del self._answers[key]
            self._started = [
                (read, clock, _TAKEN if started is answer else started)
                for read, clock, started in self._started
            ]

    def follow(self) -> dict[tuple[Any, ...], Future[Exchange]]:
        """Every read's answer, by key, started or not (see the class)."""
        with self._lock:
            return dict(self._answers)

    def stop(self) -> list[tuple[EarlyRead, float, Future[Exchange]]]:
        """Start no more; the reads started, each with when it started and its answer (each
        one not started answers `NotStarted`)."""
        with self._lock:
            self._stopped = True
            unstarted, self._unstarted = self._unstarted, []
            started = list(self._started)
        for key in unstarted:
            answer = self._answers[key]
            if answer.set_running_or_notify_cancel():
                answer.set_exception(NotStarted())
        return started


@dataclass(frozen=True)
class _Pending:
    intent: Intent
    answer: Future[Exchange]


_pending: _Pending | None = None
_lock = threading.Lock()


def start(argv: Sequence[str], environ: Mapping[str, str] = os.environ) -> None:
    """Send the login `argv` (catalogsync's arguments) would send, if it is sure of it."""
    global _pending
    try:
        found = _early(argv, environ)
    except Exception:  # any doubt is no early login; the command reports what is wrong
        return
    if found is None:
        return
    intent, login_of, name, project = found
    answer: Future[Exchange] = Future()
    with _lock:
        _pending = _Pending(intent, answer)
    # The reads behind the login: for the commands whose first step is a full read of
    # their target (`apply`'s reads depend on its plan file and waves: none).
    reads = None
    if name in _READ_FIRST and login_of.session is not None and login_of.reads is not None:
        reads = _ReadsOf(login_of.session, login_of.reads, project, dict(environ))
    threading.Thread(
        target=_send, args=(intent, answer, reads), name="catalogsync-early-login", daemon=True
    ).start()
    # The client that adopts this login will need the TLS context httpx makes (even for
    # http://): made meanwhile on the other core (`http.tls`).
    tls.make_ahead()


def claim(intent: Intent) -> Future[Exchange] | None:
    """The early login's answer (on its way) if it is `intent`'s login; None otherwise.

    The early login is forgotten either way: only the first client asks, and an early
    login another client would have sent is dropped."""
    global _pending
    with _lock:
        pending, _pending = _pending, None
    if pending is None or pending.intent != intent:
        return None
    return pending.answer


# -- reading catalogsync.yaml as the validated configuration will ------------------------


def intent_of(argv: Sequence[str], environ: Mapping[str, str]) -> Intent | None:
    """The login `catalogsync ARGV` sends, if this quick reading is sure of it; else None."""
    found = _early(argv, environ)
    return None if found is None else found[0]


def _early(
    argv: Sequence[str], environ: Mapping[str, str]
) -> tuple[Intent, EarlyLogin, str, Path] | None:
    """`intent_of`, with how its backend logs in, the command's name and its project."""
    command = _command(argv)
    if command is None or any(k.upper() in _PROXIES for k in environ if environ[k]):
        return None
    project, name, target_name = command
    access = ACCESS.get(name)
    if access is None:
        return None
    import yaml  # libyaml's parser (PyYAML): the config is parsed fully later, with ruamel

    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return None
    config = yaml.load((project / CONFIG_FILE).read_bytes(), Loader=loader)
    if not isinstance(config, dict):
        return None
    backend, targets = config.get("backend"), config.get("targets")
    login_of = early_login(backend) if isinstance(backend, str) else None
    if login_of is None or not isinstance(targets, dict):
        return None
    target_name = target_name or config.get("default_target")
    if target_name is None and len(targets) == 1:
        target_name = next(iter(targets))
    target = targets.get(target_name)
    if not isinstance(target, dict):
        return None
    url = target.get("url")
    if not isinstance(url, str):
        return None
    allow_insecure_http = target.get("allow_insecure_http", False)
    if not _safe_url(url) or not isinstance(allow_insecure_http, bool):
        return None
    credentials = _credentials(target, access, login_of.fields, project, environ)
    settings = _http_settings(config.get("settings", {}))
    if credentials is None or settings is None:
        return None
    login = login_of.request(credentials, environ)
    if login is None:
        return None
    return Intent(url, login, settings, allow_insecure_http), login_of, name, project


def _command(argv: Sequence[str]) -> tuple[Path, str, str | None] | None:
    """The project folder, command name and `--target` of `argv`, read as click reads
    them; None for anything unusual."""
    args = list(argv)
    if _NO_RUN.intersection(args):
        return None
    project = "."
    while args and args[0].startswith("-"):
        option, equals, value = args.pop(0).partition("=")
        if option in _GROUP_FLAGS and not equals:
            continue
        if option not in _GROUP_VALUED:
            return None
        if not equals:
            if not args:
                return None
            value = args.pop(0)
        if option != "--color":
            project = value
    if not args:
        return None
    name, *rest = args
    target: str | None = None
    for index, arg in enumerate(rest):
        option, equals, value = arg.partition("=")
        if option in ("-t", "--target"):
            if not equals:
                if index + 1 >= len(rest):
                    return None
                value = rest[index + 1]
            if target is not None:
                return None  # given twice: leave it to click
            target = value
        elif arg.startswith("-t") and not arg.startswith("--"):
            return None  # `-tNAME`, or short flags bundled with it: leave it to click
    if name == "apply" and target is None and any(not arg.startswith("-") for arg in rest):
        # `apply PLANFILE` runs against the plan's own target when none is named: not
        # necessarily the default one (and this reading tells a plan file from an option's
        # value no better than it must).
        return None
    return Path(project), name, target


def _safe_url(url: Any) -> bool:
    """https://, or http:// to this machine: where the client sends credentials without
    `allow_insecure_http` (`http.urls.check_base_url`), with nothing to quote or escape."""
    if not isinstance(url, str) or not url.isascii() or not url.isprintable() or " " in url:
        return False
    parts = urlsplit(url)
    if parts.query or parts.fragment or "@" in parts.netloc or not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _credentials(
    target: dict[str, Any],
    access: str,
    fields: Sequence[str],
    project: Path,
    environ: Mapping[str, str],
) -> dict[str, str] | None:
    """The credential values `access` uses (`config.Target.for_access`), each read from its
    variable or file as `config.SecretSource.resolve` reads it; None if any is missing."""
    chosen = target
    if "read" in target or "write" in target:
        chosen = target.get(access)  # type: ignore[assignment]
        if not isinstance(chosen, dict) or any(field in target for field in fields):
            return None
    values: dict[str, str] = {}
    for field in fields:
        source = chosen.get(field)
        if source is None:
            continue
        if not isinstance(source, dict) or len(source) != 1:
            return None
        ((kind, where),) = source.items()
        if not isinstance(where, str):
            return None
        if kind == "env":
            value = environ.get(where, "")
        elif kind == "file":
            value = read_secret_file(project / where)
        else:
            return None
        if not value:
            return None
        values[field] = value
    if "username" not in values or "password" not in values:
        return None
    return values


def _http_settings(settings: Any) -> HttpSettings | None:
    """The HTTP policy of the project's settings (`project_settings.http_settings`), if all
    of them are plain numbers; the rest of `settings:` is validated later."""
    if not isinstance(settings, dict):
        return None
    given: dict[str, float] = {}
    for name, http_name in _HTTP_SETTINGS.items():
        if name in settings:
            value = settings[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return None
            given[http_name] = value
    return HttpSettings(**given)  # type: ignore[arg-type]


# -- sending it ------------------------------------------------------------------------


@dataclass(frozen=True)
class _ReadsOf:
    """What the reads behind a login are made of (`EarlyLogin.session`, `.reads`)."""

    session: Callable[[int, bytes], dict[str, str] | None]
    reads: Callable[[Mapping[str, int] | None], tuple[EarlyRead, ...]]
    project: Path
    environ: dict[str, str]

    def behind(self, sent: Exchange) -> EarlyReads | None:
        """The reads to send behind a login that got a session: given the counts the
        catalog cache's entry names (a hint, unchecked), unless the cache is switched off."""
        session = self.session(sent.status, sent.body)
        if session is None:
            return None
        reads = self.reads(hinted_counts(self.project / STATE_DIR, self.environ))
        return EarlyReads(reads, session) if reads else None


def _send(intent: Intent, answer: Future[Exchange], reads_of: _ReadsOf | None = None) -> None:
    if not answer.set_running_or_notify_cancel():
        return
    reads = None
    try:
        sent = exchange(intent)
        reads = reads_of.behind(sent) if reads_of is not None else None
        if reads is not None:
            sent = dataclasses.replace(sent, reads=reads)
        answer.set_result(sent)
    except BaseException as exc:  # the claimer decides what it means; nothing is raised here
        answer.set_exception(exc)
        return
    if reads is not None:
        _send_reads(intent, reads, sent.started_clock)


def _send_reads(intent: Intent, reads: EarlyReads, login_started: float) -> None:
    """Each read in turn on a thread of its own, under the client's policy: at most
    `concurrency` at once (a slot taken first, as `HttpClient.request` takes it), their
    starts `1 / rate_limit` apart (the login's start first) as the client's rate limit
    schedules them (`http.pacing.TokenBucket`: each one due that long after the one before
    was due, or as soon as it has its slot when that is past)."""
    settings = intent.settings
    rate = settings.rate_limit_per_second
    interval = 1.0 / rate if rate > 0 else 0.0
    slots = threading.BoundedSemaphore(settings.concurrency)
    next_start = login_started + interval
    try:
        while True:
            slots.acquire()
            now = time.monotonic()
            due = max(now, next_start)
            next_start = due + interval
            if due > now:
                time.sleep(due - now)
            # Due, not woken: a start this thread makes late, waiting for the interpreter
            # while the command decodes a large page in C (at L a 63 MB page, ~0.09 s), no
            # longer puts off every start after it (a read's last answers) by as much.
            started = reads.next()
            if started is None:  # the client has taken over (it sends the rest), or all sent
                slots.release()
                return
            read, answer = started
            try:
                threading.Thread(
                    target=_read, args=(intent, reads, read, answer, slots), daemon=True
                ).start()
            except BaseException as exc:
                answer.set_exception(exc)  # the client sends it itself
                raise
    finally:
        # Whatever ends this thread ends its reads: one not started is the client's to send
        # (the client may be waiting for it), never left unanswered.
        reads.stop()


def _read(
    intent: Intent,
    reads: EarlyReads,
    read: EarlyRead,
    answer: Future[Exchange],
    slots: threading.BoundedSemaphore,
) -> None:
    try:
        target = read.path
        if read.params:
            target += "?" + query_string(read.params)
        headers = {**reads.session, **read.headers}
        answer.set_result(_exchange(intent, "GET", target, headers, None, ""))
    except BaseException as exc:  # the client sends that read itself
        answer.set_exception(exc)
    finally:
        slots.release()


def query_string(params: Mapping[str, str]) -> str:
    """`params` as httpx writes them in a URL (`httpx.QueryParams`: `urlencode` with
    spaces as `+`, which `quote_plus` does)."""
    return urlencode(dict(params))


def exchange(intent: Intent) -> Exchange:
    """Send `intent`'s login and read its whole answer by its deadline (the client's
    `timeout_seconds` for one attempt), over a connection of its own."""
    login = intent.login
    if login.json is not None:
        # As httpx encodes a `json=` body.
        body = json.dumps(login.json, ensure_ascii=False, separators=(",", ":")).encode()
        content_type = "application/json"
    else:
        body = urlencode(dict(login.form or {})).encode()
        content_type = "application/x-www-form-urlencoded"
    return _exchange(intent, login.method, login.path, dict(login.headers), body, content_type)


def _exchange(
    intent: Intent,
    method: str,
    path: str,
    own_headers: Mapping[str, str],
    body: bytes | None,
    content_type: str,
) -> Exchange:
    """Send one request to `intent`'s target (`path` relative to its URL, with its query),
    and read its whole answer by the client's deadline, over a connection of its own."""
    import h11

    parts = urlsplit(intent.base_url)
    host = parts.hostname
    assert host is not None
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    headers = {
        "Host": parts.netloc,
        "Accept": "*/*",
        "Accept-Encoding": "identity",
        "Connection": "close",
        "User-Agent": f"catalogsync/{__version__}",
        **own_headers,
    }
    if body is not None:
        headers["Content-Length"] = str(len(body))
        headers["Content-Type"] = content_type
    connection = h11.Connection(h11.CLIENT)
    target = parts.path.rstrip("/") + path
    request = h11.Request(method=method, target=target, headers=list(headers.items()))
    data = connection.send(request)
    if body is not None:
        data += connection.send(h11.Data(data=body))
    data += connection.send(h11.EndOfMessage())
    timeout = intent.settings.timeout_seconds
    started_wall, started_clock, started = time.time(), time.monotonic(), time.perf_counter()
    deadline = started + timeout
    with socket.create_connection((host, port), timeout=timeout) as raw:
        sock = _tls(raw, host) if https else raw
        sock.sendall(data)
        response: Any = None
        chunks: list[bytes] = []
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                sock.settimeout(_left(deadline, timeout))
                connection.receive_data(sock.recv(65536))
            elif isinstance(event, h11.Response):
                response = event
                length = _content_length(method, response)
                if length is not None:  # the body received whole past h11 (`_body`)
                    chunks.append(_body(sock, connection, length, deadline, timeout))
                    break
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.InformationalResponse):
                continue
            else:
                raise ConnectionError(f"unexpected {type(event).__name__} from the server")
    received = [
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in response.headers
    ]
    if any(n.lower() == "content-encoding" and v.lower() != "identity" for n, v in received):
        raise ConnectionError("the server encoded the answer although asked not to")
    return Exchange(
        request_headers=list(headers.items()),
        request_body=body or b"",
        status=response.status_code,
        reason=response.reason.decode("latin-1"),
        http_version="HTTP/" + response.http_version.decode("ascii"),
        headers=received,
        body=b"".join(chunks),
        started_wall=started_wall,
        started_clock=started_clock,
        seconds=time.perf_counter() - started,
        target=path,
    )


def _left(deadline: float, timeout: float) -> float:
    """The seconds left until `deadline` (`time.perf_counter`'s), or TimeoutError."""
    left = deadline - time.perf_counter()
    if left <= 0:
        raise TimeoutError(f"no complete answer within {timeout:g}s")
    return left


def _content_length(method: str, response: Any) -> int | None:
    """The length of `response`'s body when its `Content-Length` frames it, as h11 frames
    it (`h11._connection._body_framing`, which has validated the header): None for a body
    it frames otherwise (`Transfer-Encoding`, read until the connection closes) and for a
    status or method that has none."""
    if response.status_code in (204, 304) or method == "HEAD":
        return None
    names = [name.lower() for name, _ in response.headers]
    if b"transfer-encoding" in names or b"content-length" not in names:
        return None
    return int(response.headers[names.index(b"content-length")][1])


def _body(
    sock: socket.socket, connection: Any, length: int, deadline: float, timeout: float
) -> bytes:
    """The `length` bytes of body after the answer's head, read by the same deadline: what
    h11 holds of them already, then the rest received straight into the bytes returned
    (`io.BufferedReader.read` makes them once, and the socket fills them without the GIL).
    Through h11 a page came in 64 KB at a time, each piece copied three times more (into
    h11's buffer, out of it, into bytes) and joined, with the GIL: at L the 63 MB packages'
    page was ~1,000 turns of its loop, ~0.03 s of this thread's CPU in Python and the copies
    while the command decodes the other pages. A connection closed short of `length` raises,
    as h11 does."""
    held = connection.trailing_data[0][:length]
    body = io.BufferedReader(_Received(sock, held, deadline, timeout)).read(length)
    if len(body) < length:
        raise ConnectionError(
            f"the server closed the connection {length - len(body)} bytes short of the answer"
        )
    return body


class _Received(io.RawIOBase):
    """A socket read as a file (`_body`): `held` first, then what arrives, each receive by
    the answer's deadline."""

    def __init__(self, sock: socket.socket, held: bytes, deadline: float, timeout: float):
        super().__init__()
        self._sock, self._held = sock, memoryview(held)
        self._deadline, self._timeout = deadline, timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._held:
            count = min(len(buffer), len(self._held))
            buffer[:count], self._held = self._held[:count], self._held[count:]
            return count
        self._sock.settimeout(_left(self._deadline, self._timeout))
        return self._sock.recv_into(buffer)


def _tls(raw: socket.socket, host: str) -> socket.socket:
    """The connection under TLS, verified as httpx verifies it (`verify=True`, trusting the
    environment: `SSL_CERT_FILE`, else `SSL_CERT_DIR`, else certifi's roots)."""
    import ssl

    if os.environ.get("SSL_CERT_FILE"):
        context = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    elif os.environ.get("SSL_CERT_DIR"):
        context = ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    else:
        import certifi

        context = ssl.create_default_context(cafile=certifi.where())
    context.set_alpn_protocols(["http/1.1"])
    return context.wrap_socket(raw, server_hostname=host)
