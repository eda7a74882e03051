"""`promptreg eval --write`: record a run's scores in the prompt's front-matter.

Through the ruamel round-trip writer, so every other byte of the file stays as it was: the
comments, the key order, the quoting, the body. What is recorded, under `evals`:
`scores` (metric → mean), `content_hash` (what was measured), `dataset_hash`,
`metrics_hash` and `metric_files` (on what, with which metrics, rubrics and schemas),
`evaluated_at` (UTC, ISO 8601 with `Z`), `model` (`provider/name`, the prompt's pinned
model) and `runner` (what produced the outputs: see `provenance.record_runner`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from promptreg.errors import IncompleteRunError
from promptreg.evals.provenance import metrics_hash, record_runner
from promptreg.evals.summary import EvalSummary
from promptreg.frontmatter._yaml import rewrite_front_matter


def recorded_values(summary: EvalSummary, now: datetime | None = None) -> dict[str, Any]:
    """The `evals` fields `--write` sets, in the order they are added when absent."""
    prompt = summary.run.prompt
    model = prompt.model
    return {
        "scores": summary.scores,
        "content_hash": prompt.content_hash,
        "dataset_hash": summary.run.dataset.sha256,
        "metrics_hash": metrics_hash(summary.run.metrics),
        "evaluated_at": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "model": f"{model.provider}/{model.name}" if model else None,
        # None when no metric reads a file: an old block keeps no empty mapping around.
        "metric_files": dict(summary.run.metric_files) or None,
        "runner": record_runner(summary.run),
    }


def write_scores(summary: EvalSummary, *, now: datetime | None = None) -> bool:
    """Record the run in the prompt file. Returns whether the file changed. Raises
    `IncompleteRunError` when any case got no output (nothing is written then)."""
    failed = [r for r in summary.run.results if r.error is not None]
    if failed:
        total = len(summary.run.results)
        raise IncompleteRunError(
            f"{len(failed)} of {total} cases got no output (first: {failed[0].case.id}: "
            f"{failed[0].error}); scores not written. Fix it and run again: cached answers "
            "are reused, so only those cases are paid for again",
            path=summary.run.prompt.shown_path,
        )
    values = recorded_values(summary, now)

    def edit(data: Any) -> None:
        evals = data["evals"]
        new_scores = values["scores"]
        scores = evals.get("scores")
        if isinstance(scores, dict):
            # Edit in place: the mapping keeps its style (flow or block) and its comments.
            for name in [n for n in scores if n not in new_scores]:
                del scores[name]
            for name, score in new_scores.items():
                scores[name] = score
        else:
            evals["scores"] = dict(new_scores)
        for key in ("content_hash", "dataset_hash", "metrics_hash", "evaluated_at", "model"):
            if values[key] is not None:
                evals[key] = values[key]
        # Replaced whole: a value left from an older run would describe another run.
        for key in ("metric_files", "runner"):
            if values[key] is not None:
                evals[key] = values[key]
            elif key in evals:
                del evals[key]

    return rewrite_front_matter(summary.run.prompt.path, edit)
