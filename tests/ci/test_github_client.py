"""The GitHub client: auth header, pagination, retries, errors that never show the token."""

from __future__ import annotations

from contextlib import closing

import pytest

from catalogsync.ci.github import AmbiguousGitHubWrite, GitHubClient, GitHubError
from catalogsync.emulator.transport import SyncEmulatorTransport
from catalogsync.errors import ConfigError
from tests.ci.conftest import API, TOKEN
from tests.ci.fake_github import FakeGitHub, Fault

COMMENTS = "/repos/acme/catalog/issues/7/comments"


def test_every_request_carries_the_bearer_token(fake: FakeGitHub, client: GitHubClient) -> None:
    fake.add_comment(7, "hello")
    assert [c["body"] for c in client.paginate(COMMENTS)] == ["hello"]
    client.post(COMMENTS, {"body": "x"})
    assert fake.seen and all(s.authorization == f"Bearer {TOKEN}" for s in fake.seen)


def test_pagination_follows_link_headers_to_the_last_page(
    fake: FakeGitHub, client: GitHubClient
) -> None:
    fake.page_cap = 3
    for i in range(10):
        fake.add_comment(7, f"c{i}")
    assert [c["body"] for c in client.paginate(COMMENTS)] == [f"c{i}" for i in range(10)]
    assert [s.path for s in fake.seen] == [COMMENTS] * 4  # 3 + 3 + 3 + 1


def test_a_server_error_on_a_read_is_retried_with_backoff(
    fake: FakeGitHub, client: GitHubClient, sleeps: list[float]
) -> None:
    fake.faults += [Fault("GET", COMMENTS, 502), Fault("GET", COMMENTS, 503)]
    assert list(client.paginate(COMMENTS)) == []
    assert sleeps == [1.0, 2.0]
    assert client.requests_sent == 3


def test_a_secondary_rate_limit_waits_for_retry_after_even_for_a_post(
    fake: FakeGitHub, client: GitHubClient, sleeps: list[float]
) -> None:
    fake.faults.append(
        Fault(
            "POST", COMMENTS, 403, {"Retry-After": "7"}, "You have exceeded a secondary rate limit"
        )
    )
    client.post(COMMENTS, {"body": "x"})
    assert sleeps == [7.0]
    assert [c["body"] for c in fake.comments[7]] == ["x"]


def test_a_post_that_failed_with_5xx_is_ambiguous_not_retried(
    fake: FakeGitHub, client: GitHubClient, sleeps: list[float]
) -> None:
    fake.faults.append(Fault("POST", COMMENTS, 502, after=True))
    with pytest.raises(
        AmbiguousGitHubWrite, match=r"POST /repos/acme/catalog/issues/7/comments → 502"
    ):
        client.post(COMMENTS, {"body": "x"})
    assert sleeps == [] and len(fake.comments[7]) == 1  # it landed; the caller must look first


def test_errors_name_the_request_and_status_but_never_the_token(fake: FakeGitHub) -> None:
    transport = SyncEmulatorTransport(fake.app)
    with (
        closing(GitHubClient(API, "wrong-token", transport=transport)) as bad,
        pytest.raises(GitHubError) as caught,
    ):
        bad.get(COMMENTS)
    message = str(caught.value)
    assert (
        "GET /repos/acme/catalog/issues/7/comments → 401 Unauthorized: Bad credentials" in message
    )
    assert "GITHUB_TOKEN" in message and "wrong-token" not in message and caught.value.status == 401


def test_retries_give_up_after_the_last_attempt(fake: FakeGitHub, client: GitHubClient) -> None:
    fake.faults += [Fault("GET", COMMENTS, 500) for _ in range(4)]
    with pytest.raises(GitHubError, match="→ 500"):
        client.get(COMMENTS)
    assert client.requests_sent == 4


def test_a_next_link_to_another_host_is_not_followed(fake: FakeGitHub) -> None:
    class Evil(FakeGitHub):
        def _page(self, request, items):
            response = super()._page(request, items)
            response.headers["Link"] = '<https://evil.example/steal?page=2>; rel="next"'
            return response

    evil = Evil(TOKEN)
    refused = pytest.raises(GitHubError, match="refusing a pagination link to another host")
    with (
        closing(GitHubClient(API, TOKEN, transport=SyncEmulatorTransport(evil.app))) as github,
        refused,
    ):
        list(github.paginate(COMMENTS))
    assert len(evil.seen) == 1


def test_plain_http_is_refused_except_to_loopback() -> None:
    with pytest.raises(ConfigError, match="refusing plain http"):
        GitHubClient("http://github.internal.example/api/v3", TOKEN)
    GitHubClient("http://127.0.0.1:9", TOKEN).close()
