"""The project configuration, `catalogsync.yaml`: backend, catalog paths, targets, settings.

Credentials are never literals in this file: a target writes `username: {env: VAR}` or
`password: {file: path}` and the value is read only when the target is used, kept in a
`SecretStr`, and never printed, logged or written into a plan.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal, cast, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from catalogsync.catalog import Kind, Ref
from catalogsync.catalog_format import FORMAT_CONTEXT, KindWord
from catalogsync.errors import ConfigError, Issue
from catalogsync.registry import backend_names, emulator_profiles, get_format, get_spec
from catalogsync.review_config import LintSwitches, Policy, Pricing, RiskSettings
from catalogsync.secret_file import read_secret_file
from catalogsync.validation import validation_issues
from catalogsync.yamlio import SourceMap, YamlFileError, display_path, read_yaml_file

CONFIG_FILE = "catalogsync.yaml"
EMULATOR_URL = "emulator:"


class _Model(BaseModel):
    # Each model is built when first used (`defer_build`), not at import: a command pays only
    # for the models it validates with (tests/test_deferred_models.py: the same errors).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


def _no_literal_secret(value: Any) -> Any:
    if isinstance(value, (str, int)):
        raise ValueError(
            "credentials must not be written in catalogsync.yaml; "
            "write {env: VARIABLE} or {file: path/to/secret}"
        )
    return value


class SecretSource(_Model):
    """Where a credential comes from: an environment variable or a file."""

    env: str | None = Field(None, description="Environment variable holding the value.")
    file: str | None = Field(None, description="File holding the value (relative to project).")

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretSource:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of 'env' or 'file'")
        return self

    def resolve(self, project: Path, what: str) -> SecretStr:
        """Read the secret now. Raises ConfigError if it is not there."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if not value:
                raise ConfigError.single(f"{what}: environment variable {self.env} is not set")
            return SecretStr(value)
        assert self.file is not None
        path = project / self.file
        try:
            text = read_secret_file(path)
        except OSError as exc:
            raise ConfigError.single(f"{what}: cannot read {path}: {exc.strerror}") from exc
        except ValueError as exc:
            raise ConfigError.single(f"{what}: {path} {exc}") from exc
        return SecretStr(text)


Secret = Annotated[SecretSource, BeforeValidator(_no_literal_secret)]


#: Which credential set a command uses: plan, drift, export and doctor read; apply writes.
Access = Literal["read", "write"]


def _secrets(model: BaseModel) -> dict[str, SecretSource | None]:
    """The credential fields of a target or credential set (a backend's target model adds
    its own, e.g. an API client id), by name."""
    return {
        name: getattr(model, name)
        for name, info in type(model).model_fields.items()
        if _mentions(info.annotation, SecretSource)
    }


def _mentions(annotation: Any, wanted: type) -> bool:
    """Whether a field's type is `wanted`, or a union or Annotated form holding it."""
    return annotation is wanted or any(_mentions(a, wanted) for a in get_args(annotation))


class Credentials(_Model):
    """One credential set of a target (each value `{env: VAR}` or `{file: path}`).

    A backend whose login needs more than a username and password subclasses it (and
    Target) with its own credential fields.
    """

    username: Secret | None = None
    password: Secret | None = None

    def sources(self) -> set[str]:
        """The variables and files this set reads, e.g. {'env:BP_READ_USER'}."""
        return {
            f"env:{s.env}" if s.env else f"file:{s.file}"
            for s in _secrets(self).values()
            if s is not None
        }


class Target(_Model):
    """An environment to plan against: the embedded emulator or a billing system URL.

    Credentials: either `username`/`password` (every command uses them), or a `read` set
    (plan, drift, export, doctor: give the billing system's read-only user) and a `write`
    set that only `apply` uses, so a job that only plans never holds write credentials.
    """

    # A backend whose login needs more subclasses this (its spec's `target_model`), adding
    # the fields here and to its own `Credentials` subclass for `read`/`write`.

    url: str = Field(description=f"Org URL, or '{EMULATOR_URL}' for the embedded emulator.")
    username: Secret | None = None
    password: Secret | None = None
    allow_insecure_http: bool = Field(
        False, description="Allow a plain http:// URL that is not loopback (never in production)."
    )
    emulator_profile: str | None = Field(
        None,
        description=(
            f"With url '{EMULATOR_URL}': the emulator's variant profile (default 'strict', what "
            "the vendor documents show); `catalogsync emulator serve --help` lists them."
        ),
    )

    read: Credentials | None = Field(
        None, description="Credentials of plan, drift, export and doctor (a read-only user)."
    )
    write: Credentials | None = Field(None, description="Credentials only apply uses.")

    @field_validator("url")
    @classmethod
    def _a_url(cls, value: str) -> str:
        return check_target_url(value)

    @property
    def is_emulator(self) -> bool:
        return self.url.startswith(EMULATOR_URL)

    @model_validator(mode="after")
    def _one_way_to_give_credentials(self) -> Target:
        shared = any(v is not None for v in _secrets(self).values())
        if shared and (self.read is not None or self.write is not None):
            raise ValueError(
                "give credentials either as username/password (every command uses them) "
                "or as `read:` and `write:` sets, not both"
            )
        if (self.read is None) != (self.write is None):
            given, missing = ("read", "write") if self.write is None else ("write", "read")
            raise ValueError(
                f"a `{given}:` credential set needs a `{missing}:` set too "
                "(read: plan, drift, export, doctor; write: apply)"
            )
        if self.read is not None and self.write is not None:
            same = self.read.sources() & self.write.sources()
            if same:
                raise ValueError(
                    "the read and write sets share "
                    + ", ".join(sorted(same))
                    + ": a job that only plans would hold the write credentials"
                )
        return self

    def for_access(self, access: Access) -> Target:
        """This target with the credentials `access` uses as its username/password."""
        chosen = self.write if access == "write" else self.read
        if chosen is None:
            return self
        update: dict[str, Any] = {name: None for name in _secrets(self)}
        update.update(_secrets(chosen))
        return self.model_copy(update={**update, "read": None, "write": None})


def check_target_url(url: str) -> str:
    """`emulator:` or an http(s) URL with a host; anything else fails here, with its line,
    rather than later with a misleading message (a missing password, a connection error).
    """
    if url.startswith(EMULATOR_URL):
        return url
    if "@" in url.partition("://")[2].split("/", 1)[0]:
        # Printed in plans, PR comments and messages: a password there leaks (not echoed).
        raise ValueError(
            "the URL must not carry credentials (user:pass@); give them as "
            "username/password from {env: VAR} or {file: path}"
        )
    scheme, sep, rest = url.partition("://")
    if not sep:
        hint = ""
        if "emulator" in url:
            hint = ' (the embedded emulator is "emulator:", with the colon)'
        raise ValueError(f'{url!r} is not a URL{hint}; expected https://host/... or "emulator:"')
    if scheme.lower() not in ("http", "https"):
        raise ValueError(f"unsupported URL scheme {scheme!r} in {url!r}; use https://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    if not host or any(c.isspace() for c in url):
        raise ValueError(f"{url!r} has no host (or contains spaces); expected https://host/...")
    return url


class Settings(_Model):
    """How catalogsync talks to the billing system."""

    batch_size: int = Field(200, ge=1, le=10_000, description="Records per write request.")
    concurrency: int = Field(4, ge=1, le=32, description="Requests in flight at once.")
    rate_limit: float = Field(15.0, ge=0, description="Requests per second (0: no limit).")
    timeout_seconds: float = Field(60.0, gt=0, description="Timeout of one HTTP request.")
    max_retries: int = Field(5, ge=0, le=20, description="Retries of a failed request.")
    recheck_waves: bool = Field(
        True,
        description="Re-read the live catalog before each write wave of an apply and stop "
        "(exit 3) if another writer moved its objects.",
    )
    settle_seconds: float = Field(
        120.0,
        ge=0,
        le=3600,
        description="After a create whose outcome is unclear (timeout, dropped connection), "
        "keep re-reading for this long before calling it not created. Cover the server's "
        "own request timeout: a create it is still running lands later.",
    )


class Guards(_Model):
    """Refuse plans that change too much of a kind (octoDNS's defaults)."""

    max_change_share: float = Field(
        0.30, ge=0, le=1, description="Largest share of a kind's live objects to update/delete."
    )
    min_objects: int = Field(
        10, ge=0, description="The share guard applies once a kind has this many live objects."
    )


class ObjectRule(_Model):
    """Selects objects by kind and name globs (`*`, `?`, `[abc]`)."""

    kind: KindWord = Field(
        description="product, package or package_product (package-product works too), or "
        "what the project's backend calls it (e.g. service, package_service)."
    )
    names: tuple[str, ...] = Field(("*",), description="Name globs; default: every name.")

    def matches(self, ref: Ref) -> bool:
        return ref.kind is self.kind and any(
            fnmatch.fnmatchcase(ref.label, pattern) for pattern in self.names
        )


class IgnoreRule(ObjectRule):
    """Fields another system owns: never compared, never written."""

    fields: tuple[str, ...] = Field(min_length=1)


class LockSettings(_Model):
    """An optional apply lock: one apply per target at a time (see the README's
    "Concurrent applies"). A file every pipeline applying to the target can see."""

    path: str = Field(
        description="Lock file; `{target}` is replaced by the target name. Relative paths "
        "are relative to the project. Only useful where every pipeline shares this path."
    )
    wait_seconds: float = Field(
        0, ge=0, le=86_400, description="How long to wait for a held lock (0: refuse at once)."
    )
    stale_after_seconds: float = Field(
        3600,
        gt=0,
        description="A lock older than this is taken over (its holder died without a release).",
    )


class ProjectConfig(_Model):
    """catalogsync.yaml."""

    backend: str = Field(description=f"One of: {', '.join(backend_names())}.")
    catalog: tuple[str, ...] = Field(
        (".",), description="Catalog files and folders, relative to the project."
    )
    default_target: str | None = None
    targets: dict[str, Target] = Field(default_factory=dict)
    settings: Settings = Settings()
    guards: Guards = Guards()
    prune: tuple[ObjectRule, ...] = Field(
        (), description="Objects catalogsync may delete when they are not declared."
    )
    protect: tuple[ObjectRule, ...] = Field(
        (), description="Objects that must never be deleted, whatever the flags."
    )
    ignore: tuple[IgnoreRule, ...] = Field(
        (), description="Fields another system owns: never compared, never written."
    )
    allow_delete: bool = Field(False, description="Apply planned deletes without --allow-delete.")
    pricing: Pricing = Pricing()
    risk: RiskSettings = RiskSettings()
    policies: tuple[Policy, ...] = Field(
        (), description="Rules every plan must keep, evaluated at plan time (exit 3)."
    )
    lint: LintSwitches = LintSwitches()
    lock: LockSettings | None = Field(
        None, description="Serialise applies to one target through a shared lock file."
    )
    allow_catalog_outside_project: bool = Field(
        False,
        description="Read catalog paths outside the project folder (absolute or through '..').",
    )

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value not in backend_names():
            raise ValueError(f"unknown backend {value!r}; expected one of {list(backend_names())}")
        return value

    @field_validator("catalog", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def target(self, name: str | None) -> tuple[str, Target]:
        """The named target, or the default one (the only one, or `default_target`)."""
        chosen = name or self.default_target
        if chosen is None:
            if len(self.targets) == 1:
                chosen = next(iter(self.targets))
            else:
                names = ", ".join(sorted(self.targets)) or "none defined"
                raise ConfigError.single(f"choose a target with --target ({names})")
        if chosen not in self.targets:
            known = ", ".join(sorted(self.targets)) or "none defined"
            raise ConfigError.single(f"unknown target '{chosen}' (targets: {known})")
        return chosen, self.targets[chosen]


@functools.cache
def config_model(backend: str | None) -> type[ProjectConfig]:
    """catalogsync.yaml's model for a project of `backend`: its targets take that backend's
    target model (with the backend's own credential fields). An unknown backend gets the
    shared model (the unknown name is the error reported)."""
    if backend not in backend_names():
        return ProjectConfig
    return _with_target_model(get_spec(backend).target_model)


def _with_target_model(target: type[Target]) -> type[ProjectConfig]:
    if target is Target:
        return ProjectConfig
    targets: Any = (dict[str, target], Field(default_factory=dict))  # type: ignore[valid-type]
    return create_model(
        "ProjectConfig", __base__=ProjectConfig, __doc__=ProjectConfig.__doc__, targets=targets
    )


def config_schema_text() -> str:
    """JSON Schema of catalogsync.yaml (for editors; `catalogsync schema` writes it): one
    schema for every backend, so a target may carry any backend's credential fields."""
    models = {get_spec(name).target_model for name in backend_names()}
    # Those no other extends (Target itself when a backend adds fields), most fields first.
    leaves = sorted(
        (m for m in models if not any(o is not m and issubclass(o, m) for o in models)),
        key=lambda m: (-len(m.model_fields), m.__name__),
    )
    merged = create_model("Target", __base__=tuple(leaves), __doc__=Target.__doc__)
    schema = _with_target_model(cast("type[Target]", merged)).model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "catalogsync project configuration (catalogsync.yaml)"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


class Project:
    """A loaded catalog project: its folder and its configuration."""

    def __init__(self, root: Path, config: ProjectConfig) -> None:
        self.root = root
        self.config = config

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def state_dir(self) -> Path:
        """Where the embedded emulator keeps its state."""
        return self.root / ".catalogsync"


def _describe(model: type[BaseModel]) -> str:
    names = {
        Target: "target",
        Settings: "settings",
        Guards: "guards",
        SecretSource: "credential",
        Pricing: "pricing",
        RiskSettings: "risk",
        Policy: "policy",
        LintSwitches: "lint",
        LockSettings: "lock",
    }
    # A backend's own target model is a Target (and its credential sets are Credentials).
    known = next((names[base] for base in model.__mro__ if base in names), None)
    return known or ("rule" if issubclass(model, ObjectRule) else CONFIG_FILE)


def salvage_project(root: Path) -> Project | None:
    """The backend and catalog paths of a config with problems elsewhere, or None.

    `validate` uses it to check the catalog in the same pass as a broken target or guard,
    so that fixing catalogsync.yaml does not reveal a second round of problems.
    """
    path = root / CONFIG_FILE
    try:
        data = read_yaml_file(path, display_path(path)).data
    except (YamlFileError, OSError):
        return None
    if not isinstance(data, dict):
        return None
    try:
        config = ProjectConfig.model_validate(
            {key: data[key] for key in ("backend", "catalog") if key in data}
        )
    except ValidationError:
        return None
    return Project(root, config)


def _context(data: Any) -> dict[str, Any]:
    """Validation context: the catalog format of the backend the file names, if known."""
    backend = _backend_of(data)
    if backend in backend_names():
        return {FORMAT_CONTEXT: get_format(backend)}
    return {}


def load_project(root: Path) -> Project:
    """Read and validate `catalogsync.yaml` in `root`.

    Raises:
        ConfigError: the file is missing or has problems (all of them, located).
    """
    path = root / CONFIG_FILE
    if not path.is_file():
        raise ConfigError.single(
            f"no {CONFIG_FILE} in {display_path(root)} (use -C DIR to point at a catalog project)"
        )
    try:
        document = read_yaml_file(path, display_path(path))
    except YamlFileError as exc:
        raise ConfigError([exc.issue]) from exc
    try:
        model = config_model(_backend_of(document.data))
        config = model.model_validate(document.data, context=_context(document.data))
    except ValidationError as exc:
        raise ConfigError(validation_issues(exc, document.source, model, _describe)) from exc
    issues = _emulator_profile_issues(config, document.source)
    unknown = [t for t in [config.default_target] if t and t not in config.targets]
    if unknown:
        issues.append(
            Issue(
                f"default_target '{unknown[0]}' is not a target",
                document.source.value(("default_target",)),
            )
        )
    issues += _policy_issues(config, document.source)
    if issues:
        raise ConfigError(issues)
    return Project(root, config)


def _backend_of(data: Any) -> str | None:
    backend = data.get("backend") if isinstance(data, dict) else None
    return backend if isinstance(backend, str) else None


def _emulator_profile_issues(config: ProjectConfig, source: SourceMap) -> list[Issue]:
    """A target's `emulator_profile` must name one of its backend's emulator profiles, and
    only an `emulator:` target may have one."""
    issues: list[Issue] = []
    for name, target in config.targets.items():
        if target.emulator_profile is None:
            continue
        where = source.value(("targets", name, "emulator_profile"))
        if not target.is_emulator:
            message = f"target '{name}': emulator_profile applies only to url '{EMULATOR_URL}'"
            issues.append(Issue(message, where))
            continue
        known = emulator_profiles(config.backend)
        if target.emulator_profile not in known:
            message = (
                f"target '{name}': unknown emulator_profile '{target.emulator_profile}' "
                f"for {config.backend}; known profiles: {', '.join(known)}"
            )
            issues.append(Issue(message, where))
    return issues


def _policy_issues(config: ProjectConfig, source: SourceMap) -> list[Issue]:
    """Duplicate policy names, and price rules on a backend whose catalog has no prices."""
    issues, seen = [], set()
    priced = any(get_format(config.backend).money_fields(kind) for kind in Kind)
    for index, policy in enumerate(config.policies):
        if policy.name in seen:
            issues.append(
                Issue(
                    f"policy name '{policy.name}' is used twice",
                    source.value(("policies", index, "name")),
                )
            )
        seen.add(policy.name)
        if policy.rule.needs_prices and not priced:
            issues.append(
                Issue(
                    f"policy '{policy.name}': rule {policy.rule.value} needs prices, and "
                    f"{config.backend} catalogs have none",
                    source.value(("policies", index, "rule")),
                )
            )
    return issues
