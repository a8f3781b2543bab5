"""GitHub Actions glue: PR plan comments, drift issues, and the reviewed-plan check.

The YAML in `.github/workflows/` only sequences commands; everything with logic lives here
so it is typed and tested against a local fake of the GitHub REST API (`tests/ci/`):

- `github`   the one HTTP seam: an httpx client for the few REST endpoints used, with
             pagination, retries and errors that name the request (never the token).
- `context`  where the repository, API URL, PR number and commit come from (the standard
             Actions environment, overridden by explicit flags).
- `body`     pure text work: markers, the plan-hash record, fitting a body into GitHub's
             size limit without breaking Markdown.
- `comments` one comment per target on a PR, found by its marker and updated in place.
- `issues`   one drift issue per target: opened, updated, closed, reopened.
- `reviewed` apply-on-merge: apply only the plan whose hash the PR comment recorded.
"""
