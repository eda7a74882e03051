"""`promptreg validate`: every check on every prompt, as findings with stable rule codes.

Loading (loader.py) finds what makes a file unusable; the lints here find what makes it wrong:
variables used but not declared and declared but not used, an unpinned model, a missing budget,
and a `sample` that does not render, renders an empty message or busts the token budget.
Large sets are checked on every core: compiling templates is CPU-bound.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from promptreg.app.fanout import batches_of, can_fork, fan_out
from promptreg.codecache import flush_all
from promptreg.errors import BudgetError, InputError, LimitError, RenderError, UsageError
from promptreg.findings import Finding
from promptreg.frontmatter.checks import dotted
from promptreg.frontmatter.spec import PromptSpec
from promptreg.names import PROMPTY_SUFFIX, SUFFIXES, name_problem, ref_problem
from promptreg.project.loader import PromptFile
from promptreg.project.project import Project, prompt_files_under
from promptreg.project.serving import add_serving_findings, declared_inputs
from promptreg.registry.tags import deployment_tag, release_tag

# Below this many files a worker pool costs more than it saves.
PARALLEL_THRESHOLD = 200


@dataclass(frozen=True)
class Report:
    files: int
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        """No finding but warnings (PR087, PR088)."""
        return all(f.is_warning for f in self.findings)


READS = (
    "promptreg reads prompt files (*.prompt, *.prompty), directories of them, prompt names, "
    "partials under the prompts directory that a prompt includes, eval datasets (*.jsonl) and "
    "promptreg.yaml"
)


def select_files(project: Project, paths: Sequence[str], *, strict: bool = False) -> list[Path]:
    """The prompt files `validate` checks for these arguments: files, directories or names;
    a partial stands for every prompt that includes it, and a dataset (`.jsonl`) for every
    prompt evaluated on it. No arguments: every prompt.

    `strict` (the command line): a file that is none of these (`x.prompty`, a partial no
    prompt includes) is a UsageError saying what promptreg reads, not "0 prompts checked".
    Otherwise (a hook, handed whatever its file pattern matched) such files are skipped."""
    if not paths:
        return project.prompt_files()
    selected: dict[Path, None] = {}
    partials: list[str] = []
    datasets: list[Path] = []
    for arg in paths:
        path = Path(arg)
        if project.config.path is not None and path.resolve() == project.config.path.resolve():
            return project.prompt_files()  # the config changes how every prompt is checked
        if path.is_dir():
            selected.update((p, None) for p in prompt_files_under(path))
        elif path.is_file() and arg.endswith(".jsonl"):
            datasets.append(path.resolve())
        elif path.is_file() and not arg.endswith(SUFFIXES):
            try:
                partials.append(
                    path.resolve().relative_to(project.prompts_dir.resolve()).as_posix()
                )
            except ValueError:
                if strict:
                    raise UsageError(f"{arg} is not a prompt file: {READS}") from None
                continue  # not ours (pre-commit may pass any file its pattern matched)
        else:
            selected[project.locate(arg)] = None
    if partials:
        including = project.prompts_including(partials)
        if strict:
            _refuse_unused(project, partials, including)
        selected.update((p, None) for p in including)
    if datasets:
        from promptreg.evals.lint import prompts_using_datasets

        selected.update((p, None) for p in prompts_using_datasets(project, datasets))
    return list(selected)


def _lint_refs(pf: PromptFile, project: Project, version: str | None) -> None:
    """PR007: every tag release and promote would create for this prompt fits a git ref,
    checked here so that a too-long name or version fails validate, not a release."""
    if pf.doc is None or name_problem(pf.name):
        return
    tags = [release_tag(pf.name, version or "0.0.0")]
    tags += [deployment_tag(pf.name, env, 999_999) for env in project.config.environments]
    for n, tag in enumerate(tags):
        problem = ref_problem(tag)
        if problem is not None:
            line, col = pf.doc.position(("version",)) if n == 0 else (1, 1)
            pf.add(line, col, "PR007", f"{problem}; shorten the prompt's name (or its version)")
            return


def _lint_text(pf: PromptFile) -> None:
    """PR087/PR088 (warnings): text another tool would read differently (issue 12 §3);
    PR091: a history block of an older import, which lets input choose a role."""
    from promptreg.template.text_lint import lookalike_markers, old_history_block, repeated_inputs

    if pf.parts is None:
        return
    body, offset = pf.parts.body, pf.parts.body_line - 1
    if not pf.path.name.endswith(PROMPTY_SUFFIX):  # there they are Prompty's role lines
        lookalike_markers(body, offset, pf.add)
    repeated_inputs(body, offset, declared_inputs(pf), pf.add)
    old_history_block(body, offset, pf.add)


def _lint_twin(pf: PromptFile) -> None:
    """PR086: `x.prompt` and `x.prompty` would both be the prompt `x`."""
    name = pf.path.name
    for suffix, other in ((".prompty", ".prompt"), (".prompt", ".prompty")):
        if name.endswith(suffix):
            twin = pf.path.with_name(name[: -len(suffix)] + other)
            if twin.is_file():
                pf.add(1, 1, "PR086", f"{twin.name} is the prompt `{pf.name}` too: keep one")
            return


def _refuse_unused(project: Project, partials: Sequence[str], including: Sequence[Path]) -> None:
    """UsageError naming the first of `partials` that none of `including` includes."""
    used: set[str] = set()
    for path in including:
        closure = project.read(path).closure
        used.update(closure.partials if closure is not None else ())
    for partial in partials:
        if partial not in used:
            shown = project.shown(project.prompts_dir / partial)
            raise UsageError(f"{shown} is not a prompt file, and no prompt includes it: {READS}")


def validate(project: Project, files: Sequence[Path], *, jobs: int | None = None) -> Report:
    """Every check on `files`, in `jobs` processes (default: one per CPU) when there are
    enough files to pay for them: this one and forked children (see fanout.py)."""
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if jobs <= 1 or len(files) < PARALLEL_THRESHOLD:
        findings = _validate_chunk(project, files)
    elif can_fork():
        scanned: set[Path] = set()  # each process's own copy: a partial scanned once in each
        findings = fan_out(
            lambda batch: _validate_chunk(project, batch, scanned),
            batches_of(files, jobs),
            processes=jobs,
            finish=flush_all,  # a forked child ends without running atexit handlers
        )
    else:  # spawned workers (not Linux)
        from concurrent.futures import ProcessPoolExecutor

        chunks = [list(files[i::jobs]) for i in range(jobs)]
        with ProcessPoolExecutor(
            max_workers=jobs, initializer=_init_worker, initargs=(project,)
        ) as pool:
            findings = [f for chunk in pool.map(_validate_in_worker, chunks) for f in chunk]
    return Report(len(files), sorted(set(findings)))


_worker_project: Project | None = None


def _init_worker(project: Project) -> None:
    global _worker_project
    _worker_project = Project(project.config)


def _validate_in_worker(files: list[Path]) -> list[Finding]:
    assert _worker_project is not None
    try:
        return _validate_chunk(_worker_project, files)
    finally:
        flush_all()  # a pool worker ends without running atexit handlers


def _validate_chunk(
    project: Project, files: Sequence[Path], scanned: set[Path] | None = None
) -> list[Finding]:
    findings: list[Finding] = []
    scanned = set() if scanned is None else scanned
    for path in files:
        pf = project.read(path)
        lint(pf, project)
        findings.extend(pf.findings)
        findings.extend(_secrets(project, pf, scanned))
    return findings


def _secrets(project: Project, pf: PromptFile, scanned: set[Path]) -> list[Finding]:
    """PR074 in the prompt file (the bytes the loader read) and every partial it includes, by
    the no-secrets hook's own rules (one rule set wherever it runs). A partial shared by many
    prompts is read once per worker; `validate` drops the duplicates across workers."""
    from promptreg.app.secrets import secret_findings

    found = [] if pf.data is None else secret_findings(pf.shown, pf.data)
    partials = sorted(pf.closure.partials) if pf.closure is not None else []
    for path in (project.prompts_dir / partial for partial in partials):
        if path in scanned:
            continue
        scanned.add(path)
        try:
            data = path.read_bytes()
        except OSError:
            continue  # unreadable: the loader reports it (PR043)
        found += secret_findings(project.shown(path), data)
    return found


def lint(pf: PromptFile, project: Project) -> None:
    """Add the lint findings for a file that loaded far enough to be linted.

    Checks that do not depend on each other all run: the model, budget and tag checks read
    the front-matter as written, so a schema error elsewhere in it (or a template that does
    not compile) hides none of them; the input checks need the template's variables and the
    declared inputs; only the sample render needs everything."""
    config = project.config
    doc, spec = pf.doc, pf.spec
    if doc is None or not isinstance(doc.data, dict):
        return
    data = doc.data
    add_serving_findings(pf, config.lint.allowed_models)
    budget = data.get("budget")
    if config.lint.require_budget and (
        budget is None or (isinstance(budget, dict) and budget.get("max_input_tokens") is None)
    ):
        line, col = doc.position(("budget",))
        pf.add(
            line, col, "PR032", "budget.max_input_tokens is required (lint.require_budget is on)"
        )
    version = data.get("version")
    _lint_refs(pf, project, version if isinstance(version, str) else None)
    _lint_twin(pf)
    _lint_text(pf)
    if spec is not None:
        if spec.evals is not None:  # (its lints and their imports only then)
            from promptreg.evals.lint import lint_evals

            lint_evals(pf, project)
        if spec.output is not None or spec.tools:
            _lint_structured(pf, spec)
    inputs = data.get("inputs", {})
    if pf.closure is None or not isinstance(inputs, dict):
        return
    for name in declared_inputs(pf):
        if name not in pf.closure.variables:
            line, col = doc.position(("inputs", name))
            pf.add(line, col, "PR042", f"input `{name}` is declared but the template never uses it")
    if pf.prompt is not None and not any(f.code == "PR041" for f in pf.findings):
        _check_sample(pf)


def _lint_structured(pf: PromptFile, spec: PromptSpec) -> None:
    """PR081/PR083: `output.schema` and tool parameters are valid JSON Schema."""
    from promptreg.frontmatter.structured_lint import structured_findings

    doc = pf.doc
    assert doc is not None

    def add(where: tuple[str | int, ...], code: str, message: str) -> None:
        line, col = doc.position(where)
        pf.add(line, col, code, f"{dotted(where[:2])}: {message}")

    structured_findings(spec, add)


def _check_sample(pf: PromptFile) -> None:
    prompt, doc = pf.prompt, pf.doc
    assert prompt is not None and doc is not None
    sample = prompt.sample
    required = [n for n, s in prompt.inputs.items() if s.required]
    if sample is None and required:
        names = ", ".join(f"`{n}`" for n in required)
        pf.add(1, 1, "PR051", f"no `sample`: add sample values for the required inputs {names}")
        return
    try:
        rendered = prompt.render_inputs(sample or {}, check_budget=False)
    except InputError as err:
        line, col = doc.position(("sample", err.input_name))
        pf.add(line, col, "PR051", f"sample.{err.input_name}: {err.message}")
        return
    except RenderError as err:
        line = err.line or pf.body_line
        where = "" if err.path in (None, pf.shown) else f" (in {err.path})"
        code, what = "PR050", "sample does not render"
        if isinstance(err, LimitError):
            code, what = "PR054", "sample rendering exceeds a limit"
        pf.add(line if not where else pf.body_line, 1, code, f"{what}{where}: {err.message}")
        return
    for i, message in enumerate(rendered.messages):
        if not message["content"]:
            pf.add(
                pf.body_line,
                1,
                "PR052",
                f"message {i + 1} ({message['role']}) is empty with the sample inputs",
            )
    try:
        prompt.check_budget(rendered, kept=True)  # exact counts from the cache when warm
    except BudgetError as err:
        line, col = doc.position(("budget", "max_input_tokens"))
        pf.add(line, col, "PR053", f"sample: {err.message}")
