"""Import a GitHub Models prompt file (`.prompt.yml`): the format `gh models eval` and the
`actions/ai-inference` action read.

`messages` become role-marked messages with `{{var}}` placeholders as inputs (typed by the
`testData` values), `model` the model block and `modelParameters` its params, `testData` a
JSONL golden dataset beside the prompts (`evals/<name>.jsonl`), and the string evaluators
(`equals`, `contains`, `startsWith`, `endsWith`) metrics. LLM evaluators (`uses:
github/...`), `responseFormat` and `jsonSchema` have no promptreg equivalent yet: they are
kept under `metadata.github` and reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from promptreg.formats.jinja_out import JinjaOut
from promptreg.formats.placeholders import MUSTACHE, add_text
from promptreg.formats.promptfile import Draft, model_of
from promptreg.formats.report import Refused
from promptreg.formats.source import mapping, parse_yaml
from promptreg.frontmatter.checks import json_type

ROLES = {"system": "system", "user": "user", "assistant": "assistant", "developer": "system"}
_CARRIED = ("responseFormat", "jsonSchema", "name")
_KNOWN = frozenset(
    ("description", "model", "modelParameters", "messages", "testData", "evaluators", *_CARRIED)
)
_MAX_ROWS = 10_000


def draft_github(text: str, *, name: str, default_model: str | None, notes: list[str]) -> Draft:
    """A Draft (and the dataset's JSONL text, in `draft.metadata` until written) for a
    `.prompt.yml` document. Raises Refused."""
    doc = parse_yaml(text, "the YAML document")
    if not isinstance(doc, Mapping):
        raise Refused("not a GitHub Models prompt file (the document is not a mapping)")
    messages = doc.get("messages")
    if not isinstance(messages, list) or not messages:
        raise Refused("no `messages` list: not a GitHub Models prompt file")
    draft = Draft(name=name, body="", model={}, notes=notes)
    draft.note(f"version set to {draft.version} (the format has none)")
    if isinstance(doc.get("description"), str):
        draft.description = doc["description"]
    params = dict(mapping(doc.get("modelParameters"), "`modelParameters`"))
    model_of(doc.get("model"), default_model, draft, params)
    out = JinjaOut()
    used: list[str] = []
    for i, message in enumerate(messages):
        message = mapping(message, f"messages[{i}]")
        role = ROLES.get(str(message.get("role", "")).lower())
        content = message.get("content")
        if role is None:
            raise Refused(
                f"messages[{i}]: role {message.get('role')!r} has no promptreg equivalent"
            )
        if not isinstance(content, str):
            raise Refused(f"messages[{i}]: content must be text")
        if message.get("role") == "developer":
            draft.note("the `developer` role became `system`")
        if len(messages) > 1 or role != "user":  # one user message: a text prompt renders so
            out.marker(role)
        add_text(out, content, (MUSTACHE,), used)
    draft.body = out.source()
    rows = _rows(doc.get("testData"))
    for var in used:
        draft.inputs[var] = {"type": _type_of(var, rows), "required": True}
    if rows:
        draft.sample = {k: v for k, v in rows[0].items() if k in draft.inputs}
    metrics = [m for i, e in enumerate(doc.get("evaluators") or []) if (m := _metric(i, e, draft))]
    if metrics and not rows:
        draft.note("evaluators not carried: there is no testData to run them on")
    if rows:
        dataset = f"evals/{name}.jsonl"
        draft.metadata["_dataset"] = (dataset, _jsonl(rows, used))
        draft.evals = {"dataset": dataset, "metrics": metrics} if metrics else None
        if not metrics:
            draft.note(f"testData written to {dataset}, but no evaluator became a metric")
    doc = _output(dict(doc), draft)
    carried = {k: doc[k] for k in _CARRIED if k in doc and k != "name"}
    carried.update({str(k): v for k, v in doc.items() if k not in _KNOWN})
    if carried:
        draft.metadata["github"] = carried
        draft.note("kept under metadata.github: " + ", ".join(f"`{k}`" for k in carried))
    return draft


def _output(doc: dict[str, Any], draft: Draft) -> dict[str, Any]:
    """`responseFormat` (+ `jsonSchema`) as promptreg's `output:`; what does not map stays."""
    kind = doc.get("responseFormat")
    if kind == "text":
        doc.pop("responseFormat")
    elif kind == "json_object" and "jsonSchema" not in doc:
        draft.output = {"format": "json"}
        doc.pop("responseFormat")
    elif kind == "json_schema":
        spec = doc.get("jsonSchema")
        if isinstance(spec, str):
            try:
                spec = json.loads(spec)
            except ValueError:
                return doc
        if isinstance(spec, Mapping) and isinstance(spec.get("schema"), Mapping | bool):
            draft.output = {"format": "json", "schema": spec["schema"]}
            for key in ("name", "strict", "description"):
                if key in spec:
                    draft.output[key] = spec[key]
            doc.pop("responseFormat")
            doc.pop("jsonSchema")
    return doc


def _rows(data: Any) -> list[Mapping[str, Any]]:
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(r, Mapping) for r in data):
        raise Refused("`testData` must be a list of mappings")
    if len(data) > _MAX_ROWS:
        raise Refused(f"`testData` has more than {_MAX_ROWS:,} rows")
    return data


def _type_of(var: str, rows: list[Mapping[str, Any]]) -> str:
    kinds = {json_type(r[var]) for r in rows if var in r}
    return kinds.pop() if len(kinds) == 1 else "string"


def _jsonl(rows: list[Mapping[str, Any]], used: list[str]) -> str:
    lines = []
    for i, row in enumerate(rows, 1):
        case: dict[str, Any] = {"id": i, "inputs": {k: row[k] for k in used if k in row}}
        if "expected" in row:
            case["expected"] = row["expected"]
        lines.append(json.dumps(case, ensure_ascii=False, sort_keys=False))
    return "\n".join(lines) + "\n"


_STRING_OPS = ("equals", "contains", "startsWith", "endsWith")


def _metric(i: int, evaluator: Any, draft: Draft) -> dict[str, Any] | None:
    ev = mapping(evaluator, f"evaluators[{i}]")
    name = re.sub(r"[^a-z0-9_]+", "_", str(ev.get("name") or f"evaluator_{i}").lower()).strip("_")
    if "uses" in ev:
        draft.note(f"evaluator `{ev.get('name')}` (uses {ev['uses']}, an LLM judge) not carried")
        return None
    check = mapping(ev.get("string"), f"evaluators[{i}].string")
    ops = [op for op in _STRING_OPS if op in check]
    if len(ops) != 1 or not isinstance(check[ops[0]], str):
        draft.note(f"evaluator `{ev.get('name')}` is not one string check: not carried")
        return None
    op, value = ops[0], check[ops[0]]
    metric: dict[str, Any] = {"name": name or f"evaluator_{i}"}
    if check.get("caseSensitive") is False:
        metric["ignore_case"] = True
    if value.strip() == "{{expected}}" and op in ("equals", "contains"):
        metric["kind"] = "exact" if op == "equals" else "contains"
        if op == "equals":
            metric["strip"] = False
        return _ordered(metric)
    if "{{" in value:
        draft.note(f"evaluator `{ev.get('name')}`: a check with placeholders is not carried")
        return None
    pattern = re.escape(value)
    metric["kind"] = "regex"
    metric["pattern"] = {
        "equals": f"\\A{pattern}\\Z",
        "contains": pattern,
        "startsWith": f"\\A{pattern}",
        "endsWith": f"{pattern}\\Z",
    }[op]
    return _ordered(metric)


def _ordered(metric: dict[str, Any]) -> dict[str, Any]:
    head = {"name": metric.pop("name"), "kind": metric.pop("kind")}
    return {**head, **metric}
