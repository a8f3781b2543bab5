"""The sample catalog `catalogsync init` writes for a new LogiSense project."""

from __future__ import annotations


def _samples() -> dict[str, str]:
    modeline = "# yaml-language-server: $schema={}schemas/logisense.catalog.schema.json\n"
    return {
        "services.yaml": modeline.format("")
        + """\
services:
  - name: Voice Minutes
    service_type: Usage
    usage_frequency: 1
    usage_frequency_type: Month
  - name: Voicemail
    service_type: Recurring
""",
        "packages/starter.yaml": modeline.format("../")
        + """\
packages:
  - name: Starter Plan
    frequencies: [Month]
    currencies: [USD]
    services:
      - service: Voice Minutes
        default_instances: 1
        minimum_instances: 0
        maximum_instances: 5
      - service: Voicemail
        default_instances: 0
        minimum_instances: 0
        maximum_instances: 1
""",
    }


SAMPLES = _samples()
