"""The gate: may this prompt ship? One function, `check_gate`, used by `promptreg check`, the
evals-fresh and pre-push hooks and `promote` (through `deploy_gate` / `gate_at_commit`).

It fails a prompt, in words a reviewer recognises, when its eval scores are
- **missing** (PR072): no metrics declared, no scores recorded, or no score for a metric;
- **stale** (PR072): what they were measured on changed: `evals.content_hash` is not the
  prompt's content hash (the body, a partial or the model changed), the dataset's bytes are
  not those `evals.dataset_hash` records, or a file a metric reads (a judge's rubric and its
  partials, a schema file) is not the one `evals.metric_files` records. The files are read
  from the same state as the prompt (`provenance.Source`): at a commit, never the work tree;
- **below threshold** (PR073): a recorded score is under its metric's `threshold`;
- **regressed**: a score is lower than the deployed version's by more than the tolerance;
- **runner** (PR076): for an environment listed in `evals.require_model_run`, the scores were
  not produced by a model run of the prompt's pinned model (`evals.runner`: a `command` or
  `python` runner, another model, or no record at all).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from promptreg.errors import PromptNotFoundError, UsageError
from promptreg.evals.dataset import sha256_of
from promptreg.evals.provenance import (
    Source,
    commit_source,
    describe_runner,
    metric_references,
    metrics_hash,
    safe_relative,
)
from promptreg.frontmatter.spec import Evals, Metric

if TYPE_CHECKING:
    from promptreg.project.project import Project
    from promptreg.registry.runtime import Registry
    from promptreg.registry.tags import Deployment
    from promptreg.template.prompt import Prompt

MISSING: Final = "missing"
STALE: Final = "stale"
BELOW_THRESHOLD: Final = "below threshold"
REGRESSED: Final = "regressed"
RUNNER: Final = "runner"
# The rule code of each kind (findings.RULES); a regression has none of its own.
CODES: Final = {MISSING: "PR072", STALE: "PR072", BELOW_THRESHOLD: "PR073", RUNNER: "PR076"}


@dataclass(frozen=True)
class GateProblem:
    """One reason the gate fails: its `kind` (one of the words above), the metric when it is
    about one, and a sentence saying what to do."""

    kind: str
    metric: str | None
    message: str
    # The front-matter field it is about (a hook's finding points at its line); () unknown.
    where: tuple[str, ...] = ()

    @property
    def code(self) -> str | None:
        return CODES.get(self.kind)

    @property
    def line(self) -> str:
        """`CODE kind: message` (no code for a regression): how every path reports it."""
        code = self.code
        return f"{code + ' ' if code else ''}{self.kind}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": self.code,
            "metric": self.metric,
            "message": self.message,
        }


@dataclass(frozen=True)
class GateResult:
    name: str
    problems: tuple[GateProblem, ...]
    scores: Mapping[str, float]
    baseline: Mapping[str, float] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def reasons(self) -> tuple[str, ...]:
        """The problems as lines, `CODE kind: message` (what a deploy gate reports)."""
        return tuple(p.line for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "problems": [p.to_json() for p in self.problems],
            "scores": dict(self.scores),
            "baseline": None if self.baseline is None else dict(self.baseline),
        }


def check_gate(
    prompt: Prompt,
    *,
    source: Source,
    baseline: Mapping[str, float] | None = None,
    tolerance: float = 0.0,
    require_model_run: str | None = None,
) -> GateResult:
    """Whether `prompt`'s recorded eval scores let it ship.

    `source`: the files in the state `prompt` was read from (`provenance.tree_source`,
    `commit_source`, `snapshot_source`): the dataset and metric files are read there.
    `baseline`: the scores of the version deployed to the target environment (see
    `baseline_scores`); None skips the regression check. `tolerance`: how far below the
    baseline a score may fall (0.02 = two points). `require_model_run`: the environment
    (named in messages) that requires scores from a model run of the pinned model; None
    when it does not. Never raises for a gate failure: the problems are in the result.
    """
    evals = prompt.evals
    name = prompt.name
    rerun = f"run `promptreg eval {name} --write`"
    problems: list[GateProblem] = []
    scores: Mapping[str, float] = evals.scores if evals is not None else {}
    if evals is None or not evals.metrics:
        problems.append(GateProblem(MISSING, None, "no eval metrics declared (evals.metrics)"))
    elif not scores:
        problems.append(GateProblem(MISSING, None, f"no scores recorded: {rerun}"))
    else:
        if evals.content_hash != prompt.content_hash:
            what = (
                "scores were recorded without a content hash"
                if evals.content_hash is None
                else "scores were measured on other content (the body, a partial or the "
                "model changed since)"
            )
            problems.append(GateProblem(STALE, None, f"{what}: {rerun}", ("content_hash",)))
        problems.extend(
            GateProblem(STALE, metric, f"{what}: {rerun}", where)
            for metric, what, where in _measured_on_problems(evals, source)
        )
        if require_model_run is not None:
            problems.extend(_runner_problems(prompt, evals, require_model_run))
        for metric in evals.metrics:
            problems.extend(_metric_problems(metric, scores))
        if baseline is not None:
            problems.extend(_regressions(evals.metrics, scores, baseline, tolerance))
    return GateResult(name, tuple(problems), dict(scores), baseline)


def _short(digest: str) -> str:
    """`sha256:1a2b3c4d5e6f` (12 hex digits): enough to tell two hashes apart in a message."""
    algorithm, _, hexdigits = digest.partition(":")
    return f"{algorithm}:{hexdigits[:12]}"


# (the metric it is about or None, what changed, the evals field it is recorded in)
_Change = tuple[str | None, str, tuple[str, ...]]


def _measured_on_problems(evals: Evals, source: Source) -> list[_Change]:
    """What changed since the scores were measured, besides the content: the dataset, the
    metric definitions, the files metrics read."""
    out = _dataset_changes(evals, source)
    # Absent: recorded by a promptreg before metrics_hash (unchecked, like an unknown runner).
    if evals.metrics_hash is not None and evals.metrics_hash != metrics_hash(evals.metrics):
        what = (
            "a metric's definition (kind or options; thresholds aside) changed since the "
            "scores were measured"
        )
        out.append((None, what, ("metrics",)))
    return out + _metric_file_changes(evals, source)


def _dataset_changes(evals: Evals, source: Source) -> list[_Change]:
    out: list[_Change] = []
    dataset = evals.dataset
    if dataset is None:
        what = "the scores are bound to no dataset (`evals.dataset` is not declared)"
        out.append((None, what, ("scores",)))
    elif evals.dataset_hash is None:
        what = f"the scores were recorded without a hash of the dataset {dataset}"
        out.append((None, what, ("dataset",)))
    else:
        data = source.read(dataset) if safe_relative(dataset) is not None else None
        now = None if data is None else sha256_of(data)
        if now is None:
            what = f"the dataset {dataset} is not in {source.where}"
            out.append((None, what, ("dataset",)))
        elif now != evals.dataset_hash:
            what = (
                f"the dataset {dataset} changed since the scores were measured "
                f"(dataset_hash {_short(evals.dataset_hash)}, now {_short(now)})"
            )
            out.append((None, what, ("dataset_hash",)))
    return out


def _metric_file_changes(evals: Evals, source: Source) -> list[_Change]:
    out: list[_Change] = []
    references = metric_references(evals.metrics, source)
    recorded = evals.metric_files
    if references and recorded is None:
        files = ", ".join(references)
        what = f"the scores were recorded without hashes of the files metrics read ({files})"
        return [(None, what, ("scores",))]
    recorded = recorded or {}
    for path, metric in references.items():
        if path not in recorded:
            what = f"metric `{metric}` reads {path}, which the scores were not measured with"
            out.append((metric, what, ("metric_files",)))
    for path, digest in recorded.items():
        data = source.read(path)
        if data is None:
            what = f"{path}, which a metric read, is not in {source.where}"
            out.append((references.get(path), what, ("metric_files", path)))
        elif sha256_of(data) != digest:
            what = (
                f"{path}, which a metric reads, changed since the scores were measured "
                f"(recorded {_short(digest)}, now {_short(sha256_of(data))})"
            )
            out.append((references.get(path), what, ("metric_files", path)))
    return out


def _runner_problems(prompt: Prompt, evals: Evals, env: str) -> list[GateProblem]:
    """For an environment that requires a real model run: the recorded runner must be a model
    runner (`openai`) and the model that answered must be the prompt's pinned model."""
    runner = evals.runner
    pinned = prompt.model.name if prompt.model is not None else None
    need = f"{env} requires scores from a run of the pinned model (evals.require_model_run)"
    rerun = f"run `promptreg eval {prompt.name} --runner openai[:BASE_URL] --write`"
    if not runner or "kind" not in runner:
        why = "the scores do not record the runner that produced them (runner unknown)"
    elif runner["kind"] != "openai":
        why = f"the scores were produced by {describe_runner(runner)}, not by a model"
    elif pinned is None or runner.get("model") != pinned:
        why = (
            f"the scores were produced by {describe_runner(runner)}, not by the pinned "
            f"model {pinned}"
        )
    else:
        return []
    return [GateProblem(RUNNER, None, f"{why}; {need}: {rerun}", ("runner",))]


def _metric_problems(metric: Metric, scores: Mapping[str, float]) -> list[GateProblem]:
    name, threshold = metric.name, metric.threshold
    score = scores.get(name)
    if score is None:
        return [GateProblem(MISSING, name, f"no score recorded for `{name}`")]
    if threshold is not None and score < threshold:
        message = f"`{name}` {score:g} is below its threshold {threshold:g}"
        return [GateProblem(BELOW_THRESHOLD, name, message)]
    return []


def _regressions(
    metrics: Iterable[Metric],
    scores: Mapping[str, float],
    baseline: Mapping[str, float],
    tolerance: float,
) -> list[GateProblem]:
    out = []
    for metric in metrics:
        score, before = scores.get(metric.name), baseline.get(metric.name)
        if score is None or before is None:
            continue
        drop = round(before - score, 6)  # 0.93 - 0.92 is 0.010000000000000009
        if drop > tolerance:
            out.append(
                GateProblem(
                    REGRESSED,
                    metric.name,
                    f"`{metric.name}` {score:g} is {drop:g} below the deployed version's "
                    f"{before:g} (tolerance {tolerance:g})",
                )
            )
    return out


def baseline_scores(project: Project, name: str, env: str) -> Mapping[str, float] | None:
    """The eval scores recorded by the version of `name` deployed to `env`: None when nothing
    is deployed there, `{}` when the deployed version recorded none.

    Resolves `name@env` through the git registry (`promptreg.registry.Registry`); raises
    `UsageError` when `env` is not a configured environment.
    """
    check_environment(project, env)
    from promptreg.registry.runtime import Registry  # only when comparing: keeps `check` fast

    registry_ = Registry(project.root)
    try:
        deployed = registry_.get(f"{name}@{env}")
    except PromptNotFoundError:  # never deployed there: nothing to regress against
        return None
    finally:
        registry_.close()
    return dict(deployed.evals.scores) if deployed.evals is not None else {}


def check_environment(project: Project, env: str) -> None:
    """Raise `UsageError` unless `env` is one of the project's environments."""
    if env not in project.config.environments:
        known = ", ".join(project.config.environments)
        raise UsageError(f"{env!r} is not an environment (promptreg.yaml lists {known})")


def require_model_run(project: Project, env: str | None) -> str | None:
    """`env` when promptreg.yaml's `evals.require_model_run` lists it, else None."""
    return env if env is not None and env in project.config.evals.require_model_run else None


def gate_at_commit(
    registry: Registry,
    prompt: Prompt,
    env: str,
    baseline: Mapping[str, float] | None,
) -> GateResult:
    """`check_gate` for `prompt` as committed (its `revision`) on its way to `env`: the dataset
    and metric files are read at that commit, the tolerance and `require_model_run` come from
    promptreg.yaml. What `promote` and the pre-push hook run."""
    project = registry.project
    if prompt.revision is not None:
        source = commit_source(registry.store, project, prompt.revision)
    else:  # not read from a commit: nothing can be checked there, so nothing passes
        source = Source(lambda _rel: None, "", "an unknown commit")
    return check_gate(
        prompt,
        source=source,
        baseline=baseline,
        tolerance=project.config.evals.tolerance,
        require_model_run=require_model_run(project, env),
    )


def deploy_gate(
    registry: Registry, env: str
) -> Callable[[Prompt, Deployment | None], tuple[str, ...]]:
    """The gate `promote` runs for a deployment to `env`: a prompt that declares eval metrics
    must pass `gate_at_commit` against what `env` runs now (its recorded scores are the
    baseline). A prompt that declares no metrics has nothing to gate."""

    def gate(prompt: Prompt, current: Deployment | None) -> tuple[str, ...]:
        if prompt.evals is None or not prompt.evals.metrics:
            return ()
        baseline = dict(current.scores) if current is not None else None
        return gate_at_commit(registry, prompt, env, baseline).reasons

    return gate
