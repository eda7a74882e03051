"""One Prompty reader: `promptreg import` of a `.prompty` and the same file in place agree.

The import builds its draft from the in-place reader (frontmatter/prompty.py), so for every
`.prompty` under tests/data and ../shared/external/prompty (copied into a project with its
folder, so `${file:...}` samples resolve, and a `version:` line where the file has none, as
in the conformance tests):
- what the in-place reader refuses with PR084 the import refuses with the same message;
- a file that loads in place imports, with the same inputs (name, type, default), model
  (provider, and the name or the dated snapshot the import pins it to), params, `output` and
  `tools`, and renders the same messages for the file's sample.
The documented differences are allowed, and only those: the import makes a variable with no
value and no default (undeclared, or declared without one) a required input (the test gives
it "", as Prompty prints nothing); it keeps a value's edge whitespace (Prompty strips it); it rewrites a transcript
line `{{ item.role }}:` (PR085 in place) as marker lines under `{% if %}`; and a `${file:...}`
sample that is not there (PR084 in place) is made up rather than refused.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from promptreg.formats.importer import convert_file
from promptreg.frontmatter.pinning import pinned_snapshot
from promptreg.frontmatter.spec import MISSING
from promptreg.project.loader import PromptFile
from promptreg.project.project import Project
from tests.conftest import Workspace
from tests.formats_support import HERE, external_root

_ROOTS = [HERE / "data"]
if (_external := external_root()) is not None:
    _ROOTS.append(_external / "prompty")
FILES = sorted({p for root in _ROOTS for p in root.rglob("*.prompty")})
_PINNING = ("PR030", "PR031", "PR032")  # an unpinned model: a finding in place, not a refusal


def _ids() -> list[str]:
    out = []
    for path in FILES:
        for root in _ROOTS:
            if path.is_relative_to(root):
                out.append(f"{root.name}/{path.relative_to(root)}")
                break
    return out


def _errors(pf: PromptFile) -> list[Any]:
    return [f for f in pf.findings if f.code not in _PINNING and f.code not in _WARNINGS]


_WARNINGS = ("PR041", "PR042", "PR052", "PR087", "PR088")  # warnings: they refuse nothing


def _summary(pf: PromptFile, names: set[str]) -> dict[str, Any]:
    assert pf.prompt is not None
    spec = pf.prompt.spec
    inputs = {
        n: (d.type, None if d.default is MISSING else d.default)
        for n, d in spec.inputs.items()
        if n in names
    }
    return {
        "inputs": inputs,
        "params": dict(spec.model.params or {}),
        "output": spec.output.response_format() if spec.output else None,
        "tools": [t.to_openai() for t in spec.tools] if spec.tools else None,
    }


def _render(pf: PromptFile, values: dict[str, Any]) -> list[dict[str, str]]:
    assert pf.prompt is not None
    given = {k: v for k, v in values.items() if k in pf.prompt.inputs}
    return [dict(m) for m in pf.prompt.render_inputs(given, check_budget=False).messages]


@pytest.mark.parametrize("source", FILES, ids=_ids())
def test_in_place_and_imported_agree(ws: Workspace, source: Path) -> None:
    folder = ws.prompts / "f"
    shutil.copytree(source.parent, folder, ignore=shutil.ignore_patterns("*.prompt"))
    path = folder / source.name
    text = path.read_text(encoding="utf-8")
    if text.startswith("---\n") and "\nversion:" not in text.split("\n---", 1)[0]:
        path.write_text(text.replace("---\n", "---\nversion: 0.1.0\n", 1), encoding="utf-8")
    project = Project.open(ws.root)
    in_place = project.read(path)
    conversion, _ = convert_file(path, prefix="", default_model=None, shown=path.name)
    errors = _errors(in_place)
    missing_sample = [f for f in errors if f.message.endswith("cannot be read")]
    if missing_sample:  # test data, not the request: the import makes a sample up
        assert not conversion.refused and "cannot be read" in " ".join(conversion.notes)
        errors = [f for f in errors if f not in missing_sample]
    refusals = [f for f in errors if f.code == "PR084"]
    if refusals:
        assert conversion.refused, f"in place: {refusals[0].message}; the import took it"
        assert any(f.message in conversion.refused for f in refusals), conversion.refused
        return
    if in_place.prompt is None or errors:
        return  # no prompt in place to compare (no model, a value deciding a role...)
    assert not conversion.refused, conversion.refused
    body = next(v for k, v in conversion.files.items() if k.endswith(".prompt"))
    imported = project.read(ws.write("prompts/imported.prompt", body))
    assert imported.prompt is not None and not _errors(imported), imported.findings
    used = set(imported.prompt.inputs) & set(in_place.prompt.inputs)
    assert _summary(imported, used) == _summary(in_place, used)
    model, model_in_place = imported.prompt.spec.model, in_place.prompt.spec.model
    assert model.provider == model_in_place.provider
    snapshot = pinned_snapshot(model_in_place.provider, model_in_place.name)
    assert model.name in (model_in_place.name, snapshot)
    sample = dict(in_place.prompt.spec.sample or {})
    for name, decl in imported.prompt.inputs.items():
        if decl.required and name not in sample:
            sample[name] = ""  # no value, no default: Prompty prints nothing
    got, want = _render(imported, sample), _render(in_place, sample)
    if got != want:  # a value's edge whitespace: the import keeps it, Prompty strips it
        assert [{**m, "content": m["content"].strip()} for m in got] == want


def test_the_files_are_there() -> None:
    assert len(FILES) >= 30  # tests/data alone holds 32
