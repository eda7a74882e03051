"""The checks beyond reading that `load` applies too: what would make a prompt serve something
other than what its file says. One place, so `validate` and `load` can never disagree on them.

- PR030/PR031: the model is not pinned, so the provider can change what runs underneath it;
- PR041: the template uses a variable the file does not declare, so a render either fails
  at runtime or depends on an input nobody validates.

The other lints (an input declared but unused, a `sample` that does not render or busts the
budget, `lint.require_budget`, evals) are about the file's upkeep and test data, not about what
a render produces: `validate` reports them, `load` does not refuse a prompt for them.
"""

from __future__ import annotations

from collections.abc import Collection

from promptreg.loader import PromptFile
from promptreg.pinning import pinning_problem

SERVING_CODES = ("PR030", "PR031", "PR041")


def add_serving_findings(pf: PromptFile, allowed_models: Collection[str]) -> None:
    """Add the PR030/PR031/PR041 findings of a file read far enough to tell."""
    doc, spec = pf.doc, pf.spec
    if doc is None or spec is None:
        return
    if spec.model is not None:
        problem = pinning_problem(spec.model.provider, spec.model.name, allowed_models)
        if problem:
            line, col = doc.position(("model", "name"))
            pf.add(line, col, problem[0], f"model.name: {problem[1]}")
    if pf.closure is None:
        return
    offset = pf.body_line - 1
    for name in sorted(pf.closure.variables - set(spec.inputs)):
        line, partial = pf.closure.uses.get(name, (1, None))
        where = f" (in {partial})" if partial else ""
        pf.add(
            offset + line,
            1,
            "PR041",
            f"template uses `{name}`{where}, which is not declared under `inputs`",
        )
