"""The two entry points the CLI calls: `evaluate` (promptreg eval) and `check_prompts`
(promptreg check). Both take the project's `evals:` config and let arguments override it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from promptreg.errors import PromptFileError, UsageError
from promptreg.evals.cache import ResponseCache
from promptreg.evals.gate import (
    GateProblem,
    GateResult,
    baseline_scores,
    check_environment,
    check_gate,
    require_model_run,
)
from promptreg.evals.provenance import tree_source
from promptreg.evals.run import EvalSettings, run_eval
from promptreg.evals.runner_factory import make_runner
from promptreg.evals.summary import EvalSummary, summarize
from promptreg.project.runner_spec import parse_runner

if TYPE_CHECKING:
    from promptreg.project.project import Project

INVALID = "invalid"  # a `check` problem of its own: the prompt file does not load


def evaluate(
    project: Project,
    name: str,
    *,
    runner: str | None = None,
    jobs: int | None = None,
    use_cache: bool = True,
    compare: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EvalSummary:
    """Run prompt `name` over its dataset and summarise; `runner`, `jobs` override
    promptreg.yaml's `evals:`; `compare` adds the scores deployed to that environment."""
    config = project.config.evals
    runner_text = runner if runner is not None else config.runner
    try:
        spec = parse_runner(runner_text)
    except ValueError as err:
        raise UsageError(str(err), field="--runner") from None
    prompt = project.load(name)
    # Resolve the baseline before paying for a run: a bad environment fails fast.
    baseline = baseline_scores(project, prompt.name, compare) if compare is not None else None
    cache = ResponseCache(project.root / config.cache_dir, reuse=use_cache)
    settings = EvalSettings(
        runner=make_runner(spec, project.root),
        jobs=jobs if jobs is not None else config.jobs,
        timeout=config.timeout,
        retries=config.retries,
        backoff=config.backoff,
        cache=cache,
    )
    run = run_eval(project, prompt, settings, progress=progress)
    return summarize(run, project.config.pricing, baseline=baseline, baseline_env=compare)


@dataclass(frozen=True)
class CheckReport:
    results: tuple[GateResult, ...]
    skipped: tuple[str, ...]  # prompts with no `evals` block, when none were named
    against: str | None
    tolerance: float

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "against": self.against,
            "tolerance": self.tolerance,
            "prompts": [r.to_json() for r in self.results],
            "skipped": list(self.skipped),
        }


def check_prompts(
    project: Project, names: Sequence[str] = (), *, against: str | None = None
) -> CheckReport:
    """The gate for each named prompt, or for every prompt with an `evals` block, on the
    working tree. With `against`, also the regression check against what that environment
    runs and, when promptreg.yaml's `evals.require_model_run` lists it, the runner check."""
    tolerance = project.config.evals.tolerance
    if against is not None:
        check_environment(project, against)
    refs = list(names) or [str(p) for p in project.prompt_files()]
    results: list[GateResult] = []
    skipped: list[str] = []
    source = tree_source(project)
    required = require_model_run(project, against)
    for ref in refs:
        try:
            prompt = project.load(ref)
        except PromptFileError as err:
            problem = GateProblem(INVALID, None, f"{err} (run `promptreg validate`)")
            results.append(GateResult(project.name_for(project.locate(ref)), (problem,), {}))
            continue
        if not names and prompt.evals is None:
            skipped.append(prompt.name)
            continue
        baseline = baseline_scores(project, prompt.name, against) if against else None
        results.append(
            check_gate(
                prompt,
                source=source,
                baseline=baseline,
                tolerance=tolerance,
                require_model_run=required,
            )
        )
    return CheckReport(tuple(results), tuple(skipped), against, tolerance)
