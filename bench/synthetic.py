"""A synthetic promptreg repository: N realistic, varied, valid prompts, committed to git.

Deterministic (seeded): the same GENERATOR_VERSION and count give the same files and the same
commit. `ensure_repo` rebuilds only when the stamp file says the version or count changed.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GENERATOR_VERSION = 3
SEED = 20261127
STAMP = ".generator.json"
TEAMS = 40

GIT_ENV = {
    "GIT_AUTHOR_NAME": "promptreg bench",
    "GIT_AUTHOR_EMAIL": "bench@promptreg.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_NAME": "promptreg bench",
    "GIT_COMMITTER_EMAIL": "bench@promptreg.invalid",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
}

MODELS = [
    ("openai", "gpt-4o-2024-08-06"),
    ("openai", "gpt-4o-mini-2024-07-18"),
    ("openai", "gpt-4.1-2025-04-14"),
    ("anthropic", "claude-sonnet-4-5-20250929"),
    ("anthropic", "claude-haiku-4-5-20251001"),
]

# Partials: name -> (text, variables it uses). `locale.j2` needs the prompt to declare
# `language`; `voice.j2` includes `tone.j2` (a nested include).
PARTIALS: dict[str, tuple[str, tuple[str, ...]]] = {
    "partials/tone.j2": ("Be concise, friendly and factual. Never promise refunds or dates.", ()),
    "partials/safety.j2": (
        "Refuse requests for personal data about other customers.\n"
        "If the request is unsafe, say so briefly and offer a safe alternative.",
        (),
    ),
    "partials/format-json.j2": (
        'Reply with a single JSON object: {"label": string, "confidence": number}.\n'
        "Do not wrap it in a code fence.",
        (),
    ),
    "partials/company/voice.j2": (
        'We are Acme. {% include "partials/tone.j2" %}\nUse plain words; avoid jargon.',
        (),
    ),
    "partials/locale.j2": (
        "Answer in {{ language }}; keep product names in English.",
        ("language",),
    ),
}

WORDS = [
    "account",
    "invoice",
    "refund",
    "shipment",
    "order",
    "customer",
    "ticket",
    "product",
    "plan",
    "upgrade",
    "subscription",
    "password",
    "login",
    "device",
    "router",
    "warranty",
    "return",
    "policy",
    "agent",
    "summary",
    "priority",
    "escalation",
    "billing",
    "error",
    "message",
    "report",
    "feature",
    "request",
    "dashboard",
    "export",
    "import",
    "schedule",
    "meeting",
    "contract",
    "renewal",
    "discount",
    "region",
    "language",
    "tone",
    "answer",
    "question",
    "context",
    "history",
    "note",
]
VERBS = [
    "classify",
    "summarise",
    "answer",
    "rewrite",
    "extract",
    "translate",
    "triage",
    "check",
    "explain",
    "draft",
    "review",
    "list",
    "compare",
    "score",
    "flag",
    "route",
]


@dataclass
class Input:
    name: str
    decl: str  # the YAML flow mapping
    use: str  # how the body prints it
    sample: Any  # None: not in the sample (has a default)


@dataclass
class Spec:
    name: str
    partials: list[str] = field(default_factory=list)
    text: str = ""


def _sentence(rng: random.Random, lo: int = 6, hi: int = 14) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(lo, hi))]
    return (" ".join(words)).capitalize() + "."


def _inputs(rng: random.Random, need_language: bool) -> list[Input]:
    """2–5 typed inputs: always a required string, then a varied mix."""
    main = rng.choice(["ticket", "question", "document", "message", "request"])
    inputs = [
        Input(
            main,
            f"{{type: string, required: true, max_chars: {rng.choice([2000, 4000, 8000])}, "
            f"description: The {main} to handle}}",
            f"{{{{ {main} }}}}",
            _sentence(rng, 10, 30),
        )
    ]
    pool = ["tier", "tone", "max_items", "include_history", "tags", "customer_name"]
    rng.shuffle(pool)
    extra = pool[: rng.randint(1, 3)]
    if need_language:
        extra.append("language")
    for name in extra:
        inputs.append(_extra_input(rng, name))
    return inputs


def _extra_input(rng: random.Random, name: str) -> Input:
    if name == "tier":
        return Input(
            name,
            "{type: string, enum: [free, pro, enterprise], default: free}",
            "{{ tier }}",
            rng.choice([None, "pro", "enterprise"]),
        )
    if name == "tone":
        return Input(
            name,
            "{type: string, enum: [formal, neutral, casual], default: neutral}",
            "{{ tone | upper }}",
            None,
        )
    if name == "max_items":
        return Input(
            name,
            f"{{type: integer, default: {rng.randint(3, 9)}, description: At most this many}}",
            "{{ max_items }}",
            rng.choice([None, 5]),
        )
    if name == "include_history":
        return Input(
            name,
            "{type: boolean, default: false}",
            "{% if include_history %}Consider the earlier conversation.{% endif %}",
            rng.choice([None, True]),
        )
    if name == "tags":
        return Input(
            name,
            "{type: array, default: [], description: Labels already applied}",
            '{{ tags | join(", ") }}',
            ["urgent", rng.choice(WORDS)],
        )
    if name == "customer_name":
        return Input(
            name,
            "{type: string, max_chars: 120, default: there}",
            "{{ customer_name }}",
            "Dana",
        )
    return Input(
        "language",
        "{type: string, enum: [en, fr, de, es], default: en}",
        "{{ language }}",
        rng.choice([None, "fr"]),
    )


def _partials(rng: random.Random) -> list[str]:
    """Most prompts include one shared partial, some two, about one in eight none."""
    roll = rng.random()
    if roll < 0.12:
        return []
    names = list(PARTIALS)
    chosen = [rng.choice(names)]
    if roll > 0.8:
        other = rng.choice(names)
        if other not in chosen:
            chosen.append(other)
    return chosen


def _body(rng: random.Random, inputs: list[Input], partials: list[str]) -> list[str]:
    """15–40 lines: a system message (with the includes), a user message, some few-shot."""
    target = rng.randint(15, 40)
    verb = rng.choice(VERBS)
    system = [f"You {verb} {rng.choice(WORDS)} {rng.choice(WORDS)}s for the support team."]
    system += [f'{{% include "{p}" %}}' for p in partials]
    uses = [i.use for i in inputs[1:]]
    user = [f"Input ({inputs[0].name}):", inputs[0].use]
    for use in uses:
        (system if rng.random() < 0.5 else user).append(f"{_sentence(rng, 3, 6)} {use}")
    shots: list[str] = []
    if rng.random() < 0.3:
        shots = ["", "user:", _sentence(rng), "", "assistant:", _sentence(rng, 4, 8)]
    filler = target - len(system) - len(user) - len(shots) - 3
    for _ in range(max(filler, 0)):
        system.append(_sentence(rng) if rng.random() < 0.85 else "")
    return ["system:", *system, *shots, "", "user:", *user]


def _front_matter(rng: random.Random, name: str, inputs: list[Input], est_bytes: int) -> list[str]:
    provider, model = rng.choice(MODELS)
    temperature = rng.choice([0, 0.2, 0.5, 0.7])
    max_out = rng.choice([200, 400, 800, 1200])
    # The budget always holds the sample: OpenAI prompts are counted exactly (tokens <= bytes /
    # 3 + framing for this English), others on the bound of one token per byte. For OpenAI it is
    # sometimes below the byte count, so `validate` counts tokens exactly for some prompts.
    floor = (est_bytes // 3 if provider == "openai" else est_bytes) + 64
    max_in = int(floor * rng.choice([1.2, 1.5, 2, 3, 4])) + 100
    lines = [
        "---",
        f"version: {rng.randint(0, 3)}.{rng.randint(0, 12)}.{rng.randint(0, 20)}",
        f"description: {rng.choice(VERBS).capitalize()} {rng.choice(WORDS)} for {name}",
        f"owners: [{name.split('/')[0]}, platform-team]",
        "model:",
        f"  provider: {provider}",
        f"  name: {model}",
        f"  params: {{temperature: {temperature}, max_tokens: {max_out}}}",
        "inputs:",
        *(f"  {i.name}: {i.decl}" for i in inputs),
        f"budget: {{max_input_tokens: {max_in}, max_output_tokens: {max_out}}}",
        "sample:",
        *(f"  {i.name}: {json.dumps(i.sample)}" for i in inputs if i.sample is not None),
    ]
    if rng.random() < 0.2:
        lines += ["metadata:", f"  jira: SUP-{rng.randint(100, 9999)}", "  reviewed: true"]
    return [*lines, "---"]


def prompt_name(i: int) -> str:
    team = f"team-{i % TEAMS:02d}"
    if i % 7 == 3:  # some deeper nesting
        return f"{team}/area-{i % 5}/feature-{i:04d}"
    return f"{team}/feature-{i:04d}"


def make_prompt(rng: random.Random, i: int, partials: list[str] | None = None) -> Spec:
    name = prompt_name(i)
    chosen = _partials(rng) if partials is None else partials
    need_language = any(PARTIALS[p][1] for p in chosen)
    inputs = _inputs(rng, need_language)
    body = _body(rng, inputs, chosen)
    est = sum(len(line) + 1 for line in body)
    est += sum(len(PARTIALS[p][0]) for p in chosen) + 200
    est += sum(len(json.dumps(i.sample)) for i in inputs)
    text = "\n".join(_front_matter(rng, name, inputs, est) + body) + "\n"
    return Spec(name, chosen, text)


CONFIG = """\
# promptreg bench: a synthetic repository
prompts_dir: prompts
environments: [dev, staging, prod]
lint:
  require_budget: true
  max_file_bytes: 200000
"""


def write_repo(root: Path, count: int) -> dict[str, str]:
    """Write the files; return the manifest (which prompt to render, show, ...)."""
    rng = random.Random(SEED)
    prompts = root / "prompts"
    for name, (text, _) in PARTIALS.items():
        path = prompts / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    (root / "promptreg.yaml").write_text(CONFIG, encoding="utf-8")
    manifest: dict[str, str] = {}
    for i in range(count):
        fixed = {0: [], 1: ["partials/company/voice.j2"]}.get(i)
        spec = make_prompt(rng, i, fixed)
        path = prompts / f"{spec.name}.prompt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(spec.text, encoding="utf-8")
        if i == 0:
            manifest["without_include"] = spec.name
        elif i == 1:
            manifest["with_include"] = spec.name
    manifest["show"] = manifest["with_include"]
    return manifest


def git_commit(root: Path) -> None:
    env = {**os.environ, **GIT_ENV}

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
            cwd=root,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "Synthetic prompts for promptreg bench")


def ensure_repo(work: Path, count: int) -> tuple[Path, dict[str, str], bool]:
    """The repo under `work` (built or rebuilt as needed), its manifest, whether it was built."""
    root = work / "repo"
    stamp = work / STAMP
    want = {"version": GENERATOR_VERSION, "count": count, "seed": SEED}
    if stamp.is_file() and (root / ".git").is_dir():
        saved = json.loads(stamp.read_text(encoding="utf-8"))
        if saved.get("key") == want:
            return root, saved["manifest"], False
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    manifest = write_repo(root, count)
    git_commit(root)
    stamp.write_text(json.dumps({"key": want, "manifest": manifest}, indent=2), encoding="utf-8")
    return root, manifest, True
