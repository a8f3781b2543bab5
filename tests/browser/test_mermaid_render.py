"""The PR comment's Mermaid picture renders: Mermaid itself parses it, in headless Chromium.

GitHub and GitLab render ```` ```mermaid ```` blocks with Mermaid; a syntax error shows
as an error box in the comment. This test gives each picture to Mermaid's browser bundle
(scripts/install-chromium puts it in tools/mermaid/) and checks that it drew every node.
Skips without chromium or the bundle on a developer's machine; fails in CI instead.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from catalogsync.catalog import package_product_ref, package_ref, product_ref
from catalogsync.plan import Plan
from catalogsync.render.mermaid import plan_picture
from tests.browser.conftest import MERMAID_BUNDLES, Browser, need
from tests.fakes import catalog, res
from tests.test_html_report import sample_plan
from tests.test_review import LIVE, desired_from_live, reviewed

Render = Callable[[str], str]

pytestmark = pytest.mark.browser

_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<script src="{bundle}"></script></head><body>
<pre class="mermaid">{graph}</pre><div id="status">pending</div>
<script>
mermaid.initialize({{startOnLoad: false}});
mermaid.run({{querySelector: '.mermaid'}}).then(function () {{
  document.getElementById('status').textContent =
    'rendered ' + document.querySelectorAll('svg g.node').length + ' nodes, '
    + document.querySelectorAll('svg .flowchart-link').length + ' links';
}}).catch(function (e) {{ document.getElementById('status').textContent = 'error ' + e; }});
</script></body></html>
"""


@pytest.fixture
def render(browser: Browser, tmp_path: Path) -> Render:
    need("Mermaid's browser bundle", bool(MERMAID_BUNDLES))

    def run(picture: str) -> str:
        graph = re.search(r"```mermaid\n(.*?)```", picture, re.S)
        assert graph is not None
        page = tmp_path / "graph.html"
        page.write_text(
            _PAGE.format(bundle=MERMAID_BUNDLES[-1].as_uri(), graph=html.escape(graph.group(1))),
            encoding="utf-8",
        )
        dom = browser(
            "--allow-file-access-from-files",
            "--virtual-time-budget=10000",  # let Mermaid's promise settle before the dump
            "--dump-dom",
            page.as_uri(),
        )
        status = re.search(r'<div id="status">([^<]*)</div>', dom)
        assert status is not None
        return status.group(1)

    return run


def counts(picture: str) -> tuple[int, int]:
    """(nodes, links) the picture declares."""
    nodes = len(re.findall(r"^  [kp]\d+[\[(]", picture, re.M))
    links = len(re.findall(r"^  \w+ -(?:->|\.->) \w+$", picture, re.M))
    return nodes, links


def assert_renders(render: Render, plan: Plan) -> None:
    picture = plan_picture(plan)
    assert picture is not None
    nodes, links = counts(picture)
    assert render(picture) == f"rendered {nodes} nodes, {links} links"


def test_the_sample_plans_picture_renders(render: Render) -> None:
    assert_renders(render, sample_plan())
    assert_renders(render, reviewed(desired_from_live(Voice_Minutes={"rate": Decimal("1")}), LIVE))


def test_awkward_names_and_a_capped_picture_render(render: Render) -> None:
    names = ['Say "hi"', "#1 <b>bold</b> & co", "O'Brien – Größe 日本", "a -- b; c", "back\\slash"]
    resources = [res(product_ref(name), rate=Decimal("1.00")) for name in names]
    for n in range(20):
        package = f"{names[n % len(names)]} pack {n}"
        resources.append(res(package_ref(package), status="Production"))
        resources += [
            res(package_product_ref(package, name), min_qty=Decimal(0)) for name in names[:3]
        ]
    assert_renders(render, reviewed(catalog(*resources), []))


def test_the_check_sees_a_broken_graph(render: Render) -> None:
    status = render('```mermaid\ngraph LR\n  k0["open --> p1\n```')
    assert status.startswith("error"), status
