"""The runtime path imports only what it needs (issue 9 §2).

An application's start is `import promptreg` → `Registry` → `get` → `render`. Every module it
imports costs start-up time in every service and serverless function that uses promptreg, so
the list is pinned here: a new import on that path must be a decision (update the pin and say
why in the commit), not an accident. Run in a fresh interpreter, on a real repository whose
deployment tag records a forced promotion (overrides, a reason of two lines): whatever a tag
message holds, reading it needs no YAML library.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import Workspace

# What the runtime path imports, beyond what the interpreter had before `import promptreg`.
RUNTIME_MODULES = {
    "promptreg",
    "promptreg._lazyre",  # patterns compiled on first use, not at import
    "promptreg._record",  # dataclasses with one method compiled at import, not six
    "promptreg.codecache",
    "promptreg.errors",
    "promptreg.findings",
    "promptreg.frontmatter",
    "promptreg.frontmatter._yaml",
    "promptreg.frontmatter.checks",
    "promptreg.frontmatter.inputs",
    "promptreg.frontmatter.pinning",
    "promptreg.frontmatter.schema",
    "promptreg.frontmatter.spec",
    "promptreg.frontmatter.split",
    "promptreg.frontmatter.yamldoc",  # the YAML types, a leaf: no _yaml <-> _yaml_pyyaml cycle
    "promptreg.limits",
    "promptreg.names",
    "promptreg.repository",  # was registry/gitrepo.py: the one way to find the repository
    "promptreg.project",
    "promptreg.project.config",
    "promptreg.project.loader",
    "promptreg.project.project",
    "promptreg.project.serving",
    "promptreg.registry",
    "promptreg.registry.catfile",
    "promptreg.registry.commits",
    "promptreg.registry.deployments",
    "promptreg.registry.gitregistry",
    "promptreg.registry.gitstore",
    "promptreg.registry.hashcache",
    "promptreg.registry.objectmemo",  # a warm start reads git's objects from the code cache
    "promptreg.registry.reffiles",  # a first get lists its prompt's tags without git
    "promptreg.registry.refindex",
    "promptreg.registry.runtime",
    "promptreg.registry.selectors",
    "promptreg.registry.tagmessage",
    "promptreg.registry.tagobject",
    "promptreg.registry.tags",
    "promptreg.registry.treelinks",
    "promptreg.registry.verdicts",
    "promptreg.template",
    "promptreg.template.analysis",
    "promptreg.template.content_hash",
    "promptreg.template.environment",
    "promptreg.template.estimates",
    "promptreg.template.markers",
    "promptreg.template.media",  # `{% media %}`: the extension every environment has (~0.2 ms)
    "promptreg.template.prompt",
    "promptreg.template.render",
    "promptreg.template.sandbox",
    "promptreg.template.sandbox_filters",
    "promptreg.template.sources",
    "promptreg.template.tokens",
    "promptreg.versions",
}
THIRD_PARTY = {"jinja2", "markupsafe"}  # the template engine: the floor
NEVER = {"yaml", "ruamel", "deepdiff", "click", "promptreg.evals", "promptreg.cli"}
NEVER_PROMPTREG = {"promptreg._atomic", "promptreg.frontmatter.schema_evals"}

APP = """
import json, sys
before = set(sys.modules)
from promptreg import Registry
messages = Registry(".").get("triage@staging").render(ticket="t")
assert messages[0]["content"] == "You triage tickets. Be brief.", messages
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def app_start(root: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "PROMPTREG_NO_CACHE"}
    proc = subprocess.run(
        [sys.executable, "-c", APP], cwd=root, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return list(json.loads(proc.stdout))


def test_the_runtime_path_imports_only_what_it_needs(repo: Workspace, run):
    reason = "hotfix for the outage\nsigned off by the on-call"
    forced = run("promote", "triage", "--to", "staging", "--force", "--reason", reason)
    assert forced.code == 0, forced.err
    message = subprocess.run(
        ["git", "for-each-ref", "--format=%(contents)", "refs/tags/prompts/triage@staging/"],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "overrides:" in message and "signed off" in message  # what the test is about

    cold = set(app_start(repo.root))  # fills the code cache (front-matter YAML, templates)
    assert not {m.split(".")[0] for m in cold} & {"ruamel", "deepdiff", "click"}
    warm = set(app_start(repo.root))
    ours = {m for m in warm if m == "promptreg" or m.startswith("promptreg.")}
    stdlib = set(sys.stdlib_module_names)
    others = {m.split(".")[0] for m in warm if not m.startswith(("promptreg", "_"))} - stdlib
    assert ours == RUNTIME_MODULES, (
        f"the runtime path now also imports {sorted(ours - RUNTIME_MODULES)} and no longer "
        f"{sorted(RUNTIME_MODULES - ours)}: measure the start-up cost (`make bench`), then "
        "update RUNTIME_MODULES"
    )
    assert others == THIRD_PARTY
    assert not {m for m in warm if m.split(".")[0] in NEVER or m in NEVER} | (
        ours & NEVER_PROMPTREG
    )
