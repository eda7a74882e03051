"""Commands on eval scores: eval (measure, and record with --write) and check (the gate)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from promptreg.cli._base import State, cli, counted, emit_json, json_option, print_table
from promptreg.errors import ExitCode, PromptregError

if TYPE_CHECKING:
    from promptreg.evals.api import CheckReport
    from promptreg.evals.summary import EvalSummary


class _Progress:
    """A progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if not sys.stderr.isatty():
                return
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@cli.command(name="eval")
@click.argument("name")
@click.option(
    "--runner",
    metavar="RUNNER",
    help="openai[:BASE_URL], command:CMD or python:MODULE:FUNCTION "
    "(default: evals.runner in promptreg.yaml, else openai).",
)
@click.option(
    "--jobs", "-j", type=click.IntRange(min=1), help="Requests in flight (default: evals.jobs)."
)
@click.option(
    "--write",
    is_flag=True,
    help="Record the scores, content hash, dataset hash, time and model in the prompt file.",
)
@click.option(
    "--compare", metavar="ENV", help="Show the scores of the version deployed to ENV, and deltas."
)
@click.option("--no-cache", is_flag=True, help="Call the model even when an answer is cached.")
@json_option
@click.pass_obj
def eval_(
    state: State,
    *,
    name: str,
    runner: str | None,
    jobs: int | None,
    write: bool,
    compare: str | None,
    no_cache: bool,
    as_json: bool,
) -> None:
    """Run a prompt over its golden dataset and score it with its metrics. Exit 1 when a
    metric is below its threshold or a case got no output."""
    from promptreg.evals.api import evaluate
    from promptreg.evals.write import write_scores

    progress = _Progress(f"eval {name}")
    try:
        summary = evaluate(
            state.project,
            name,
            runner=runner,
            jobs=jobs,
            use_cache=not no_cache,
            compare=compare,
            progress=progress,
        )
    finally:
        progress.close()
    write_error: PromptregError | None = None
    written = False
    if write:
        try:
            written = write_scores(summary)
        except PromptregError as err:
            write_error = err
    if as_json:
        emit_json({**summary.to_json(), "written": written})
    else:
        _print_summary(summary)
        if written:
            click.echo(f"recorded the scores in {summary.run.prompt.shown_path}")
        elif write and write_error is None:
            click.echo(f"{summary.run.prompt.shown_path} already records these scores")
    if write_error is not None:
        raise write_error
    if not summary.ok:
        sys.exit(ExitCode.FINDINGS)


def _print_summary(summary: EvalSummary) -> None:
    run = summary.run
    prompt = run.prompt
    click.echo(
        click.style(f"{prompt.name} {prompt.version}", bold=True)
        + f" on {run.dataset.shown} ({len(run.results)} cases) via {run.runner}"
    )
    compare = summary.baseline_env
    header: tuple[str, ...] = ("METRIC", "KIND", "SCORE", "PASS RATE", "THRESHOLD", "RESULT")
    if compare:
        header += (compare.upper(), "DELTA")
    rows = []
    for m in summary.metrics:
        threshold = m.metric.threshold
        row: tuple[str, ...] = (
            m.metric.name,
            m.metric.kind,
            f"{m.mean:.4f}",
            "-" if m.pass_rate is None else f"{m.pass_rate:.1%}",
            "-" if threshold is None else f"{threshold:g}",
            {True: "ok", False: "BELOW", None: "-"}[m.passed],
        )
        if compare:
            row += (
                "-" if m.baseline is None else f"{m.baseline:.4f}",
                "-" if m.delta is None else f"{m.delta:+.4f}",
            )
        rows.append(row)
    print_table(header, rows)
    if compare and not summary.baseline_found:
        click.echo(f"(nothing is deployed to {compare}: no scores to compare with)")
    worst = [(m.metric.name, w) for m in summary.metrics for w in m.worst]
    if worst:
        click.echo("\nworst cases:")
        print_table(
            None,
            [(name, w.id, f"{w.score:g}", w.note or "") for name, w in worst],
            indent="  ",
        )
    for a in summary.agreement:
        rho = "undefined" if a.spearman is None else f"{a.spearman:.2f}"
        click.echo(
            f"\njudge `{a.metric}` against human scores ({a.cases} cases): "
            f"Spearman {rho}, mean absolute error {a.mae:.3f}"
        )
    failed = [r for r in run.results if r.error is not None]
    if failed:
        click.echo(f"\n{len(failed)} case{'s' if len(failed) != 1 else ''} got no output:")
        for r in failed[:10]:
            click.echo(f"  {r.case.id} (line {r.case.line}): {r.error}")
        if len(failed) > 10:
            click.echo(f"  … and {len(failed) - 10} more (see --json)")
    click.echo("\n" + _usage_line(summary))


def _usage_line(summary: EvalSummary) -> str:
    stats = summary.run.stats
    tokens_in = sum(c.input_tokens for c in summary.costs)
    tokens_out = sum(c.output_tokens for c in summary.costs)
    line = (
        f"{counted(stats.requests, 'request')}, "
        f"{stats.cache_hits:,} answered from the cache, "
        f"{counted(stats.retries, 'retry', 'retries')}; "
        f"tokens {tokens_in:,} in, {tokens_out:,} out; "
    )
    if not summary.costs:  # nothing was asked of a model: there is nothing to price
        return line + "no cost (every answer came from the cache)"
    if summary.usd is not None:
        return line + f"cost ${summary.usd:,.4f} (prices as of {summary.prices_as_of})"
    why = [
        f"{c.model}: the runner reports no token usage"
        if c.unreported
        else f"no price for {c.model} (add it under pricing.models)"
        for c in summary.costs
        if c.usd is None
    ]
    return line + "cost unknown (" + "; ".join(why) + ")"


@cli.command()
@click.argument("names", nargs=-1)
@click.option(
    "--against",
    metavar="ENV",
    help="Also fail scores that fell below the version deployed to ENV (by evals.tolerance).",
)
@json_option
@click.pass_obj
def check(state: State, names: tuple[str, ...], against: str | None, as_json: bool) -> None:
    """The eval gate: fail prompts whose scores are missing, stale, below threshold or
    regressed. Default: every prompt with an `evals` block. Exit 1 when any fails."""
    from promptreg.evals.api import check_prompts

    report = check_prompts(state.project, names, against=against)
    if as_json:
        emit_json(report.to_json())
    else:
        _print_check(report)
    if not report.ok:
        sys.exit(ExitCode.FINDINGS)


def _print_check(report: CheckReport) -> None:
    for result in report.results:
        if result.ok:
            scores = ", ".join(f"{k} {v:g}" for k, v in result.scores.items())
            click.echo(f"ok    {result.name}  {scores}")
            continue
        click.echo(f"FAIL  {result.name}")
        for problem in result.problems:
            click.echo(f"      {problem.line}")
    failing = sum(not r.ok for r in report.results)
    checked = len(report.results)
    summary = f"{checked} prompt{'s' if checked != 1 else ''} checked, "
    summary += f"{failing} failing" if failing else "all pass"
    if report.skipped:
        summary += f"; {len(report.skipped)} without evals skipped"
    click.echo(summary, err=True)
