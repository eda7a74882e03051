"""What `promptreg validate` checks in a prompt's `evals` block beyond its shape: that the
dataset exists and every line of it is a good case (PR061), that a judge's rubric and a
json_schema metric's schema file are there and valid (PR062), and that a judge's model is
pinned (PR030, PR031) like any model."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from promptreg.errors import UsageError
from promptreg.evals.dataset import parse_dataset, resolve_dataset_path
from promptreg.findings import Finding
from promptreg.frontmatter.pinning import pinning_problem
from promptreg.frontmatter.schema_evals import parse_model_ref
from promptreg.template.sources import read_regular

if TYPE_CHECKING:
    from promptreg.frontmatter.spec import Evals, Metric
    from promptreg.project.loader import PromptFile
    from promptreg.project.project import Project

# A broken dataset can have thousands of bad lines; the first ones say enough.
MAX_DATASET_FINDINGS = 20


def lint_evals(pf: PromptFile, project: Project) -> None:
    """Add the findings for `pf`'s evals block (when it has one and it parsed)."""
    spec, doc = pf.spec, pf.doc
    if spec is None or doc is None or spec.evals is None:
        return
    for i, metric in enumerate(spec.evals.metrics):
        _lint_metric(pf, project, i, metric)
    if spec.evals.dataset is not None:
        _lint_dataset(pf, project, spec.evals)


def _lint_metric(pf: PromptFile, project: Project, i: int, metric: Metric) -> None:
    assert pf.doc is not None
    where = ("evals", "metrics", i)
    field = f"evals.metrics[{i}]"
    options = metric.options
    try:
        if metric.kind == "judge":
            from promptreg.evals.judge import load_rubric

            load_rubric(project, str(options["rubric"]), field + ".rubric")
        elif metric.kind == "json_schema":
            from promptreg.evals.metrics import schema_validator

            schema_validator(options["schema"], project.root, field + ".schema")
    except UsageError as err:
        option = "rubric" if metric.kind == "judge" else "schema"
        line, col = pf.doc.position((*where, option))
        pf.add(line, col, "PR062", str(err))
    model = parse_model_ref(options.get("model")) if metric.kind == "judge" else None
    if model is not None:
        problem = pinning_problem(model.provider, model.name, project.config.lint.allowed_models)
        if problem:
            line, col = pf.doc.position((*where, "model"))
            pf.add(line, col, problem[0], f"{field}.model: {problem[1]}")


def _lint_dataset(pf: PromptFile, project: Project, evals: Evals) -> None:
    assert pf.doc is not None and pf.spec is not None and evals.dataset is not None
    line, col = pf.doc.position(("evals", "dataset"))
    try:
        path = resolve_dataset_path(project.root, evals.dataset)
        data = read_regular(path)
    except ValueError as err:
        pf.add(line, col, "PR061", f"evals.dataset: {err}")
        return
    except OSError as err:
        pf.add(
            line,
            col,
            "PR061",
            f"evals.dataset: cannot read {evals.dataset!r}: {err.strerror or err} "
            "(create it: one JSON case per line)",
        )
        return
    _, problems = parse_dataset(data, pf.spec.inputs, evals.metrics)
    shown = project.shown(path)
    for problem in problems[:MAX_DATASET_FINDINGS]:
        pf.findings.append(Finding(shown, problem.line, 1, "PR061", problem.message))
    if len(problems) > MAX_DATASET_FINDINGS:
        more = len(problems) - MAX_DATASET_FINDINGS
        pf.findings.append(
            Finding(shown, problems[MAX_DATASET_FINDINGS].line, 1, "PR061", f"… and {more} more")
        )


def prompts_using_datasets(project: Project, datasets: Iterable[Path]) -> list[Path]:
    """The prompt files whose `evals.dataset` is one of `datasets` (resolved paths)."""
    wanted = {p.resolve() for p in datasets}
    hits = []
    for path in project.prompt_files():
        spec = project.read(path).spec
        relative = spec.evals.dataset if spec is not None and spec.evals is not None else None
        if relative is None:
            continue
        try:
            if resolve_dataset_path(project.root, relative) in wanted:
                hits.append(path)
        except ValueError:
            continue
    return hits
