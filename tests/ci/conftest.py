"""Fixtures: the fake GitHub, an in-process client on it, and a loopback server of it.

Tests marked `ci_scenario` (the adoption walk-throughs, the GitLab run of the review-flow
scenarios) take minutes on a busy machine: deselected unless CATALOGSYNC_FULL_TESTS=1
(`./scripts/test --full`, what CI runs) or `-m ci_scenario`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

import pytest

from catalogsync.ci.context import GitHubContext
from catalogsync.ci.github import GitHubClient
from catalogsync.ci.github_provider import GitHubProvider
from catalogsync.emulator.server import ServerThread
from catalogsync.emulator.transport import SyncEmulatorTransport
from tests.ci.fake_github import FakeGitHub

TOKEN = "ghs_fakeTokenValue0123456789abcdef"

API = "https://api.github.test"


@pytest.fixture
def fake() -> FakeGitHub:
    return FakeGitHub(TOKEN)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(fake: FakeGitHub, sleeps: list[float]) -> Iterator[GitHubClient]:
    with closing(
        GitHubClient(API, TOKEN, transport=SyncEmulatorTransport(fake.app), sleep=sleeps.append)
    ) as github:
        yield github


@pytest.fixture
def ctx(fake: FakeGitHub) -> GitHubContext:
    return GitHubContext(api_url=API, repository=fake.repo, token=TOKEN)


@pytest.fixture
def provider(client: GitHubClient, ctx: GitHubContext) -> GitHubProvider:
    return GitHubProvider(client, ctx)


@pytest.fixture
def server(fake: FakeGitHub) -> Iterator[str]:
    with ServerThread(fake.app) as running:
        yield running.url
