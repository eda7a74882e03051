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

from promptreg.frontmatter.pinning import pinning_problem
from promptreg.frontmatter.schema import input_name_problem
from promptreg.project.loader import PromptFile

SERVING_CODES = ("PR030", "PR031", "PR041")


def declared_inputs(pf: PromptFile) -> list[str]:
    """The input names the file declares, as written: from the typed spec when the
    front-matter passed the schema, else every well-formed name under `inputs` (so a schema
    error elsewhere hides no finding about the inputs)."""
    if pf.spec is not None:
        return list(pf.spec.inputs)
    data = pf.doc.data if pf.doc is not None else None
    inputs = data.get("inputs", {}) if isinstance(data, dict) else None
    if not isinstance(inputs, dict):
        return []
    return [n for n in inputs if isinstance(n, str) and input_name_problem(n) is None]


def add_serving_findings(pf: PromptFile, allowed_models: Collection[str]) -> None:
    """Add the PR030/PR031/PR041 findings of a file read far enough to tell. They read the
    front-matter as written, so a schema error elsewhere in it (or a template that does not
    compile) hides none of them."""
    doc = pf.doc
    if doc is None or not isinstance(doc.data, dict):
        return
    data = doc.data
    model = data.get("model")
    provider = model.get("provider") if isinstance(model, dict) else None
    model_name = model.get("name") if isinstance(model, dict) else None
    if isinstance(provider, str) and isinstance(model_name, str):
        problem = pinning_problem(provider, model_name, allowed_models)
        if problem:
            line, col = doc.position(("model", "name"))
            pf.add(line, col, problem[0], f"model.name: {problem[1]}")
    inputs = data.get("inputs", {})
    if pf.closure is None or not isinstance(inputs, dict):
        return
    # As written: a declared name the schema refused (PR023) is not "undeclared" (PR041) too.
    written = {n for n in inputs if isinstance(n, str)}
    offset = pf.body_line - 1
    soft = pf.spec.soft_names if pf.spec is not None else frozenset()
    for name in sorted(pf.closure.variables - set(declared_inputs(pf)) - written - soft):
        line, partial = pf.closure.uses.get(name, (1, None))
        where = f" (in {partial})" if partial else ""
        pf.add(
            offset + line,
            1,
            "PR041",
            f"template uses `{name}`{where}, which is not declared under `inputs`",
        )
