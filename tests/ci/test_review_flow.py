"""The review flow as a team uses it, on GitHub and on GitLab: scenario tests against the
fake GitHub, the fake GitLab and the embedded emulator (the real CLI, over loopback HTTP).

What was reviewed is what gets applied, change by change: quick merges, a cancelled run,
an edit in the billing UI between review and merge, a merge without review, reviewed
deletes and reviewed `--force`, and a spent review that authorises nothing again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalogsync.emulator.server import ServerThread
from tests.ci.conftest import TOKEN
from tests.ci.fake_github import FakeGitHub
from tests.ci.fake_gitlab import FakeGitLab
from tests.ci.review_repo import Repo, drop_loyalty_discount, rate
from tests.conftest import copy_example

pytestmark = pytest.mark.loopback

VOICE = rate("Voice Minutes", "0.05", "0.06")
VOICEMAIL = rate("Voicemail", "2.00", "2.50")
RECORDING = rate("Call Recording", "4.50", "5.00")


#: How each provider words a request, as the messages say it.
WORDS = {"github": ("pull request", "#"), "gitlab": ("merge request", "!")}


@pytest.fixture(params=["github", pytest.param("gitlab", marks=pytest.mark.ci_scenario)])
def host(request: pytest.FixtureRequest) -> FakeGitHub | FakeGitLab:
    return FakeGitHub(TOKEN) if request.param == "github" else FakeGitLab(TOKEN)


@pytest.fixture
def repo(host: FakeGitHub | FakeGitLab, tmp_path: Path) -> Iterator[Repo]:
    with ServerThread(host.app) as server:
        if isinstance(host, FakeGitHub):
            env = {
                "GITHUB_TOKEN": TOKEN,
                "GITHUB_REPOSITORY": host.repo,
                "GITHUB_API_URL": server.url,
                "GITHUB_REF_NAME": "main",
            }
            provider = "github"
        else:
            env = {
                "GITLAB_TOKEN": TOKEN,
                "CI_PROJECT_ID": host.project_id,
                "CI_API_V4_URL": server.url,
                "CI_DEFAULT_BRANCH": "main",
            }
            provider = "gitlab"
        made = Repo(copy_example(tmp_path / "catalog"), env, host, provider)
        made.seed()
        yield made


def said(repo: Repo, text: str) -> str:
    """`text` as this provider says it: "pull request #2" → "merge request !2" on GitLab."""
    word, sign = WORDS[repo.provider]
    return text.replace("pull request #", f"{word} {sign}").replace("pull request", word)


def plan_note(fake: FakeGitHub | FakeGitLab, number: int) -> str:
    (note,) = fake.marked(number, "<!-- catalogsync-plan:local -->")
    return str(note["body"])


def test_three_quick_merges_of_reviewed_requests_each_apply(
    repo: Repo, host: FakeGitHub | FakeGitLab
) -> None:
    """Three requests reviewed against the same live state, merged one after another
    before any apply ran: each commit's run applies its own reviewed change."""
    for number, edit in ((1, VOICE), (2, VOICEMAIL), (3, RECORDING)):
        repo.open_request(number, edit)
    shas = [repo.merge(1), repo.merge(2), repo.merge(3)]
    for number, sha in zip((1, 2, 3), shas, strict=True):
        run = repo.apply_run(sha)
        assert run.exit_code == 0, run.output
        assert said(repo, f"Reviewed in pull request #{number}; applying.") in run.stdout
        assert "1 succeeded" in run.stdout
    assert repo.pending() == ""
    for number, sha in zip((1, 2, 3), shas, strict=True):
        assert f"<!-- catalogsync-applied:{sha} -->" in plan_note(host, number)


def test_a_cancelled_middle_run_is_covered_by_the_next(repo: Repo) -> None:
    """GitHub cancels a pending run when a newer one queues: the run of the last merge
    applies every reviewed change not applied yet, from every request that showed it."""
    for number, edit in ((1, VOICE), (2, VOICEMAIL), (3, RECORDING)):
        repo.open_request(number, edit)
    first, _cancelled, last = repo.merge(1), repo.merge(2), repo.merge(3)
    assert repo.apply_run(first).exit_code == 0
    run = repo.apply_run(last)
    assert run.exit_code == 0, run.output
    assert said(repo, "Reviewed in pull request #3, pull request #2; applying.") in run.stdout
    assert "2 succeeded" in run.stdout
    assert repo.pending() == ""


def test_a_ui_edit_between_review_and_merge_is_refused_by_name(
    repo: Repo, host: FakeGitHub | FakeGitLab
) -> None:
    repo.open_request(1, VOICE)
    # After the review, someone changes two products in the billing UI: the one the
    # request changes, and another one the plan on main would silently revert.
    repo.ui_edit(rate("Voice Minutes", "0.05", "0.07"))
    repo.ui_edit(rate("SMS Bundle", "0.01", "0.02"))
    run = repo.apply_run(repo.merge(1))
    assert run.exit_code == 3
    message = run.output
    assert "refusing to apply to 'local': nothing was applied." in message
    assert '~ product "Voice Minutes"' in message and '~ product "SMS Bundle"' in message
    assert said(repo, "open a pull request that changes the catalog") in message
    assert "0.07" in repo.pending()  # nothing was written
    assert "catalogsync-applied" not in plan_note(host, 1)


def test_the_remedy_works_after_the_merge(repo: Repo) -> None:
    """After a refusal, a new request shows the pending changes; merged, they apply."""
    repo.open_request(1, VOICE)
    repo.ui_edit(rate("SMS Bundle", "0.01", "0.02"))
    assert repo.apply_run(repo.merge(1)).exit_code == 3
    repo.open_request(2, lambda files: {**files, "products.yaml": files["products.yaml"] + "\n"})
    run = repo.apply_run(repo.merge(2))
    assert run.exit_code == 0, run.output
    assert repo.pending() == ""


def test_a_merge_without_review_is_refused_by_name(repo: Repo) -> None:
    run = repo.apply_run(repo.push(VOICE))
    assert run.exit_code == 3
    assert '~ product "Voice Minutes"' in run.output
    assert "Unspent reviews searched: none." in run.output
    # A request merged with a note nobody's bot wrote is no review either.
    repo.requests[5] = VOICEMAIL
    sha = repo.merge(5)
    repo.host.add_comment(5, "<!-- catalogsync-plan:local -->\nlooks fine to me", login="mallory")  # type: ignore[attr-defined]
    run = repo.apply_run(sha)
    assert run.exit_code == 3 and '~ product "Voicemail"' in run.output


def test_a_later_unplanned_push_to_the_request_is_refused(repo: Repo) -> None:
    repo.open_request(1, VOICE)
    repo.requests[1] = lambda files: VOICEMAIL(VOICE(files))  # pushed, never planned
    run = repo.apply_run(repo.merge(1))
    assert run.exit_code == 3
    assert '~ product "Voicemail"' in run.output and '"Voice Minutes"' not in run.output


def test_a_reviewed_delete_is_applied_and_an_unreviewed_one_is_not(
    repo: Repo, host: FakeGitHub | FakeGitLab
) -> None:
    plan = repo.open_request(1, drop_loyalty_discount)
    assert json.loads(plan.read_text())["apply_needs"]["allow_delete"]
    note = plan_note(host, 1)
    assert "--allow-delete for 1 delete:" in note
    assert note.index("Apply needs") < note.index("<details>")  # first, before the details
    assert "Merging this request once reviewed authorises" in note
    run = repo.apply_run(repo.merge(1))
    assert run.exit_code == 0, run.output
    assert repo.pending() == ""


def test_an_unreviewed_delete_is_refused(repo: Repo) -> None:
    run = repo.apply_run(repo.push(drop_loyalty_discount))
    assert run.exit_code == 3
    assert '- package-product "O\'Brien & Söhne Business / Loyalty Discount"' in run.output


def test_a_reviewed_large_change_is_forced_and_a_combined_one_is_not(repo: Repo) -> None:
    four = [VOICE, VOICEMAIL, RECORDING, rate("SMS Bundle", "0.01", "0.02")]

    def all_four(files: dict[str, str]) -> dict[str, str]:
        for edit in four:
            files = edit(files)
        return files

    repo.open_request(1, all_four)  # 4 of 10 products: over the 30% guard, shown
    run = repo.apply_run(repo.merge(1))
    assert run.exit_code == 0, run.output
    # Two requests of two changes each, both under the guard, applied in one run: 40%,
    # which no review showed needing --force.
    back = [
        rate(p, new, old)
        for p, old, new in (
            ("Voice Minutes", "0.05", "0.06"),
            ("Voicemail", "2.00", "2.50"),
            ("Call Recording", "4.50", "5.00"),
            ("SMS Bundle", "0.01", "0.02"),
        )
    ]
    repo.open_request(2, lambda files: back[1](back[0](files)))
    repo.open_request(3, lambda files: back[3](back[2](files)))
    repo.merge(2)
    run = repo.apply_run(repo.merge(3))
    assert run.exit_code == 3
    assert "4 of 10 live products (40%, over the 30% guard); no reviewed plan showed" in run.output


def test_a_spent_review_authorises_nothing_again(repo: Repo, host: FakeGitHub | FakeGitLab) -> None:
    """Request 1 applied; then a UI edit puts the old rate back. A later merge must not
    re-apply request 1's change on the strength of its old review."""
    repo.open_request(1, VOICE)
    assert repo.apply_run(repo.merge(1)).exit_code == 0
    repo.open_request(2, VOICEMAIL)  # planned before the UI edit: it does not show it
    repo.ui_edit(rate("Voice Minutes", "0.06", "0.05"))
    sha = repo.merge(2)
    run = repo.apply_run(sha)
    assert run.exit_code == 3
    assert '~ product "Voice Minutes"' in run.output and '"Voicemail"' not in run.output
    assert said(repo, "Unspent reviews searched: pull request #2.") in run.output
    # Control: were request 1's review unspent, the very same change would pass, so it
    # is the spent mark that refuses it (the live record is back as request 1 saw it).
    (note,) = host.marked(1, "<!-- catalogsync-plan:local -->")
    note["body"] = "\n".join(
        line for line in note["body"].split("\n") if "catalogsync-applied" not in line
    )
    assert repo.apply_run(sha).exit_code == 0
