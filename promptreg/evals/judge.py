"""LLM-as-judge: a rubric, a pinned judge model, and a reply parsed to a 0–1 score.

The rubric is a Jinja template (sandboxed, like prompts) rendered with `inputs` (the case's
inputs), `output` (what the prompt's model said) and `expected` (the case's, or null). It is a
partial under the prompts directory (`rubric: partials/grounded.j2`) or any file in the
repository (`rubric: evals/rubrics/grounded.md`). The judge sees a fixed system message asking
for `{"score": <0..scale>, "reason": "..."}`, then the rubric as the user message. Replies are
read leniently (a JSON object, possibly fenced or among other text; else `score: 4` and
`reason: …` lines), and anything else is a per-case error: the case scores 0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import jinja2

from promptreg.errors import UsageError
from promptreg.evals.dataset import Case
from promptreg.evals.metrics import Score, Scorer, short, strip_fences
from promptreg.evals.runners import CallError
from promptreg.frontmatter.pinning import pinning_problem
from promptreg.frontmatter.schema_evals import parse_model_ref
from promptreg.frontmatter.spec import Metric, ModelSpec
from promptreg.template.markers import unmark
from promptreg.template.render import ChatMessage
from promptreg.template.sources import include_problem, read_text

if TYPE_CHECKING:
    from promptreg.evals.calls import Caller
    from promptreg.project.project import Project
    from promptreg.template.prompt import Prompt

RUBRIC_VARIABLES = frozenset({"inputs", "output", "expected"})
_SCORE = re.compile(r"\bscore\b\**\s*[:=]\s*\**\s*(-?\d+(?:\.\d+)?)", re.I)
_REASON = re.compile(r"\breason\b\**\s*[:=]\s*\**\s*(.+)", re.I | re.S)


def system_message(scale: float) -> str:
    return (
        "You are an impartial evaluator. Grade the response described by the user's rubric. "
        f"Reply with only a JSON object: "
        f'{{"score": <a number from 0 to {scale:g}>, "reason": "<one or two sentences>"}}.'
    )


def judge_model(metric: Metric, prompt: Prompt) -> ModelSpec:
    """The metric's `model`, else the prompt's own model (with no params)."""
    if "model" in metric.options:
        model = parse_model_ref(metric.options["model"])
        assert model is not None  # the schema checked it
        return model
    if prompt.model is None:
        raise UsageError("a judge metric needs a `model`", field=f"metric `{metric.name}`")
    return ModelSpec(prompt.model.provider, prompt.model.name, {})


def parse_judge_reply(text: str, scale: float = 1.0) -> tuple[float, str]:
    """(score from 0 to 1, reason) from a judge's reply. Raises ValueError saying what is
    wrong with it."""
    body = strip_fences(text.strip())
    data = _json_object(body)
    if data is not None:
        if "score" not in data:
            raise ValueError("the JSON reply has no `score`")
        raw, reason = data["score"], data.get("reason", "")
    else:
        found = _SCORE.search(body)
        if found is None:
            raise ValueError('no score in the reply (expected {"score": …, "reason": …})')
        raw = found.group(1)
        reason_match = _REASON.search(body)
        reason = reason_match.group(1).strip() if reason_match else ""
    if isinstance(raw, str):
        try:
            raw = float(raw)
        except ValueError:
            raise ValueError(f"score {raw!r} is not a number") from None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError(f"score {raw!r} is not a number")
    if not 0 <= raw <= scale:
        hint = "" if scale != 1 else " (set `scale` if the rubric grades on another scale)"
        raise ValueError(f"score {raw:g} is outside 0–{scale:g}{hint}")
    return raw / scale, reason if isinstance(reason, str) else json.dumps(reason)


def _json_object(text: str) -> Mapping[str, Any] | None:
    candidates = [text]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def load_rubric(project: Project, reference: str, where: str) -> jinja2.Template:
    """Compile a rubric: a partial under the prompts directory, else a file in the repo."""
    env = project.env
    under_prompts = project.prompts_dir / reference
    try:
        if include_problem(reference) is None and under_prompts.is_file():
            path = under_prompts
        else:
            path = (project.root / reference).resolve()
            if not path.is_relative_to(project.root.resolve()):
                raise UsageError(f"rubric {reference!r} is outside the repository", field=where)
        source = read_text(path)
    except FileNotFoundError:
        raise UsageError(
            f"rubric {reference!r} not found (under {project.shown(project.prompts_dir)}/ "
            "nor the repository root)",
            field=where,
        ) from None
    except OSError as err:
        raise UsageError(f"cannot read rubric {reference!r}: {err.strerror}", field=where) from None
    except UnicodeDecodeError:
        raise UsageError(f"rubric {reference!r} is not UTF-8", field=where) from None
    try:
        analysis = env.analyse(source, name=reference, filename=str(path))
    except jinja2.TemplateSyntaxError as err:
        message = err.message or "template syntax error"
        raise UsageError(message, path=project.shown(path), line=err.lineno) from None
    closure = env.closure(analysis)
    if closure.problems:
        problem = closure.problems[0]
        raise UsageError(problem.message, path=project.shown(path), line=problem.line)
    unknown = sorted(closure.variables - RUBRIC_VARIABLES)
    if unknown:
        raise UsageError(
            f"rubric {reference!r} uses {', '.join(unknown)}; a rubric sees only "
            "`inputs`, `output` and `expected`",
            field=where,
        )
    if "output" not in closure.variables:
        raise UsageError(
            f"rubric {reference!r} never shows the judge the output: use {{{{ output }}}}",
            field=where,
        )
    return env.template(analysis)


def judge_scorer(
    metric: Metric, where: str, project: Project, prompt: Prompt, caller: Caller
) -> Scorer:
    """A scorer asking the judge model. Refuses an unpinned judge model, like any model."""
    template = load_rubric(project, str(metric.options["rubric"]), where + ".rubric")
    model = judge_model(metric, prompt)
    problem = pinning_problem(model.provider, model.name, project.config.lint.allowed_models)
    if problem:
        raise UsageError(problem[1], field=where + ".model")
    scale = float(metric.options.get("scale", 1))
    system = system_message(scale)

    def score(output: str, case: Case) -> Score:
        try:
            rubric = template.render(
                inputs=dict(case.inputs), output=output, expected=case.expected
            )
            rubric = unmark(rubric)  # a rubric is one text: its `role:` lines are text
        except Exception as err:  # a rubric that fails on this case fails this case only
            return Score(0.0, error=f"the rubric does not render: {err}")
        messages: list[ChatMessage] = [
            {"role": "system", "content": system},
            {"role": "user", "content": rubric},
        ]
        key = {"judge": True, "model": model.to_json(), "messages": messages}
        try:
            reply = caller.call(messages, model, key, call="judge", metric=metric.name)
        except CallError as err:
            return Score(0.0, error=f"the judge call failed: {err.message}")
        try:
            value, reason = parse_judge_reply(reply.text, scale)
        except ValueError as err:
            return Score(0.0, error=f"malformed judge reply: {err}: {short(reply.text)}")
        return Score(value, reason or None)

    return score
