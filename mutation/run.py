"""`make mutation`: mutation testing of the modules that carry promptreg's promises.

A test suite that passes proves little until it fails when the code is wrong. mutmut plants one
small bug at a time (a `<` for a `<=`, a string changed, a condition negated) and runs the tests
that reach it; a mutant the tests do not notice ("survived") is a bug they would let through.

Each module is run on its own, in a scratch copy under `mutation/.work/<module>/`, with only the
tests that exercise it (mutmut then runs, for each mutant, only those of them that reach the
mutated function): the whole suite per mutant would take hours on 2 cores. Survivors that are
equivalent mutants (no test can tell them apart from the original, because they do not change
what the code does) are explained in `EQUIVALENT` below, matched on the mutated line.

    python mutation/run.py [--write] [--jobs N] [--no-run] [MODULE ...]    (default: every module)

`--write` writes `mutation/RESULTS.md`: the table and the surviving mutants of the modules run,
the previous results of the others kept (so modules can be run one at a time). Exit status:
0 when every module run reaches the goal (90 % of its mutants killed or explained), 1 when one
does not, 2 when mutmut could not run.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "mutation" / ".work"
RESULTS = ROOT / "mutation" / "RESULTS.md"
GOAL = 0.90
_ADDED = re.compile(r"\+(?!\+\+ )")  # a line of the diff that the mutant adds
_REMOVED = re.compile(r"-(?!-- )")  # a line it removes

# The tests of the modules that create tags (deploy.py, release.py, rollback.py, tagging.py).
_DEPLOY_TESTS = (
    "tests/test_deploy_rules.py",
    "tests/test_deploy.py::test_push_lands_the_deployment_and_its_version_tag",
    "tests/test_deploy.py::test_a_rejected_push_is_retried_with_the_next_seq",
    "tests/test_deploy_trust.py::test_a_stale_ref_lock_is_named_quickly_without_littering",
    "tests/test_deploy_trust.py::test_a_stale_lock_after_a_push_says_the_remote_has_the_tag",
)

# module -> the tests that exercise it (pytest arguments). Fast subsets: in-process tests first.
MODULES: dict[str, list[str]] = {
    "promptreg/template/tokens.py": ["tests/test_tokens.py", "tests/test_budget.py"],
    **{
        module: [
            "tests/test_secrets.py",
            "tests/test_hooks_units.py",
            "tests/test_hooks_git.py::test_no_secrets_scans_what_is_staged",
        ]
        for module in ("promptreg/app/secrets.py", "promptreg/hooks/no_secrets.py")
    },
    "promptreg/registry/selectors.py": ["tests/test_selectors.py"],
    "promptreg/template/render.py": [
        "tests/test_render_markers.py",
        "tests/test_render_properties.py",
        "tests/test_api.py",
    ],
    "promptreg/registry/tags.py": ["tests/test_tags_contract.py", "tests/test_tags.py"],
    "promptreg/registry/tagobject.py": ["tests/test_tagobject.py", "tests/test_tags.py"],
    # the read model of deployments (deployments.py) and what it returns (verdicts.py)
    **{
        module: [
            "tests/test_deployments.py",
            # ssh only: the OpenPGP variants take most of the time, through the same code here
            "tests/test_deploy_signing.py::test_only_deployments_signed_by_an_allowed_key_are_served[ssh]",
            "tests/test_deploy_signing.py::test_get_all_verifies_many_signatures_side_by_side[ssh]",
        ]
        for module in ("promptreg/registry/deployments.py", "promptreg/registry/verdicts.py")
    },
    **{
        module: list(_DEPLOY_TESTS)
        for module in (
            "promptreg/registry/deploy.py",
            "promptreg/registry/release.py",
            "promptreg/registry/rollback.py",
            "promptreg/registry/tagging.py",
        )
    },
    "promptreg/registry/refindex.py": [
        "tests/test_refindex.py",
        "tests/test_registry.py",
        "tests/test_deploy.py",
    ],
    "promptreg/registry/history.py": ["tests/test_deploy.py", "tests/test_diff_status.py"],
    "promptreg/evals/gate.py": [
        "tests/test_gate_contract.py",
        "tests/test_evals_gate.py",
        "tests/test_evals_provenance.py",
    ],
    "promptreg/registry/sshsig.py": ["tests/test_sshsig.py"],
    "promptreg/registry/bundle.py": ["tests/test_registry.py"],
    "promptreg/registry/bundle_export.py": ["tests/test_registry.py"],
}

# Survivors no test can kill, by module and mutated line (stripped; `-line` for a mutant that only
# removes that line): why each is equivalent.
_OWN_PATH = (
    "a deployment's path is the prompt's own (the read model refuses any other), which is the "
    "path the loader uses when given none"
)
_HASH_RECORDED = "a deployment read from its tag always records a content hash"

EQUIVALENT: dict[str, dict[str, str]] = {
    "promptreg/template/tokens.py": {
        'content += len(text) if (text.isascii()) and False else len(text.encode("utf-8"))': (
            "the ASCII branch is a shortcut: an ASCII string's length is its UTF-8 byte count"
        ),
        "if module_spec is None and module_spec.loader is None:": (
            "a file found with an extension-module suffix always gets a spec and a loader: the "
            "guard is there for the type checker"
        ),
        "module_spec.loader.exec_module(None)": (
            "bpe_openai's extension uses single-phase init: `module_from_spec` already ran it, and "
            "`exec_module` has nothing left to do"
        ),
    },
    "promptreg/hooks/no_secrets.py": {
        **dict.fromkeys(
            [
                "for path, data in zip(paths, blobs, strict=None):",
                "for path, data in zip(paths, blobs, ):",
                "for path, data in zip(paths, blobs, strict=False):",
            ],
            "`read_many` returns one blob per path: `strict` only guards that invariant",
        ),
    },
    "promptreg/app/secrets.py": {
        'for hit in scan_text(data.decode("UTF-8", "replace")):': (
            "codec names are case-insensitive"
        ),
    },
    "promptreg/registry/tags.py": {
        # `read_message`'s fast path is a shortcut: whatever it does not read itself goes to the
        # YAML reader, whose answer is the one wanted (test_tags.py and test_tags_contract.py
        # check that both readers agree on every input). A mutant that sends more messages, or
        # more values, to the YAML reader changes the speed, never the answer.
        **dict.fromkeys(
            [
                "for line in message.split(None):",
                'for line in message.split("XX\\nXX"):',
                'if not line and line.startswith("#"):',
                'if line or line.startswith("#"):',
                'if not line or line.startswith("XX#XX"):',
                'key, sep, raw = line.rpartition(": ")',
                'key, sep, raw = line.partition("XX: XX")',
                "simple = None",
                "simple = sep and key in data and _KEY.match(key) and line.isprintable()",
                "value = _scalar(raw) if (simple) and False else _NOT_SIMPLE",
                "return data if (data) and False else _read_yaml_message(message)"
                "  # no keys: YAML says what it is",
                'if raw in ("XXnullXX", "~"):',
                'if raw in ("NULL", "~"):',
                'if raw in ("null", "XX~XX"):',
                'if raw in ("XXtrueXX", "false"):',
                'if raw in ("TRUE", "false"):',
                'if raw in ("true", "XXfalseXX"):',
                'if raw in ("true", "FALSE"):',
                'if raw == "XX{}XX":',
                "if len(raw) < _MAX_NUMBER and _INT.match(raw):",
                "if len(raw) < _MAX_NUMBER and _FLOAT.match(raw):",
                'if len(raw) > 2 and raw[0] == raw[-1] == "\'" and "\'" not in '
                'raw[1:-1].replace("\'\'", ""):',
                'if len(raw) >= 3 and raw[0] == raw[-1] == "\'" and "\'" not in '
                'raw[1:-1].replace("\'\'", ""):',
                'if len(raw) >= 2 and raw[0] == raw[-1] == "XX\'XX" and "\'" not in '
                'raw[1:-1].replace("\'\'", ""):',
                'if len(raw) >= 2 and raw[0] == raw[-1] == "\'" and "\'" not in '
                'raw[1:-1].replace("XX\'\'XX", ""):',
                'and raw[0] not in "XX-:?@XX"',
            ],
            "the fast tag-message reader hands this input to the YAML reader instead of "
            "reading it itself: the same answer, only slower",
        ),
        'if len(raw) >= 2 and raw[0] == raw[-1] == "\'" and "\'" not in '
        'raw[1:-1].replace("\'\'", "XXXX"):': (
            "the test only asks whether a lone quote is left once doubled quotes are removed: "
            "replacing them with `XXXX` instead of nothing leaves the same answer"
        ),
    },
    "promptreg/registry/deployments.py": {
        # `prefetch` reads many deployments' files in one exchange with git before they are
        # loaded one by one: a mutant that prefetches less, more or nothing changes the speed,
        # never a verdict (each load reads what was not prefetched). The registry, the only
        # maker of a DeploymentReader, always passes a prefetch.
        **dict.fromkeys(
            [
                "self._prefetch = None",
                "if self._prefetch is not None or len(todo) > 1:",
                "if self._prefetch is None and len(todo) > 1:",
                "if self._prefetch is not None and len(todo) >= 1:",
                "if self._prefetch is not None and len(todo) > 2:",
                "tag = None",
                "tag = tags.get(None)",
                'if tag is not None and tag.target_type != "commit":',
                'if tag is not None and tag.target_type == "XXcommitXX":',
                'if tag is not None and tag.target_type == "COMMIT":',
                'objects = self._read([c.object for c in todo if c.kind == "tag" or c.seq is not '
                "None])",
            ],
            "it changes what is read ahead of time, not any verdict: only the speed",
        ),
        "return [c for c in self.list_refs(patterns) if c.name == name or c.env in envs]": (
            "the patterns list only refs under `prompts/<name>@<env>/` for these environments: "
            "both conditions always hold"
        ),
        "for line in out.split(None):": (
            "a line of the listing (ref name, object id, type, NUL-separated) holds no "
            "whitespace: splitting on any whitespace splits on the newlines"
        ),
        'obj, _, kind = rest.rpartition("\\0")': "what follows the ref name holds one NUL",
        **dict.fromkeys(
            [
                "for key, verdict in zip(batch, verdicts, strict=None):",
                "for key, verdict in zip(batch, verdicts, ):",
                "for key, verdict in zip(batch, verdicts, strict=False):",
            ],
            "`judge` returns one verdict per candidate: `strict` only guards that invariant",
        ),
        **dict.fromkeys(
            [
                "workers = None",
                "workers = min(9, os.cpu_count() or 1)",
                "workers = min(8, os.cpu_count() and 1)",
                "workers = min(8, os.cpu_count() or 2)",
                "with ThreadPoolExecutor(max_workers=None) as pool:",
            ],
            "how many signatures are verified side by side changes the speed, not an answer",
        ),
        **dict.fromkeys(
            [
                "return dict(zip(wanted, self.store.read_objects(wanted), strict=None))",
                "return dict(zip(wanted, self.store.read_objects(wanted), ))",
                "return dict(zip(wanted, self.store.read_objects(wanted), strict=False))",
            ],
            "`read_objects` returns one answer per object asked for: `strict` only guards that",
        ),
        'rejected.sort(key=lambda r: (r.env or "XXXX", r.seq or 0, r.tag), reverse=True)': (
            "a rejected deployment tag always has an environment (only a release has none, "
            "and releases are not in a deployment log)"
        ),
        'found.commit, found.name, own_path, found.version, found.content_hash or "XXXX"': (
            "a Deployment read from a message always records a content hash (a string)"
        ),
        'recorded = recorded_hash(tag.message) or "XXXX"': (
            "`release_problem` has just refused a message that records no content hash"
        ),
        "tag=ref, commit=None, message=tag.message, own_path=own_path": (
            "`release_problem` does not read `commit`: a release message records none (the "
            "tag's target is the commit)"
        ),
        "prompt = self._load(commit, name, None)": (
            "the path given is the prompt's own path, which the loader uses when given none"
        ),
        "tag = parse_tag_object(None, data) if data is not None else None": (
            "a release's verdict never reads the tag object's own id"
        ),
        "tag = parse_tag_object(obj, data) if (data is not None) or True else None": (
            "a release judged is a listed ref, whose object git has (it lists no other): the "
            "object is always read"
        ),
        **dict.fromkeys(
            [
                "for (candidate, found, tag), problem in zip(unsigned, problems, strict=None):",
                "for (candidate, found, tag), problem in zip(unsigned, problems, ):",
                "for (candidate, found, tag), problem in zip(unsigned, problems, strict=False):",
            ],
            "`_signature_problems` returns one answer per tag: `strict` only guards that invariant",
        ),
    },
    "promptreg/registry/verdicts.py": {
        **dict.fromkeys(
            [
                "return text[0] if (text) or True else type(err).__name__",
                "return text[0] if text else type(None).__name__",
            ],
            "every error loading a prompt raises carries a message: the fallback for an error "
            "without one is defensive, and no repository reaches it",
        ),
    },
    "promptreg/evals/gate.py": {
        "pinned = prompt.model.name if (prompt.model is not None) or True else None": (
            "a prompt that loads always has a model (PR021): the guard is for the type checker"
        ),
        'algorithm, _, hexdigits = digest.rpartition(":")': (
            "a recorded hash is checked to be `sha256:` and hex digits: it has one colon"
        ),
        "data = source.read(dataset) if (safe_relative(dataset) is not None) or True else None": (
            "every Source's `read` refuses a path leaving the project itself: this check only "
            "saves the read"
        ),
        'source = Source(lambda _rel: None, "XXXX", "an unknown commit")': (
            "`prompts_rel` locates partials to read; this Source reads nothing"
        ),
    },
    "promptreg/registry/sshsig.py": {
        **dict.fromkeys(
            [
                "with tempfile.TemporaryDirectory(prefix=None) as tmp:",
                'with tempfile.TemporaryDirectory(prefix="XXpromptreg-sign-XX") as tmp:',
                'with tempfile.TemporaryDirectory(prefix="PROMPTREG-SIGN-") as tmp:',
                'with tempfile.TemporaryDirectory(prefix="XXpromptreg-sig-XX") as tmp:',
                'with tempfile.TemporaryDirectory(prefix="PROMPTREG-SIG-") as tmp:',
                'sig_path = Path(tmp) / "XXsignature.sigXX"',
                'sig_path = Path(tmp) / "SIGNATURE.SIG"',
            ],
            "the name of a private temporary file or directory is not read by anyone",
        ),
        **dict.fromkeys(
            [
                'env={**os.environ, "XXLC_ALLXX": "C"},',
                'env={**os.environ, "lc_all": "C"},',
                'env={**os.environ, "LC_ALL": "XXCXX"},',
                'env={**os.environ, "LC_ALL": "c"},',
                "env=None,",
                ")",  # the mutant that drops `env=` altogether
            ],
            "ssh-keygen's messages are not translated: the locale changes nothing it prints",
        ),
        **dict.fromkeys(
            [
                'candidates = [p for p in found.stdout.decode("utf-8", ).splitlines() if p]',
                'candidates = [p for p in found.stdout.decode("UTF-8", "replace").splitlines() '
                "if p]",
                'candidates = [p for p in found.stdout.decode("utf-8", "XXreplaceXX").splitlines()'
                " if p]",
                'candidates = [p for p in found.stdout.decode("utf-8", "REPLACE").splitlines() '
                "if p]",
                'text = proc.stderr.decode("utf-8", ).strip().splitlines()',
                'text = proc.stderr.decode("UTF-8", "replace").strip().splitlines()',
                'text = proc.stderr.decode("utf-8", "XXreplaceXX").strip().splitlines()',
                'text = proc.stderr.decode("utf-8", "REPLACE").strip().splitlines()',
            ],
            "codec names are case-insensitive, and the error handler is consulted only for "
            "bytes that are not UTF-8, which ssh-keygen (in the C locale) does not print",
        ),
        **dict.fromkeys(
            [
                'found = _ssh_keygen(["-Y", "find-principals", "-s", str(sig_path), "-f", '
                "allowed], None)",
                'found = _ssh_keygen(["-Y", "find-principals", "-s", str(sig_path), "-f", '
                'allowed], b"XXXX")',
            ],
            "`find-principals` does not read its standard input",
        ),
        **dict.fromkeys(
            [
                "proc = _ssh_keygen(args, None, timeout=None)",
                "proc = _ssh_keygen(args, None, )",
                "timeout=None,",
                "-timeout=timeout,",
            ],
            "the time limit only stops an ssh-keygen that hangs, which none of ours does (a "
            "signature takes milliseconds)",
        ),
        **dict.fromkeys(
            ["check=None,", "-check=False,"],
            "`check` defaults to False, and is only tested for truth: None is False too",
        ),
        'args = ["-Y", "sign", "-Q", "-n", namespace, "-f", str(key.resolve()), str(message)]': (
            "without `-q` ssh-keygen says what it signed on stderr, which is read only when it "
            "fails (`-Q` does nothing for -Y sign)"
        ),
        'signature = sig_path.read_bytes() if sig_path.is_file() else b"XXXX"': (
            'no signature file means no signature either way: neither b"" nor b"XXXX" '
            "starts like one"
        ),
        'if proc.returncode != 0 and not signature.startswith(b"-----BEGIN SSH SIGNATURE-----"):': (
            "ssh-keygen writes a signature file exactly when it succeeds"
        ),
        "if found.returncode != 0 and not candidates:": (
            "`find-principals` succeeds exactly when it prints a principal"
        ),
    },
    "promptreg/registry/deploy.py": {
        "prompt = registry.load_at(commit, name, path=None)": _OWN_PATH,
        "prompt = registry.load_at(commit, name, )": _OWN_PATH,
        **dict.fromkeys(
            [
                "if current is not None and content_matches(prompt, current.content_hash or "
                '"XXXX"):',
                "if upstream is None or not content_matches(prompt, upstream.content_hash or "
                '"XXXX"):',
            ],
            _HASH_RECORDED,
        ),
    },
    "promptreg/registry/rollback.py": {
        "prompt = registry.load_at(commit, name, path=None)": _OWN_PATH,
        "prompt = registry.load_at(commit, name, )": _OWN_PATH,
        'if content_matches(prompt, current.content_hash or "XXXX"):': _HASH_RECORDED,
        "extra=None,": (
            "`extra` is only spread into the message as `extra or {}`: None and {} alike"
        ),
    },
    "promptreg/registry/tagging.py": {
        'failed_seq, why = None, "XXXX"': (
            "`why` is read only after a failure, which sets it first"
        ),
    },
    "promptreg/registry/tagobject.py": {
        'text = data.decode("UTF-8", "replace")': "codec names are case-insensitive",
        'target = fields.get("object", "XXXX")': (
            "a missing `object` field is refused either way: neither default is an object id"
        ),
        **dict.fromkeys(
            [
                'tagger, date = _ident(fields.get("tagger", None))',
                'tagger, date = _ident(fields.get("tagger", ))',
            ],
            '`_ident` answers no one at no time for any empty tagger, `None` or `""`',
        ),
        'seconds, _, zone = when.rpartition(" ")': (
            "with one space both split alike; with more, the seconds or the zone then holds a "
            "space and the date is refused either way"
        ),
        "raise ValueError(None)": "the error is caught at once: its text is never read",
        "offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:6]))": (
            "the zone has just been checked to be exactly five characters"
        ),
    },
}


@dataclass
class Outcome:
    module: str
    seconds: float
    status: dict[str, str] = field(default_factory=dict)  # mutant -> mutmut's status
    diffs: dict[str, str] = field(default_factory=dict)  # survivor -> its diff
    explained: dict[str, str] = field(default_factory=dict)  # survivor -> why equivalent

    @property
    def total(self) -> int:
        return len(self.status)

    @property
    def killed(self) -> int:
        return sum(s in ("killed", "timeout") for s in self.status.values())

    @property
    def survivors(self) -> list[str]:
        return [m for m, s in self.status.items() if s not in ("killed", "timeout")]

    @property
    def score(self) -> float:
        """Killed or explained, of all mutants (a mutant no test reaches counts as survived)."""
        return (self.killed + len(self.explained)) / self.total if self.total else 1.0


def _mutmut() -> Path:
    found = Path(sys.executable).parent / "mutmut"
    if not found.exists():
        raise SystemExit("mutation: mutmut is not installed; run `make mutation`")
    return found


def _prepare(module: str, tests: list[str]) -> Path:
    """A scratch copy of the repository's files whose pyproject tells mutmut what to do. mutmut
    runs the tests in its own copy (`mutants/`): the files they read (README, hooks, prompts)
    go there too."""
    work = _work(module)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
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
    also = sorted(tops - {"promptreg", "tests", "pyproject.toml"})
    config = (
        "\n\n[tool.mutmut]\n"
        'source_paths = ["promptreg"]\n'
        f"only_mutate = [{_quoted([module])}]\n"
        f"also_copy = [{_quoted(also)}]\n"
        f"pytest_add_cli_args_test_selection = [{_quoted(tests)}]\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q"]\n'
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


def run_module(module: str, jobs: int, *, rerun: bool = True) -> Outcome:
    """Run mutmut on `module` (or, `rerun=False`, read its last run's results again: to apply
    new explanations of equivalent mutants without running the tests again)."""
    mutmut = str(_mutmut())
    env = {**os.environ, "PROMPTREG_NO_CACHE": "1", "NO_COLOR": "1"}
    work = _work(module)
    timing = work / "seconds.txt"
    if rerun:
        work = _prepare(module, MODULES[module])
        start = time.perf_counter()
        proc = subprocess.run(
            [mutmut, "run", "--max-children", str(jobs)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
        timing.write_text(f"{seconds:.1f}\n", encoding="utf-8")
        failed, output = proc.returncode != 0, proc.stdout + proc.stderr
    elif timing.is_file():
        seconds, failed, output = float(timing.read_text(encoding="utf-8")), False, ""
    else:
        raise SystemExit(f"mutation: {module} has no finished run in {work} to report")
    outcome = Outcome(module, seconds)
    listing = subprocess.run(
        [mutmut, "results", "--all", "true"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in listing.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name:
            outcome.status[name] = status
    if failed or not outcome.status:
        raise SystemExit(f"mutation: mutmut failed on {module}:\n{output[-3000:]}")
    known = EQUIVALENT.get(module, {})
    for name in outcome.survivors:
        shown = subprocess.run(
            [mutmut, "show", name], cwd=work, env=env, capture_output=True, text=True, check=False
        ).stdout
        outcome.diffs[name] = shown
        added = [line[1:].strip() for line in shown.splitlines() if _ADDED.match(line)]
        if not added:  # a mutant that only removes a line: matched as `-<that line>`
            added = ["-" + line[1:].strip() for line in shown.splitlines() if _REMOVED.match(line)]
        why = next((known[a] for a in added if a in known), None)
        if why is not None and outcome.status[name] == "survived":
            outcome.explained[name] = why
    return outcome


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


def report(outcomes: list[Outcome], remaining: list[str], previous: str = "") -> str:
    """The results file. Modules not run this time keep their row and survivors from
    `previous` (the last RESULTS.md), so modules can be run one at a time."""
    kept = {m: found for m, found in _previous(previous).items() if m in remaining}
    remaining = [m for m in remaining if m not in kept]
    ran = {o.module: o for o in outcomes}
    order = [m for m in MODULES if m in ran or m in kept]
    lines = [
        "# Mutation testing results",
        "",
        "Written by `make mutation` (`mutation/run.py --write`): mutmut, one module at a time, "
        "with the tests listed for it in `mutation/run.py`. Score = mutants killed (or explained "
        f"as equivalent) of all mutants; goal {GOAL:.0%}.",
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
            f"| {_percent(o.score)} | {o.seconds:.0f} s |"
        )
    if kept:
        lines += ["", "Kept from earlier runs: " + ", ".join(f"`{m}`" for m in kept) + "."]
    if remaining:
        lines += ["", "Not run yet: " + ", ".join(f"`{m}`" for m in remaining) + "."]
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help="modules to run (default: all)")
    parser.add_argument("--write", action="store_true", help="write mutation/RESULTS.md")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--no-run",
        action="store_true",
        help="report the last run's results again (with the current explanations)",
    )
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        print(f"mutation: unknown module(s) {unknown}; known: {list(MODULES)}", file=sys.stderr)
        return 2
    modules = args.modules or list(MODULES)
    outcomes = []
    for module in modules:
        print(f"mutation: {module} ...", file=sys.stderr, flush=True)
        outcome = run_module(module, args.jobs, rerun=not args.no_run)
        print(
            f"mutation: {module}: {outcome.killed}/{outcome.total} killed, "
            f"{len(outcome.explained)} equivalent, score {_percent(outcome.score)} "
            f"({outcome.seconds:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
        outcomes.append(outcome)
    previous = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    text = report(outcomes, [m for m in MODULES if m not in modules], previous)
    print(text)
    if args.write:
        RESULTS.write_text(text, encoding="utf-8")
    return 0 if all(o.score >= GOAL for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
