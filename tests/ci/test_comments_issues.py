"""Comment upsert (one per target) and the drift issue lifecycle, against the fake GitHub."""

from __future__ import annotations

from catalogsync.ci.comments import Outcome, upsert_comment
from catalogsync.ci.github_provider import GitHubProvider
from catalogsync.ci.issues import IssueAction, sync_drift_issue
from tests.ci.fake_github import FakeGitHub, Fault

PROD = "<!-- catalogsync-plan:prod -->"
STAGING = "<!-- catalogsync-plan:staging -->"
DRIFT = "<!-- catalogsync-drift:prod -->\n### Drift on prod\n"


def test_create_then_update_leaves_one_comment(fake: FakeGitHub, provider: GitHubProvider) -> None:
    first = upsert_comment(provider, 7, PROD, PROD + "\nplan v1")
    second = upsert_comment(provider, 7, PROD, PROD + "\nplan v2")
    third = upsert_comment(provider, 7, PROD, PROD + "\nplan v2")
    assert (first.outcome, second.outcome, third.outcome) == (
        Outcome.CREATED,
        Outcome.UPDATED,
        Outcome.UNCHANGED,
    )
    assert first.comment_id == second.comment_id == third.comment_id
    assert [c["body"] for c in fake.comments[7]] == [PROD + "\nplan v2"]
    assert [s.method for s in fake.seen].count("PATCH") == 1  # an unchanged body is not re-sent


def test_each_target_has_its_own_comment(fake: FakeGitHub, provider: GitHubProvider) -> None:
    upsert_comment(provider, 7, PROD, PROD + "\nprod plan")
    upsert_comment(provider, 7, STAGING, STAGING + "\nstaging plan")
    upsert_comment(provider, 7, PROD, PROD + "\nprod plan 2")
    assert [c["body"] for c in fake.comments[7]] == [
        PROD + "\nprod plan 2",
        STAGING + "\nstaging plan",
    ]


def test_the_marked_comment_is_found_on_a_later_page(
    fake: FakeGitHub, provider: GitHubProvider
) -> None:
    fake.page_cap = 5
    for i in range(7):
        fake.add_comment(7, f"review comment {i}")
    ours = fake.add_comment(7, PROD + "\nold plan", login="github-actions[bot]")
    for i in range(4):
        fake.add_comment(7, f"later comment {i}")
    posted = upsert_comment(provider, 7, PROD, PROD + "\nnew plan")
    assert posted.outcome is Outcome.UPDATED and posted.comment_id == ours["id"]
    assert len(fake.comments[7]) == 12 and len(fake.marked(7, PROD)) == 1
    assert ours["body"] == PROD + "\nnew plan"


def test_a_comment_quoting_the_marker_later_in_its_body_is_not_ours(
    fake: FakeGitHub, provider: GitHubProvider
) -> None:
    quoted = fake.add_comment(7, "> as the bot said:\n" + PROD + "\nplan")
    posted = upsert_comment(provider, 7, PROD, PROD + "\nplan")
    assert posted.outcome is Outcome.CREATED and quoted["body"].startswith("> as the bot said")


def test_only_the_given_author_is_trusted(fake: FakeGitHub, provider: GitHubProvider) -> None:
    forged = fake.add_comment(7, PROD + "\nforged", login="mallory")
    posted = upsert_comment(provider, 7, PROD, PROD + "\nreal", author="github-actions[bot]")
    assert posted.outcome is Outcome.CREATED and forged["body"] == PROD + "\nforged"


def test_a_create_that_landed_despite_a_502_is_not_duplicated(
    fake: FakeGitHub, provider: GitHubProvider
) -> None:
    fake.faults.append(Fault("POST", "/repos/acme/catalog/issues/7/comments", 502, after=True))
    posted = upsert_comment(provider, 7, PROD, PROD + "\nplan")
    assert posted.outcome is Outcome.UNCHANGED  # found the one GitHub made; nothing to change
    assert len(fake.comments[7]) == 1


def test_drift_opens_one_issue_then_updates_it(fake: FakeGitHub, provider: GitHubProvider) -> None:
    fake.add_issue(
        "Catalog drift: prod", pull_request=True, labels=("catalog-drift",)
    )  # a PR: ignored
    opened = sync_drift_issue(provider, "prod", body=DRIFT + "one change")
    updated = sync_drift_issue(provider, "prod", body=DRIFT + "two changes")
    same = sync_drift_issue(provider, "prod", body=DRIFT + "two changes")
    assert (opened.action, updated.action, same.action) == (
        IssueAction.OPENED,
        IssueAction.UPDATED,
        IssueAction.UNCHANGED,
    )
    issues = [i for i in fake.issues.values() if "pull_request" not in i]
    assert len(issues) == 1
    assert (
        issues[0]["title"] == "Catalog drift: prod" and issues[0]["body"] == DRIFT + "two changes"
    )
    assert [label["name"] for label in issues[0]["labels"]] == ["catalog-drift"]


def test_drift_gone_closes_the_issue_and_drift_back_reopens_it(
    fake: FakeGitHub, provider: GitHubProvider
) -> None:
    opened = sync_drift_issue(provider, "prod", body=DRIFT + "v1")
    closed = sync_drift_issue(provider, "prod", body=None, run_link="https://github.test/run/1")
    idle = sync_drift_issue(provider, "prod", body=None)
    reopened = sync_drift_issue(provider, "prod", body=DRIFT + "v2")
    assert (closed.action, idle.action, reopened.action) == (
        IssueAction.CLOSED,
        IssueAction.NOTHING,
        IssueAction.REOPENED,
    )
    assert opened.number == closed.number == reopened.number
    issue = fake.issues[opened.number or 0]
    assert issue["state"] == "open" and issue["body"] == DRIFT + "v2"
    notes = [c["body"] for c in fake.comments[opened.number or 0]]
    assert len(notes) == 2
    assert notes[0].startswith(
        "No drift on `prod` any more ([workflow run](https://github.test/run/1))"
    )
    assert notes[1].startswith("Drift on `prod` is back")
    assert len(fake.issues) == 1


def test_no_drift_and_no_issue_does_nothing(fake: FakeGitHub, provider: GitHubProvider) -> None:
    result = sync_drift_issue(provider, "prod", body=None)
    assert result.action is IssueAction.NOTHING and fake.issues == {}
    assert {s.method for s in fake.seen} == {"GET"}


def test_issues_of_other_targets_and_pages_are_told_apart(
    fake: FakeGitHub, provider: GitHubProvider
) -> None:
    fake.page_cap = 2
    staging = sync_drift_issue(provider, "staging", body="<!-- catalogsync-drift:staging -->\nx")
    prod = sync_drift_issue(provider, "prod", body=DRIFT)
    for i in range(5):
        fake.add_issue(f"unrelated {i}", labels=("catalog-drift",))
    sync_drift_issue(provider, "prod", body=None)
    assert fake.issues[prod.number or 0]["state"] == "closed"
    assert fake.issues[staging.number or 0]["state"] == "open"
