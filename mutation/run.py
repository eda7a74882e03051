"""`make mutation`: mutation testing of the modules that carry promptreg's promises.

A test suite that passes proves little until it fails when the code is wrong. mutmut plants one
small bug at a time (a `<` for a `<=`, a string changed, a condition negated) and runs the tests
that reach it; a mutant the tests do not notice ("survived") is a bug they would let through.

Each module is run in a scratch copy under `mutation/.work/<module>/`, with only the tests
that exercise it (mutmut then runs, for each mutant, only those of them that reach the mutated
function): the whole suite per mutant would take days on 2 cores. `--jobs N` modules run side
by side, longest first, and `mutation_plugin.py` orders each mutant's tests likely killers
first, then cheapest: a killed mutant costs the test that kills it. Survivors that are
equivalent mutants (no test can tell them apart from the original, because they do not change
what the code does) are explained in `mutation/equivalent.py`, matched on the mutated line.

    python mutation/run.py [--write] [--jobs N] [--resume | --no-run | --check-explained]
                           [MODULE ...]                             (default: every module)

`--resume` goes on from the module's last run instead of starting again: mutants it left
unchecked (an interrupted run), functions changed since, and its survivors not explained as
equivalent (against the tests as they are now: a test written for a survivor is checked in
seconds, not a full run). A changed test selection in MODULES makes mutmut start over.

`--check-explained` runs the mutants explained as equivalent too (a run skips them: they
count the same either way) and names each one a test kills: its explanation is wrong, and so
is one written for code that has since changed. Lines of equivalent.py that explain no mutant
of a module (the code moved) are named after every run.

`--write` writes `mutation/RESULTS.md`: the table and the surviving mutants of the modules run,
the previous results of the others kept (so modules can be run one at a time). Exit status:
0 when every module run reaches the goal (90 % of its mutants killed or explained), 1 when one
does not, 2 when mutmut could not run.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from equivalent import EQUIVALENT  # run as a script: mutation/ is on the path
from mutation_plugin import CHECK_EXPLAINED, explaining_line, mutant_diff

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "mutation" / ".work"
RESULTS = ROOT / "mutation" / "RESULTS.md"
PLUGIN = ROOT / "mutation" / "mutation_plugin.py"  # cheapest tests first, no shrinking
EXPLANATIONS = ROOT / "mutation" / "equivalent.py"  # the plugin skips the mutants they explain
GOAL = 0.90

# The tests of the modules that create tags (deploy.py, release.py, rollback.py, tagging.py).
_DEPLOY_TESTS = (
    "tests/registry/test_deploy_rules.py",
    "tests/registry/test_deploy.py",
    "tests/registry/test_bulk.py",
    "tests/registry/test_rollback_path.py",
    "tests/registry/test_push_refusals.py",
    "tests/registry/test_deploy_trust.py::test_a_stale_ref_lock_is_named_quickly_without_littering",
    "tests/registry/test_deploy_trust.py::test_a_stale_lock_after_a_push_says_the_remote_has_the_tag",
)

# The tests of the read model of deployments (deployments.py, verdicts.py).
_READ_MODEL_TESTS = (
    "tests/registry/test_deployments.py",
    "tests/registry/test_deployment_verdict_details.py",
    "tests/registry/test_verdict_scores.py",
    "tests/registry/test_legacy_hashes.py",
    # hand-made tags an attacker with push access makes: targets that are not commits, lies
    "tests/registry/test_redteam_git.py",
    "tests/registry/test_redteam_tag_bytes.py",  # the total of tag bytes one reader holds
    "tests/registry/test_read_exchanges.py",  # reading ahead: a few exchanges, not per tag
    # ssh only: the OpenPGP variants take most of the time, through the same code here
    "tests/registry/test_deploy_signing.py::test_only_deployments_signed_by_an_allowed_key_are_served[ssh]",
    "tests/registry/test_deploy_signing.py::test_get_all_verifies_many_signatures_side_by_side[ssh]",
)

# module -> the tests that exercise it (pytest arguments). Fast subsets: in-process tests first.
MODULES: dict[str, list[str]] = {
    "promptreg/template/tokens.py": [
        "tests/template/test_tokens.py",
        "tests/template/test_budget.py",
        # media parts' counts, and exact counts kept in the code cache (warm validate)
        "tests/template/test_token_count_cache.py",
        "tests/template/test_render_media.py",
        "tests/app/test_validate_parallel.py::test_a_warm_validate_loads_no_tokenizer_and_a_new_sample_is_counted_again",
        "tests/app/test_validate_parallel.py::test_a_message_with_media_parts_is_counted_by_its_parts_cold_and_warm",
    ],
    "promptreg/app/secrets.py": [
        "tests/hooks/test_secrets.py",
        "tests/hooks/test_validate_secrets.py",  # the pre-check never hides a hit
        "tests/hooks/test_hooks_units.py",
        "tests/hooks/test_hooks_git.py::test_no_secrets_scans_what_is_staged",
    ],
    # the hook itself (test_hooks_units.py never calls it)
    "promptreg/hooks/no_secrets.py": [
        "tests/hooks/test_no_secrets_hook_files.py",
        "tests/hooks/test_secrets.py",
        "tests/hooks/test_hooks_git.py::test_no_secrets_scans_what_is_staged",
    ],
    "promptreg/registry/selectors.py": ["tests/registry/test_selectors.py"],
    "promptreg/template/render.py": [
        "tests/template/test_printed_values.py",
        "tests/template/test_template_error_locations.py",
        "tests/template/test_placeholder_nesting.py",
        "tests/template/test_render_markers.py",
        "tests/template/test_render_structure.py",
        "tests/template/test_render_properties.py",
        "tests/template/test_redteam_render.py",
        "tests/template/test_render_media.py",
        "tests/test_api.py",
        # the other whitespace rules (`whitespace: keep`, a .prompty file's)
        "tests/template/test_text_lint.py",
        "tests/formats/test_prompty_in_place.py",
        "tests/formats/test_prompty_conformance.py",
    ],
    # what the content hash covers: exactly what changes the request to the model
    "promptreg/template/content_hash.py": [
        "tests/template/test_content_hash_vectors.py",
        "tests/template/test_content_hash.py",
        "tests/registry/test_legacy_hashes.py",
    ],
    "promptreg/template/markers.py": [
        "tests/template/test_printed_values.py",
        "tests/template/test_template_error_locations.py",
        "tests/template/test_render_markers.py",
        "tests/template/test_render_structure.py",
        "tests/template/test_redteam_render.py",
    ],
    "promptreg/registry/tags.py": [
        "tests/registry/test_tags_contract.py",
        "tests/registry/test_tags.py",
    ],
    # the fast reader of deployment messages (one answer with the YAML reader on any input)
    "promptreg/registry/tagmessage.py": [
        "tests/registry/test_tagmessage.py",
        "tests/registry/test_tags_contract.py",
        "tests/registry/test_tags.py",
    ],
    "promptreg/registry/tagobject.py": [
        "tests/registry/test_tagobject.py",
        "tests/registry/test_tags.py",
    ],
    # the read model of deployments (deployments.py) and what it returns (verdicts.py)
    "promptreg/registry/deployments.py": [
        *_READ_MODEL_TESTS,
        "tests/registry/test_signature_verdicts.py",
    ],
    "promptreg/registry/verdicts.py": list(_READ_MODEL_TESTS),
    "promptreg/registry/deploy.py": [
        *_DEPLOY_TESTS,
        # a push the remote refuses (not a race) is not retried
        "tests/registry/test_redteam_push_refusal.py",
        "tests/registry/test_bulk_promotion.py",
        "tests/registry/test_legacy_hashes.py",
        "tests/registry/test_read_exchanges.py",  # what a promotion reads, read ahead
    ],
    "promptreg/registry/release.py": [
        *_DEPLOY_TESTS,
        "tests/registry/test_release_records.py",
        "tests/registry/test_read_exchanges.py",  # releases planned in a few exchanges
    ],
    "promptreg/registry/rollback.py": [*_DEPLOY_TESTS, "tests/registry/test_rollback_records.py"],
    "promptreg/registry/tagging.py": [*_DEPLOY_TESTS, "tests/registry/test_tag_creation.py"],
    "promptreg/registry/refindex.py": [
        "tests/registry/test_refindex_trust_edges.py",
        "tests/registry/test_refindex.py",
        "tests/registry/test_registry.py",
        "tests/registry/test_deploy.py",
        "tests/registry/test_deployments.py",
    ],
    # status and log (test_deploy, test_deployments, test_rollback_path never call them)
    "promptreg/registry/history.py": [
        "tests/registry/test_status_rows.py",
        "tests/app/test_diff_status.py",
        "tests/cli/test_cli_unknown.py",
    ],
    "promptreg/evals/gate.py": [
        "tests/evals/test_gate_stale_fields.py",
        "tests/evals/test_gate_tolerance_config.py",
        "tests/evals/test_gate_contract.py",
        "tests/evals/test_evals_gate.py",
        "tests/evals/test_evals_provenance.py",
    ],
    "promptreg/registry/sshsig.py": [
        "tests/registry/test_sshsig.py",
        "tests/registry/test_signing_without_a_terminal.py",
    ],
    # the reader's own refusals first: hand-written files, no git (test_fuzz_readers.py does
    # not reach bundles)
    "promptreg/registry/bundle_read.py": [
        "tests/registry/test_bundle_read_messages.py",
        "tests/registry/test_bundle_field_errors.py",
        "tests/registry/test_bundle_integrity.py",
    ],
    **{
        module: [
            "tests/registry/test_bundle_serving.py",
            "tests/registry/test_bundle_integrity.py",
            "tests/registry/test_registry.py",
            # a .prompty file's dialect is under its content hash
            "tests/formats/test_prompty_in_place.py::test_release_promote_get_and_the_version_hook",
        ]
        for module in ("promptreg/registry/bundle.py", "promptreg/registry/bundle_export.py")
    },
    "promptreg/registry/signing.py": [
        "tests/registry/test_signing_reasons.py",
        "tests/registry/test_signing_openpgp.py",
        "tests/registry/test_deploy_signing.py",
        "tests/registry/test_legacy_hashes.py",
    ],
}

# module -> which code its kept result is for, when the code moved or was split after that run
# (a result stays valid for code moved unchanged; a split module is measured again by a run).
NOTES: dict[str, str] = {
    "promptreg/app/secrets.py": (
        "run on promptreg/hooks/secrets.py, now the scanner (app/secrets.py) and the hook "
        "(hooks/no_secrets.py)"
    ),
}


@dataclass
class Outcome:
    module: str
    seconds: float
    status: dict[str, str] = field(default_factory=dict)  # mutant -> mutmut's status
    diffs: dict[str, str] = field(default_factory=dict)  # survivor -> its diff
    explained: dict[str, str] = field(default_factory=dict)  # survivor -> why equivalent
    # equivalent.py's lines for this module that explain none of its mutants: the code moved
    stale: list[str] = field(default_factory=list)
    # `--check-explained`: mutants explained as equivalent that a test killed -> the line
    disproved: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Mutants tested (an interrupted run leaves some `not checked`: see `unchecked`)."""
        return len(self.status) - self.unchecked

    @property
    def unchecked(self) -> int:
        return sum(s == "not checked" for s in self.status.values())

    @property
    def killed(self) -> int:
        return sum(s in ("killed", "timeout") for s in self.status.values())

    @property
    def survivors(self) -> list[str]:
        return [m for m, s in self.status.items() if s not in ("killed", "timeout", "not checked")]

    @property
    def score(self) -> float:
        """Killed or explained, of all mutants (a mutant no test reaches counts as survived)."""
        return (self.killed + len(self.explained)) / self.total if self.total else 1.0


def _mutmut() -> Path:
    found = Path(sys.executable).parent / "mutmut"
    if not found.exists():
        raise SystemExit("mutation: mutmut is not installed; run `make mutation`")
    return found


def _prepare(module: str, tests: list[str], *, resume: bool = False) -> Path:
    """A scratch copy of the repository's files whose pyproject tells mutmut what to do. mutmut
    runs the tests in its own copy (`mutants/`): the files they read (README, hooks, prompts)
    go there too. `resume`: keep mutmut's state from the last run (its results stand for the
    functions that did not change) and only bring the files up to date."""
    work = _work(module)
    if not resume:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    tops: set[str] = set()
    for name in filter(None, listed.split("\0")):
        top = name.split("/")[0]
        if top in ("mutation", "bench") or not (ROOT / name).is_file():
            continue
        tops.add(top)
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, work / name)
    scripts = {script.name for script in (PLUGIN, EXPLANATIONS)}
    for script in (PLUGIN, EXPLANATIONS):  # importable in `mutants/`, which is on sys.path
        shutil.copy2(script, work / script.name)
    also = sorted(tops - {"promptreg", "tests", "pyproject.toml"} | scripts)
    config = (
        "\n\n[tool.mutmut]\n"
        'source_paths = ["promptreg"]\n'
        f"only_mutate = [{_quoted([module])}]\n"
        f"also_copy = [{_quoted(also)}]\n"
        f"pytest_add_cli_args_test_selection = [{_quoted(tests)}]\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "mutation_plugin", "-x", "-q"]\n'
        # A mutant that hangs is stopped after 6x (its tests' time + 1 s) of CPU, not mutmut's
        # 30x: two hanging mutants of tagging.py took 187 s each. A survivor's tests use about
        # their measured time of CPU (git's own work is in its processes), well under 6x.
        "timeout_multiplier = 3.0\n"
    )
    with (work / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(config)
    return work


def _quoted(items: list[str]) -> str:
    return ", ".join(f'"{item}"' for item in items)


def _tail(output: str) -> str:
    """The end of mutmut's output, without its progress spinner's redrawn lines."""
    lines = [line.rsplit("\r", 1)[-1] for line in output.splitlines()]
    return "\n".join(line for line in lines if line.strip())[-3000:]


def _work(module: str) -> Path:
    return WORK / module.replace("/", "_").removesuffix(".py")


def _statuses(mutmut: str, work: Path, env: dict[str, str]) -> dict[str, str]:
    """Every mutant of the last run in `work`, with its status (`mutmut results`)."""
    listing = subprocess.run(
        [mutmut, "results", "--all", "true"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    found = (line.strip().rpartition(": ") for line in listing.stdout.splitlines())
    return {name: status for name, sep, status in found if sep and name}


def run_module(
    module: str, jobs: int, *, rerun: bool = True, resume: bool = False, check: bool = False
) -> Outcome:
    """Run mutmut on `module` (or, `rerun=False`, read its last run's results again: to apply
    new explanations of equivalent mutants without running the tests again). `resume`: go on
    from the last run (an interrupted one finishes; functions changed since are run again, and
    so are the last run's survivors, against the tests as they are now). `check`: run the
    mutants explained as equivalent too, and name those a test kills."""
    mutmut = str(_mutmut())
    env = {**os.environ, "PROMPTREG_NO_CACHE": "1", "NO_COLOR": "1"}
    if check:
        env[CHECK_EXPLAINED] = "1"
    work = _work(module)
    timing = work / "seconds.txt"
    if rerun:
        resume = resume and (work / "mutants").is_dir()
        # the last run's survivors not explained as equivalent: new tests may kill them now
        again = [
            name
            for name, status in (_statuses(mutmut, work, env) if resume else {}).items()
            if status in ("survived", "no tests", "skipped") and _explained(work, name)[1] is None
        ]
        work = _prepare(module, MODULES[module], resume=resume)
        start = time.perf_counter()
        proc = subprocess.run(
            [mutmut, "run", "--max-children", str(jobs)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if again and proc.returncode == 0:  # tests added since may kill them now
            proc = subprocess.run(
                [mutmut, "run", "--max-children", str(jobs), *again],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
        seconds = time.perf_counter() - start
        if resume and timing.is_file():  # the time of the whole run, in parts
            seconds += float(timing.read_text(encoding="utf-8"))
        timing.write_text(f"{seconds:.1f}\n", encoding="utf-8")
        failed, output = proc.returncode != 0, proc.stdout + proc.stderr
    elif timing.is_file():
        seconds, failed, output = float(timing.read_text(encoding="utf-8")), False, ""
    else:
        raise SystemExit(f"mutation: {module} has no finished run in {work} to report")
    outcome = Outcome(module, seconds, _statuses(mutmut, work, env))
    if failed or not outcome.status:
        raise SystemExit(f"mutation: mutmut failed on {module}:\n{output[-3000:]}")
    used = set()
    for name in outcome.survivors:
        shown, line = _explained(work, name)
        outcome.diffs[name] = shown
        if line is not None and outcome.status[name] in ("survived", "skipped"):
            outcome.explained[name] = EQUIVALENT[module][line]
            used.add(line)
    if check:
        for name, status in outcome.status.items():
            if status in ("killed", "timeout") and (line := _explained(work, name)[1]):
                outcome.disproved[name] = line
                used.add(line)
    if not outcome.unchecked:  # an interrupted run may not have reached the mutant yet
        outcome.stale = [line for line in EQUIVALENT.get(module, {}) if line not in used]
    return outcome


def _explained(work: Path, name: str) -> tuple[str, str | None]:
    """A surviving mutant's diff, and the line of equivalent.py that explains it (None: not
    explained): the plugin's own answer when it skipped the mutant, from mutmut's copy."""
    diff = mutant_diff(name, work / "mutants")
    return "\n".join(diff), explaining_line(name, diff, EQUIVALENT)


def _percent(score: float) -> str:
    """Rounded down: 89.97 % is not shown as the 90.0 % goal."""
    return f"{math.floor(score * 1000) / 10:.1f}%"


def _previous(text: str) -> dict[str, tuple[str, list[str]]]:
    """module -> (its table row, its survivors section) in an earlier RESULTS.md."""
    rows = {}
    for line in text.splitlines():
        cells = line.split(" | ")
        if line.startswith("| promptreg/") and len(cells) > 1:
            rows[cells[0].removeprefix("| ")] = line
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## Survivors in "):
            current = sections.setdefault(line.removeprefix("## Survivors in ").strip(), [])
        elif line.startswith("## "):
            current = None
        if current is not None:
            current.append(line)
    return {m: (row, sections.get(m, [])) for m, row in rows.items()}


def report(
    outcomes: list[Outcome],
    remaining: list[str],
    previous: str = "",
    *,
    fresh: bool = True,
    whole: tuple[float, int] | None = None,
) -> str:
    """The results file. Modules not run this time keep their row and survivors from
    `previous` (the last RESULTS.md), so modules can be run one at a time. `whole`: the wall
    time and `--jobs` of a run of every module."""
    kept = {m: found for m, found in _previous(previous).items() if m in remaining}
    remaining = [m for m in remaining if m not in kept]
    ran = {o.module: o for o in outcomes}
    order = [m for m in MODULES if m in ran or m in kept]
    lines = [
        "# Mutation testing results",
        "",
        "Written by `make mutation` (`mutation/run.py --write`): mutmut, one module at a time, "
        "with the tests listed for it in `mutation/run.py`. Score = mutants killed (or explained "
        f"as equivalent in `mutation/equivalent.py`) of all mutants tested (an interrupted run "
        f"says how many it left unchecked); goal {GOAL:.0%}. `--resume` goes on from a run.",
        "",
        "| module | mutants | killed | equivalent | survived | score | time |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for module in order:
        o = ran.get(module)
        if o is None:
            lines.append(kept[module][0])
            continue
        unexplained = len(o.survivors) - len(o.explained)
        lines.append(
            f"| {o.module} | {o.total} | {o.killed} | {len(o.explained)} | {unexplained} "
            f"| {_percent(o.score)} | {o.seconds:.0f} s"
            + (f", interrupted: {o.unchecked} not checked |" if o.unchecked else " |")
        )
    if whole is not None:
        seconds, jobs = whole
        lines += [
            "",
            f"Whole run: {seconds / 60:.1f} min of wall time with `--jobs {jobs}` ({jobs} "
            f"module(s) side by side, one mutmut worker each), {time.strftime('%Y-%m-%d')}.",
        ]
    else:  # the last whole run's time stands until the next one
        lines += ["", *(line for line in previous.splitlines() if line.startswith("Whole run:"))]
        if lines[-1] == "":
            lines.pop()
    lines += _listed(
        "Mutants explained as equivalent that a test killed (`--check-explained`: the "
        "explanation is wrong, remove it from `mutation/equivalent.py`):",
        [(name, line) for o in outcomes for name, line in o.disproved.items()],
    )
    lines += _listed(
        "Lines of `mutation/equivalent.py` that explain no mutant of this run (the code they "
        "were written for moved or changed: remove them):",
        [(o.module, line) for o in outcomes for line in o.stale],
    )
    if kept:
        lines += ["", "Kept from earlier runs: " + ", ".join(f"`{m}`" for m in kept) + "."]
    if remaining:
        lines += ["", "Not run yet: " + ", ".join(f"`{m}`" for m in remaining) + "."]
    # a note says which code an earlier run is for: not shown for a module run just now
    notes = [f"- `{m}`: {NOTES[m]}" for m in order if m in NOTES and (m in kept or not fresh)]
    if notes:
        lines += ["", "Which code a run is for:", "", *notes]
    for module in order:
        o = ran.get(module)
        if o is None:
            if kept[module][1]:
                lines += ["", *kept[module][1]]
                while lines[-1] == "":
                    lines.pop()
            continue
        if not o.survivors:
            continue
        lines += ["", f"## Survivors in {o.module}", ""]
        for name in o.survivors:
            why = o.explained.get(name)
            status = o.status[name]
            head = f"- `{name}` ({status})" + (f": equivalent, {why}" if why else "")
            lines.append(head)
            diff = [
                line for line in o.diffs.get(name, "").splitlines() if line.startswith(("-", "+"))
            ]
            diff = [line for line in diff if not line.startswith(("---", "+++"))]
            if diff:
                lines += ["", "  ```diff", *(f"  {line}" for line in diff), "  ```"]
    return "\n".join(lines) + "\n"


def _listed(title: str, pairs: list[tuple[str, str]]) -> list[str]:
    """A titled list of `- `a`: `b`` lines for the results file; nothing when it is empty."""
    return ["", title, "", *(f"- `{a}`: `{b}`" for a, b in pairs)] if pairs else []


def run_modules(
    modules: list[str],
    jobs: int,
    seconds: dict[str, float],
    *,
    rerun: bool,
    resume: bool,
    check: bool = False,
) -> list[Outcome]:
    """Run `modules`, `jobs` at a time, each with one mutmut worker: a module's own set-up
    (copy, mutant generation, the stats run of the clean code) is serial, so two modules side
    by side keep both cores busy where one module with two workers leaves one idle. The
    longest modules (by their last run's time) start first, so the run does not end with one
    long module alone. Outcomes come back in `modules` order."""

    def one(module: str, children: int) -> Outcome:
        _say(f"mutation: {module} ...")
        outcome = run_module(module, children, rerun=rerun, resume=resume, check=check)
        _say(
            f"mutation: {module}: {outcome.killed}/{outcome.total} killed, "
            f"{len(outcome.explained)} equivalent, score {_percent(outcome.score)} "
            f"({outcome.seconds:.0f} s)"
            + (
                f"; {len(outcome.stale)} line(s) of equivalent.py explain none"
                if outcome.stale
                else ""
            )
            + (
                f"; {len(outcome.disproved)} explained mutant(s) killed"
                if outcome.disproved
                else ""
            )
        )
        return outcome

    if jobs <= 1 or len(modules) == 1 or not rerun:
        return [one(module, jobs) for module in modules]
    longest_first = sorted(modules, key=lambda m: -seconds.get(m, math.inf))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        done = dict(zip(longest_first, pool.map(lambda m: one(m, 1), longest_first), strict=True))
    return [done[module] for module in modules]


def _say(line: str) -> None:
    """One line on stderr in one write: modules side by side do not interleave their lines."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _previous_seconds(text: str) -> dict[str, float]:
    """module -> the time of its run in an earlier RESULTS.md (its row's last cell)."""
    found = {}
    for module, (row, _) in _previous(text).items():
        cell = row.rstrip(" |").rsplit(" | ", 1)[-1]
        number = cell.split(" s", 1)[0]
        if number.isdigit():
            found[module] = float(number)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help="modules to run (default: all)")
    parser.add_argument("--write", action="store_true", help="write mutation/RESULTS.md")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--resume",
        action="store_true",
        help="go on from the last run: what it left unchecked, changed code, its survivors",
    )
    parser.add_argument(
        "--no-run",
        action="store_true",
        help="report the last run's results again (with the current explanations)",
    )
    parser.add_argument(
        "--check-explained",
        action="store_true",
        help="run the mutants explained as equivalent too, and name those a test kills",
    )
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        print(f"mutation: unknown module(s) {unknown}; known: {list(MODULES)}", file=sys.stderr)
        return 2
    modules = args.modules or list(MODULES)
    previous = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    start = time.perf_counter()
    outcomes = run_modules(
        modules,
        args.jobs,
        _previous_seconds(previous),
        rerun=not args.no_run,
        resume=args.resume,
        check=args.check_explained,
    )
    wall = time.perf_counter() - start
    print(f"mutation: {len(modules)} module(s) in {wall / 60:.1f} min", file=sys.stderr)
    remaining = [m for m in MODULES if m not in modules]
    whole = None if args.no_run or args.check_explained or remaining else (wall, args.jobs)
    text = report(outcomes, remaining, previous, fresh=not args.no_run, whole=whole)
    print(text)
    if args.write:
        RESULTS.write_text(text, encoding="utf-8")
    return 0 if all(o.score >= GOAL for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
