"""In-process render timings, run by `run.py` with the project's interpreter.

    python bench/renders.py REPO NAME [NAME ...] --batches 50 --per-batch 1000

For each prompt NAME: promptreg's `Prompt.render(**sample)` (compiled once, then rendered many
times), plain jinja2 `Template.render(**vars)` of the same body in a non-sandboxed Environment,
and Prompty's `prepare` of a .prompty with the same body (includes inlined: Prompty has no
include loader) when prompty is importable. Prints JSON: seconds per render, per batch.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from timing import Timing, batch_size_for, time_calls

_INCLUDE = re.compile(r'\{%-?\s*include\s+"([^"]+)"\s*-?%\}')
_PROMPTY_KINDS = {"string": "string", "integer": "integer", "number": "float", "boolean": "boolean"}


def resolved_values(prompt: Any) -> dict[str, Any]:
    """The sample with defaults filled in: what the template sees."""
    sample: Mapping[str, Any] = prompt.sample or {}
    values = {}
    for name, spec in prompt.inputs.items():
        default = None if repr(spec.default) == "MISSING" else spec.default
        values[name] = sample.get(name, default)
    return values


def inline_includes(body: str, prompts_dir: Path) -> str:
    """The body with every literal include replaced by the partial's text (recursively)."""

    def expand(match: re.Match[str]) -> str:
        text = (prompts_dir / match.group(1)).read_text(encoding="utf-8").rstrip("\n")
        return inline_includes(text, prompts_dir)

    return _INCLUDE.sub(expand, body)


def write_prompty(prompt: Any, body: str, dest: Path) -> Path:
    """A .prompty file with the same model, inputs and body."""
    import yaml

    inputs = []
    for name, spec in prompt.inputs.items():
        entry: dict[str, Any] = {"name": name, "kind": _PROMPTY_KINDS.get(spec.type, "object")}
        if spec.required:
            entry["required"] = True
        if repr(spec.default) != "MISSING":
            entry["default"] = spec.default
        inputs.append(entry)
    model = prompt.model
    front = {
        "name": prompt.name.replace("/", "-"),
        "description": prompt.description or "",
        "model": {"id": model.name, "provider": model.provider, "apiType": "chat"},
        "inputs": inputs,
    }
    dest.parent.mkdir(parents=True, exist_ok=True)
    text = "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n" + body
    dest.write_text(text, encoding="utf-8")
    return dest


def prompty_call(prompt: Any, body: str, work: Path) -> Callable[[], object] | str:
    """A zero-argument `prompty.prepare` call, or why there is none."""
    try:
        import prompty
    except ImportError:
        return "not installed"
    path = write_prompty(prompt, body, work / f"{prompt.name}.prompty")
    agent = prompty.load(path)
    values = resolved_values(prompt)
    return lambda: prompty.prepare(agent, values)


def measure(call: Callable[[], object], batches: int, cap: int) -> dict[str, Any]:
    per_batch = batch_size_for(call, target_s=0.05, cap=cap)
    timing: Timing = time_calls(call, batches, per_batch)
    return {"median": timing.median, "low": timing.low, "high": timing.high, "per_batch": per_batch}


def measure_prompt(
    repo: Path, name: str, batches: int, cap: int, work: Path
) -> dict[str, dict[str, Any] | str]:
    import jinja2

    from promptreg.project.project import Project

    project = Project.open(repo)
    prompt = project.load(name)
    values = resolved_values(prompt)
    ours = lambda: prompt.render(**values)  # noqa: E731
    plain_env = jinja2.Environment(loader=jinja2.FileSystemLoader(project.prompts_dir))
    plain = plain_env.from_string(prompt.body)
    results: dict[str, dict[str, Any] | str] = {
        "promptreg": measure(ours, batches, cap),
        "jinja2": measure(lambda: plain.render(**values), batches, cap),
    }
    other = prompty_call(prompt, inline_includes(prompt.body, project.prompts_dir), work)
    results["prompty"] = other if isinstance(other, str) else measure(other, batches, cap)
    results["partials"] = ", ".join(prompt.partials) or "none"
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repo", type=Path)
    parser.add_argument("names", nargs="+")
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--per-batch", type=int, default=1000)
    parser.add_argument("--work", type=Path, required=True, help="where to write .prompty files")
    args = parser.parse_args()
    out = {
        name: measure_prompt(args.repo, name, args.batches, args.per_batch, args.work)
        for name in args.names
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
