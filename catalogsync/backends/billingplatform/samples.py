"""The sample catalog `catalogsync init` writes for a new BillingPlatform project."""

from __future__ import annotations


def _samples() -> dict[str, str]:
    modeline = "# yaml-language-server: $schema={}schemas/billingplatform.catalog.schema.json\n"
    return {
        "products.yaml": modeline.format("")
        + """\
products:
  - name: Voice Minutes
    status: ACTIVE
    rate: "0.05"
    rating_method: Usage
  - name: Voicemail
    status: ACTIVE
    rate: "2.00"
    rating_method: Subscription
""",
        "packages/starter.yaml": modeline.format("../")
        + """\
packages:
  - name: Starter Plan
    status: In Development
    products:
      - product: Voice Minutes
        min_qty: 1
        max_qty: 1000
        rate: "0.04"
      - product: Voicemail
        min_qty: 0
        max_qty: 1
""",
    }


SAMPLES = _samples()
