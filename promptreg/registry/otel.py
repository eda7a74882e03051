"""OpenTelemetry attributes for a call that uses a prompt, without depending on opentelemetry.

    span.set_attributes(otel_attributes(prompt))

`gen_ai.prompt.name` and `gen_ai.prompt.version` follow the GenAI semantic conventions'
naming; `promptreg.content_hash` (what the model saw), `promptreg.deployment` (the tag that
put it in the environment) and `promptreg.commit` tie a trace to the registry. Values are
strings (every OpenTelemetry exporter accepts them); absent facts are left out, not empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from promptreg.template.prompt import Prompt


def otel_attributes(prompt: Prompt) -> dict[str, str]:
    attributes = {
        "gen_ai.prompt.name": prompt.name,
        "gen_ai.prompt.version": prompt.version,
        "promptreg.content_hash": prompt.content_hash,
    }
    deployment = prompt.deployment
    if deployment is not None:
        attributes["promptreg.deployment"] = deployment.tag
        attributes["promptreg.environment"] = deployment.env
    commit = deployment.commit if deployment is not None else prompt.revision
    if commit:
        attributes["promptreg.commit"] = commit
    return attributes
