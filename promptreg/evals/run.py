"""Run a prompt over its golden dataset: render each case, call the model, score the output.

Cases run on `jobs` worker threads (calls wait on the network or a subprocess, so threads are
what is needed). A case whose prompt does not render, or whose model call fails after its
retries, gets no output and scores 0 on every metric; the run goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from promptreg.errors import DatasetError, PromptregError, UsageError
from promptreg.evals.cache import ResponseCache
from promptreg.evals.calls import Caller, CallStats
from promptreg.evals.dataset import Case, Dataset, load_dataset
from promptreg.evals.judge import judge_scorer
from promptreg.evals.metrics import Score, Scorer, cheap_scorer
from promptreg.evals.provenance import record_metric_files
from promptreg.evals.runners import CallError, Runner
from promptreg.frontmatter.inputs import resolve_inputs
from promptreg.frontmatter.spec import Metric, ModelSpec

if TYPE_CHECKING:
    from promptreg.project.project import Project
    from promptreg.template.prompt import Prompt


@dataclass(frozen=True)
class EvalSettings:
    """How to run: the runner, worker threads, seconds per request, retries of a retryable
    failure, the first retry's delay in seconds, and the response cache (None: no cache)."""

    runner: Runner
    jobs: int = 4
    timeout: float = 60.0
    retries: int = 3
    backoff: float = 1.0
    cache: ResponseCache | None = None


@dataclass(frozen=True)
class CaseResult:
    """One case: the model's output, or `error` when there is none; a score per metric."""

    case: Case
    output: str | None
    error: str | None
    scores: dict[str, Score]
    model: str | None = None  # the model that answered, when the runner reports it


@dataclass(frozen=True)
class EvalRun:
    prompt: Prompt
    dataset: Dataset
    metrics: tuple[Metric, ...]
    results: tuple[CaseResult, ...]
    stats: CallStats
    runner: str
    seconds: float
    # The files the metrics read (rubrics and their partials, schema files): path -> sha256.
    metric_files: Mapping[str, str] = field(default_factory=dict)


def run_eval(
    project: Project,
    prompt: Prompt,
    settings: EvalSettings,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> EvalRun:
    """Evaluate `prompt` on its dataset. `progress(done, total)` is called on the calling
    thread as cases finish. Raises `UsageError`/`DatasetError` for what stops the run before
    it starts: no dataset or metrics, a malformed dataset, a metric that cannot be set up."""
    started = time.perf_counter()
    evals, model = prompt.evals, prompt.model
    if evals is None or evals.dataset is None:
        raise UsageError(
            "no `evals.dataset`: add a JSONL dataset and metrics (see docs/evals.md)",
            path=prompt.shown_path,
        )
    if not evals.metrics:
        raise UsageError("no `evals.metrics` to score with", path=prompt.shown_path)
    if model is None:
        raise UsageError("no `model` to evaluate", path=prompt.shown_path)
    try:
        dataset = load_dataset(project.root, evals.dataset, prompt.inputs, evals.metrics)
    except DatasetError as err:
        raise _at(prompt, err) from None
    if not dataset.cases:
        raise DatasetError("has no cases yet: add one JSON object per line", path=dataset.shown)
    caller = Caller(
        settings.runner,
        settings.cache,
        timeout=settings.timeout,
        retries=settings.retries,
        backoff=settings.backoff,
    )
    scorers = _prepare(project, prompt, caller)
    metric_files = record_metric_files(project, evals.metrics)  # as the scorers just read them

    def one(case: Case) -> CaseResult:
        return _run_case(prompt, model, case, caller, scorers)

    pool = ThreadPoolExecutor(max_workers=settings.jobs, thread_name_prefix="eval")
    try:
        futures = [pool.submit(one, case) for case in dataset.cases]
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress is not None:
                progress(done, len(futures))
    except BaseException:
        # Ctrl-C: drop the cases not started yet instead of paying for all of them first.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    results = tuple(f.result() for f in futures)
    return EvalRun(
        prompt=prompt,
        dataset=dataset,
        metrics=evals.metrics,
        results=results,
        stats=caller.stats(),
        runner=settings.runner.cache_id,
        seconds=time.perf_counter() - started,
        metric_files=metric_files,
    )


def _prepare(project: Project, prompt: Prompt, caller: Caller) -> list[tuple[Metric, Scorer]]:
    assert prompt.evals is not None
    scorers = []
    for i, metric in enumerate(prompt.evals.metrics):
        where = f"evals.metrics[{i}]"
        try:
            if metric.kind == "judge":
                scorer = judge_scorer(metric, where, project, prompt, caller)
            else:
                scorer = cheap_scorer(metric, project.root, where)
        except UsageError as err:
            raise _at(prompt, err) from None
        scorers.append((metric, scorer))
    return scorers


def _at(prompt: Prompt, err: UsageError) -> UsageError:
    """The error, pointing at the prompt file when it points at nothing else."""
    if err.path is not None:
        return err
    return type(err)(err.message, path=prompt.shown_path, field=err.field)


def _run_case(
    prompt: Prompt,
    model: ModelSpec,
    case: Case,
    caller: Caller,
    scorers: list[tuple[Metric, Scorer]],
) -> CaseResult:
    try:
        rendered = prompt.render_inputs(case.inputs)
        inputs = resolve_inputs(prompt.inputs, case.inputs)
    except PromptregError as err:  # over budget, or a template error with these inputs
        return _failed(case, scorers, f"does not render: {err.message}")
    key: dict[str, Any] = {
        "content_hash": prompt.content_hash,
        "model": model.to_json(),
        "inputs": inputs,
    }
    try:
        completion = caller.call(rendered.messages, model, key, call="prompt")
    except CallError as err:
        return _failed(case, scorers, err.message)
    scores = {}
    for metric, scorer in scorers:
        try:
            scores[metric.name] = scorer(completion.text, case)
        except Exception as err:  # a scorer bug must not lose a run that was paid for
            scores[metric.name] = Score(0.0, error=f"{type(err).__name__}: {err}")
    return CaseResult(case, completion.text, None, scores, completion.model)


def _failed(case: Case, scorers: list[tuple[Metric, Scorer]], error: str) -> CaseResult:
    scores = {metric.name: Score(0.0, error="no output") for metric, _ in scorers}
    return CaseResult(case, None, error, scores)
