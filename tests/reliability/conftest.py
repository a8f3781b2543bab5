"""The reliability suites: marked `reliability` and deselected unless asked for.

They take minutes, so the default `pytest` run (and `./scripts/test`) leaves them out (the
regression tests for the bugs they found, in test_regressions.py, are fast and always run);
`./scripts/test --full` (what `.ci/run` calls) sets CATALOGSYNC_FULL_TESTS=1 and runs them.
Selecting them explicitly with `-m reliability` works too (the hook is in tests/conftest.py).

At the end of a run that executed them, the results table is printed, and written as
Markdown to the file named by CATALOGSYNC_RELIABILITY_TABLE when that is set: see
tests/reliability/summary.py (a plugin tests/conftest.py registers, so that it also works
under pytest-xdist, whose controller loads no conftest below tests/).
"""
