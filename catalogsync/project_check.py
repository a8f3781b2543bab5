"""`validate` in one pass: the configuration and the catalog, every problem together.

`load_project` stops at a broken catalogsync.yaml; here, when the backend and the catalog
paths can still be read, the catalog is checked as well and both sets of problems are
reported at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from catalogsync.catalog import Kind
from catalogsync.config import load_project, salvage_project
from catalogsync.errors import CatalogValidationError, ConfigError, Issue
from catalogsync.lint import lint_catalog
from catalogsync.loader import load_project_catalog
from catalogsync.registry import get_format
from catalogsync.review_config import LintLevel


@dataclass(frozen=True)
class ProjectCheck:
    """What `validate` found: the backend, the counts of a valid catalog, the problems."""

    backend: str | None
    counts: dict[Kind, int] | None
    config_issues: tuple[Issue, ...] = ()
    catalog_issues: tuple[Issue, ...] = ()
    warnings: tuple[Issue, ...] = ()  # the pricing lint's warnings (never fatal)

    @property
    def issues(self) -> tuple[Issue, ...]:
        return (*self.config_issues, *self.catalog_issues)

    @property
    def valid(self) -> bool:
        return not self.issues

    def error(self) -> ConfigError | CatalogValidationError:
        """The problems as the error the CLI prints (text format)."""
        if not self.catalog_issues:
            return ConfigError(self.config_issues)
        if not self.config_issues:
            return CatalogValidationError(self.catalog_issues)
        return ProjectValidationError(self.issues)


class ProjectValidationError(CatalogValidationError):
    """Problems in the catalog, possibly together with problems in catalogsync.yaml."""

    title = "catalogsync.yaml and catalog"


def check_project(root: Path) -> ProjectCheck:
    config_issues: tuple[Issue, ...] = ()
    try:
        project = load_project(root)
    except ConfigError as exc:
        config_issues = exc.issues
        salvaged = salvage_project(root)
        if salvaged is None:
            return ProjectCheck(None, None, config_issues)
        project = salvaged
    config = project.config
    try:
        catalog = load_project_catalog(project)
    except CatalogValidationError as exc:
        return ProjectCheck(config.backend, None, config_issues, exc.issues)
    if config_issues:  # the lint's settings are in the broken config: lint once it loads
        return ProjectCheck(config.backend, catalog.count(), config_issues)
    findings = lint_catalog(catalog, get_format(config.backend), config.lint, config.pricing)
    return ProjectCheck(
        config.backend,
        catalog.count(),
        catalog_issues=tuple(f.issue() for f in findings if f.level is LintLevel.ERROR),
        warnings=tuple(f.issue() for f in findings if f.level is LintLevel.WARNING),
    )
