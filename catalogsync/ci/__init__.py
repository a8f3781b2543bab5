"""CI glue for GitHub and GitLab: plan notes, drift issues, and the reviewed-plan check.

The YAML in `.github/workflows/` and `templates/gitlab/` only sequences commands;
everything with logic lives here so it is typed and tested against local fakes of the
GitHub and GitLab REST APIs (`tests/ci/`):

- `provider`  the one interface the logic talks to (notes, issues, merged requests,
              ancestry), with `github_provider` and `gitlab` behind it.
- `github`    the one HTTP seam (both providers): an httpx client with pagination,
              retries and errors that name the request (never the token).
- `context`, `connect`  where the provider, repository, request number and commit come
              from (the CI environment, overridden by explicit flags).
- `body`      pure text work: markers, the plan-hash record, fitting a body into the
              provider's size limit without breaking Markdown.
- `comments`  one note per target on a request, found by its marker and updated in place.
- `issues`    one drift issue per target: opened, updated, closed, reopened.
- `record`    what a review saw: one digest per change shown, the kinds shown needing
              `--force`, and the mark that a review has been spent.
- `reviewed`  apply on merge: every change of the plan must be in an unspent review.
"""
