"""The PR comment's money-aware parts: risk first, price moves, the Mermaid picture, the budget."""

from __future__ import annotations

import re
from decimal import Decimal

from catalogsync.catalog import Kind, package_product_ref, package_ref, product_ref
from catalogsync.config import ObjectRule
from catalogsync.render import render_markdown, render_text
from catalogsync.render.mermaid import MAX_EDGES, MAX_PACKAGES, mermaid_label, plan_picture
from tests.fakes import catalog, res
from tests.test_html_report import sample_plan
from tests.test_review import LIVE, desired_from_live, reviewed

D = Decimal


def mermaid_block(markdown: str) -> str:
    found = re.search(r"```mermaid\n(.*?)```", markdown, re.S)
    assert found, "no mermaid block"
    return found.group(1)


def test_markdown_leads_with_risk_and_shows_money() -> None:
    text = render_markdown(sample_plan())
    head = text.partition("#### Delete")[0]
    assert "**Risk: 2 high, 0 medium, 3 low.**" in head
    assert head.index("🔴 high risk") < head.index("```mermaid")
    assert "rate 0.05 → 0.06 USD (+0.01, +20.0 %)" in head
    assert "<code>0.06</code> USD (+0.01, +20.0 %)" in text
    assert "overridden in Gold Plan (0.04 USD), O'Brien &amp; Söhne Business (0.03 USD)" in text


def test_text_leads_with_risk_then_the_changes_in_plan_order() -> None:
    text = render_text(sample_plan())
    assert text.index("Risk: 2 high") < text.index("\n+ product")
    assert "rate: 0.05 → 0.06 (+0.01, +20.0 %)" in text.replace(" USD", "")
    assert "(new price)" in text


def test_the_picture_colours_nodes_and_links_by_action() -> None:
    block = mermaid_block(render_markdown(sample_plan()))
    assert block.startswith("graph LR\n")
    assert re.search(r'k\d+\["Gold Plan"\]:::unchanged', block)
    assert re.search(r'p\d+\("Voice Minutes"\):::update', block)
    assert re.search(r'p\d+\("Voicemail"\):::create', block)
    # the deleted package-product's link is red, the created one green
    links = re.findall(r"linkStyle (\d+) stroke:(#\w+)", block)
    assert ("#cf222e" in {c for _, c in links}) and ("#1a7f37" in {c for _, c in links})
    # a product's price change reaches Silver Plan by inheritance: a dotted link
    inherited = reviewed(desired_from_live(Voice_Minutes={"rate": D("0.06")}), LIVE)
    assert re.search(r"k\d+ -\.-> p\d+", mermaid_block(render_markdown(inherited)))


def test_labels_cannot_break_the_graph() -> None:
    assert mermaid_label('Say "hi" #1 <b>\nnow') == "Say #quot;hi#quot; #35;1 #lt;b#gt; now"


def test_no_picture_without_packages() -> None:
    plan = reviewed(catalog(res(product_ref("Lonely"), rate=D(1))), [])
    assert plan_picture(plan) is None
    assert "```mermaid" not in render_markdown(plan)


def test_the_picture_is_capped_riskiest_packages_first() -> None:
    resources = list(desired_from_live())
    for n in range(30):
        resources.append(res(package_ref(f"Pack {n:02}"), status="Production"))
        for m in range(3):
            resources.append(
                res(
                    package_product_ref(
                        f"Pack {n:02}", "Voice Minutes" if m == 0 else f"Extra {m}"
                    ),
                    min_qty=D(0),
                )
            )
    resources += [res(product_ref(f"Extra {m}")) for m in (1, 2)]
    # one high-risk change in an existing package, behind 30 new ones in plan order
    gold_voice = package_product_ref("Gold Plan", "Voice Minutes")
    resources = [r for r in resources if r.ref != gold_voice]
    plan = reviewed(catalog(*resources), LIVE, prune=(ObjectRule(kind=Kind.PACKAGE_PRODUCT),))
    picture = plan_picture(plan)
    assert picture is not None
    block = mermaid_block(picture)
    packages = re.findall(r'k\d+\["([^"]+)"\]', block)
    assert len(packages) == MAX_PACKAGES and packages[0] == "Gold Plan"
    assert len(re.findall(r"^  \w+ -(?:->|\.->) \w+$", block, re.M)) <= MAX_EDGES
    assert f"Picture capped: {MAX_PACKAGES} of 31 packages" in picture


def test_a_huge_plan_still_fits_the_comment_budget_with_risk_and_picture() -> None:
    resources = list(desired_from_live(Voice_Minutes={"rate": D("0.09")}))
    for n in range(1500):
        resources.append(
            res(product_ref(f"Product {n:04} with a long name to fill"), rate=D("1.00"))
        )
    plan = reviewed(catalog(*resources), LIVE)
    text = render_markdown(plan)
    assert len(text) <= 65_000
    assert "```mermaid" in text and "**Risk: 1 high" in text
    assert "more changes not shown" in text
    # the high-risk change is kept while low-risk creates are dropped
    assert text.index("Voice Minutes") < text.index("more changes not shown")
