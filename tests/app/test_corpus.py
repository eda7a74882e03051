"""A corpus of broken prompt files: each must produce exactly the expected rule code at exactly
the expected line (1-based, counted from the file's first line), and never a traceback.

Most cases are built from three blocks whose lines are fixed, so an expected line can be read
off the block it falls in:

    HEAD   lines 1-5   `---`, version, model (provider, name)
    INPUTS lines 6-8   inputs (ticket, required), sample
    BODY   lines 9-14  `---`, system:, Be brief., blank, user:, {{ ticket }}
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from promptreg.app.validate import validate
from promptreg.findings import RULES, WARNING_CODES
from promptreg.project.project import Project
from tests.conftest import Result, Workspace

HEAD = """\
---
version: 1.0.0
model:
  provider: openai
  name: gpt-4o-2024-08-06
"""
INPUTS = """\
inputs:
  ticket: {type: string, required: true}
sample: {ticket: "My invoice is wrong"}
"""
BODY = """\
---
system:
Be brief.

user:
{{ ticket }}
"""
VALID = HEAD + INPUTS + BODY


def with_model(provider: str, name: str) -> str:
    return VALID.replace("provider: openai", f"provider: {provider}").replace(
        "name: gpt-4o-2024-08-06", f"name: {name}"
    )


def with_body(body: str, inputs: str = INPUTS) -> str:
    """HEAD + inputs + a custom body; with the default inputs the body starts at line 10."""
    return HEAD + inputs + "---\n" + body


@dataclass(frozen=True)
class Case:
    id: str
    text: str | bytes
    code: str | None  # None: the file is valid and must produce no finding at all
    line: int
    name: str = "corpus/case.prompt"  # path under prompts/
    files: dict[str, str] = field(default_factory=dict)  # extra files, relative to the root
    config: str | None = None  # promptreg.yaml
    setup: Callable[[Workspace], None] | None = None
    also: frozenset[tuple[str, int]] = frozenset()  # further (code, line) findings expected


def _symlink_out(ws: Workspace) -> None:
    ws.write("outside.j2", "secret\n")
    (ws.prompts / "partials" / "link.j2").symlink_to(ws.root / "outside.j2")


# metadata.a (line 7) holds 9 strings; b..i (lines 8-15) each hold 9 aliases of the one
# before: 9**9 strings if it were ever expanded.
BILLION_LAUGHS = (
    HEAD
    + "metadata:\n"
    + '  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    + "".join(
        f"  {cur}: &{cur} [{', '.join(['*' + prev] * 9)}]\n"
        for prev, cur in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + INPUTS
    + BODY
)

FIVE_MB = with_body("user:\n{{ ticket }}\n" + ("x" * 99 + "\n") * 50_000)

CASES: list[Case] = [
    # -- the file itself ------------------------------------------------------------------------
    Case("not-utf8-body", VALID.encode().replace(b"Be brief.", b"Be \xff brief."), "PR001", 11),
    Case(
        "not-utf8-front-matter",
        VALID.encode().replace(b"version: 1.0.0", b"version: 1.0.0\ndescription: caf\xe9"),
        "PR001",
        3,
    ),
    Case("latin1-line-1", b"\xe9---\n", "PR001", 1),
    Case("empty-file", "", "PR002", 1),
    Case("whitespace-only", "  \n\n\t\n", "PR002", 1),
    Case("no-front-matter", "system:\nBe brief.\n\nuser:\n{{ ticket }}\n", "PR002", 1),
    Case("front-matter-not-first", "\n" + VALID, "PR002", 1),
    Case("unclosed-front-matter", HEAD + INPUTS + "system:\nBe brief.\n", "PR003", 1),
    Case("five-megabytes", FIVE_MB, "PR004", 1),
    Case("bad-name-space", VALID, "PR005", 1, name="Bad Name.prompt"),
    Case("bad-name-upper-dir", VALID, "PR005", 1, name="Support/triage.prompt"),
    # -- YAML -----------------------------------------------------------------------------------
    Case(
        "yaml-unclosed-flow-map",
        HEAD + "inputs: {ticket: {type: string}\n" + "sample: {}\n" + BODY,
        "PR010",
        7,
    ),
    Case(
        "yaml-bad-indent",
        HEAD + "inputs:\n  ticket: {type: string, required: true}\n sample: {ticket: x}\n" + BODY,
        "PR010",
        8,
    ),
    # A double-quoted scalar may span lines: the reader only finds the problem where the
    # front-matter ends (line 9, the closing fence).
    Case("yaml-unclosed-quote", HEAD + 'description: "never closed\n' + INPUTS + BODY, "PR010", 9),
    Case("yaml-reserved-indicator", HEAD + "description: @mention\n" + INPUTS + BODY, "PR010", 6),
    Case(
        "yaml-python-tag",
        HEAD + "description: !!python/object/apply:os.system [ls]\n" + INPUTS + BODY,
        "PR010",
        6,
    ),
    Case("yaml-custom-tag", HEAD + "description: !env HOME\n" + INPUTS + BODY, "PR010", 6),
    Case("yaml-tab-indent", HEAD + "inputs:\n\tticket: {type: string}\n" + BODY, "PR010", 7),
    Case("yaml-value-after-value", HEAD + "description: a: b\n" + INPUTS + BODY, "PR010", 6),
    Case("yaml-complex-key", HEAD + "? [a, b]\n: 1\n" + INPUTS + BODY, "PR010", 6),
    Case("yaml-after-document-end", HEAD + "...\n" + INPUTS + BODY, "PR010", 7),
    # An alias inside a list is reported where its anchor stands (the parser keeps no mark
    # for the alias itself); the bomb is refused before anything is expanded.
    Case("yaml-billion-laughs", BILLION_LAUGHS, "PR012", 7),
    Case(
        "yaml-anchor-alias",
        HEAD.replace("model:", "model: &m") + "metadata: {copy: *m}\n" + INPUTS + BODY,
        "PR012",
        6,
    ),
    Case(
        "yaml-merge-key-alias",
        HEAD + "metadata:\n  base: &b {team: x}\n  derived:\n    <<: *b\n" + INPUTS + BODY,
        "PR012",
        9,
    ),
    Case(
        "yaml-merge-key-inline",
        HEAD + "metadata:\n  <<: {team: x}\n" + INPUTS + BODY,
        "PR012",
        7,
    ),
    Case("yaml-duplicate-top-level", HEAD + "version: 1.0.1\n" + INPUTS + BODY, "PR011", 6),
    Case(
        "yaml-duplicate-nested",
        HEAD + "  provider: anthropic\n" + INPUTS + BODY,
        "PR011",
        6,
    ),
    Case(
        "yaml-duplicate-in-input",
        HEAD + "inputs:\n  ticket: {type: string, type: integer}\n" + BODY,
        "PR011",
        7,
    ),
    Case("yaml-list", "---\n- version\n- model\n---\nuser:\nhi\n", "PR013", 2),
    Case("yaml-scalar", "---\njust text\n---\nuser:\nhi\n", "PR013", 2),
    Case("yaml-null", "---\n~\n---\nuser:\nhi\n", "PR013", 2),
    # -- schema ---------------------------------------------------------------------------------
    Case("unknown-top-level-key", HEAD + "temperature: 0.2\n" + INPUTS + BODY, "PR020", 6),
    Case("unknown-key-yes-stays-a-string", HEAD + "yes: 1\n" + INPUTS + BODY, "PR020", 6),
    Case("unknown-model-key", HEAD + "  temperature: 0.2\n" + INPUTS + BODY, "PR020", 6),
    Case(
        "unknown-input-key",
        HEAD + "inputs:\n  ticket: {type: string, required: true, format: email}\n" + BODY,
        "PR020",
        7,
    ),
    Case("unknown-budget-key", HEAD + "budget: {max_tokens: 10}\n" + INPUTS + BODY, "PR020", 6),
    Case("missing-version", VALID.replace("version: 1.0.0\n", ""), "PR021", 2),
    Case(
        "missing-model",
        VALID.replace("model:\n  provider: openai\n  name: gpt-4o-2024-08-06\n", ""),
        "PR021",
        2,
    ),
    Case("missing-model-name", VALID.replace("  name: gpt-4o-2024-08-06\n", ""), "PR021", 3),
    Case(
        "missing-input-type",
        HEAD + "inputs:\n  ticket: {required: true}\n" + BODY,
        "PR021",
        7,
    ),
    Case("wrong-type-description", HEAD + "description: 5\n" + INPUTS + BODY, "PR022", 6),
    Case("wrong-type-owners", HEAD + "owners: support-team\n" + INPUTS + BODY, "PR022", 6),
    Case("wrong-type-owner-item", HEAD + "owners:\n  - team\n  - 42\n" + INPUTS + BODY, "PR022", 8),
    Case(
        "wrong-type-model",
        VALID.replace("model:\n  provider: openai\n  name: gpt-4o-2024-08-06\n", "model: gpt-4o\n"),
        "PR022",
        3,
    ),
    Case("wrong-type-provider", VALID.replace("provider: openai", "provider: 1"), "PR022", 4),
    Case(
        "wrong-type-model-name", VALID.replace("name: gpt-4o-2024-08-06", "name: [a]"), "PR022", 5
    ),
    Case("wrong-type-params", HEAD + "  params: [temperature]\n" + INPUTS + BODY, "PR022", 6),
    Case("wrong-type-inputs", HEAD + "inputs: [ticket]\n" + BODY, "PR022", 6),
    Case("wrong-type-input-decl", HEAD + "inputs:\n  ticket: string\n" + BODY, "PR022", 7),
    Case(
        "wrong-type-required-yes",
        HEAD + "inputs:\n  ticket:\n    type: string\n    required: yes\n" + BODY,
        "PR022",
        9,
    ),
    Case(
        "wrong-type-enum",
        HEAD + "inputs:\n  ticket:\n    type: string\n    enum: free\n" + BODY,
        "PR022",
        9,
    ),
    Case(
        "wrong-type-max-chars",
        HEAD + "inputs:\n  ticket:\n    type: string\n    max_chars: -1\n" + BODY,
        "PR022",
        9,
    ),
    Case(
        "wrong-type-input-description",
        HEAD + "inputs:\n  ticket:\n    type: string\n    description: [a]\n" + BODY,
        "PR022",
        9,
    ),
    Case("wrong-type-budget", HEAD + "budget: 2500\n" + INPUTS + BODY, "PR022", 6),
    Case(
        "wrong-type-budget-tokens",
        HEAD + "budget:\n  max_input_tokens: 2k\n" + INPUTS + BODY,
        "PR022",
        7,
    ),
    Case(
        "wrong-type-sample",
        HEAD + "inputs:\n  ticket: {type: string}\nsample: [hi]\n" + BODY,
        "PR022",
        8,
    ),
    Case("wrong-type-metadata", HEAD + "metadata: [a]\n" + INPUTS + BODY, "PR022", 6),
    Case(
        "bad-input-type-name",
        HEAD + "inputs:\n  ticket: {type: str}\n" + BODY,
        "PR023",
        7,
    ),
    Case(
        "reserved-input-name",
        HEAD + "inputs:\n  loop: {type: string}\n" + "---\nuser:\n{{ loop }}\n",
        "PR023",
        7,
    ),
    Case(
        "bad-input-name",
        HEAD + "inputs:\n  bad-name: {type: string}\n" + "---\nuser:\nhi\n",
        "PR023",
        7,
    ),
    Case(
        "tag-too-long-for-git",
        VALID.replace("version: 1.0.0", "version: 1.0.0-" + "r" * 250),
        "PR007",
        2,
    ),
    Case("version-not-semver", VALID.replace("version: 1.0.0", 'version: "1.0"'), "PR024", 2),
    Case("version-float", VALID.replace("version: 1.0.0", "version: 1.0"), "PR024", 2),
    Case("version-v-prefix", VALID.replace("version: 1.0.0", "version: v1.0.0"), "PR024", 2),
    Case("version-integer", VALID.replace("version: 1.0.0", "version: 1"), "PR024", 2),
    Case("version-leading-zero", VALID.replace("version: 1.0.0", 'version: "01.0.0"'), "PR024", 2),
    Case(
        "required-with-default",
        HEAD
        + "inputs:\n  ticket:\n    type: string\n    required: true\n    default: hi\n"
        + "sample: {ticket: x}\n"
        + BODY,
        "PR025",
        10,
    ),
    Case(
        "default-not-in-enum",
        HEAD + "inputs:\n  ticket:\n    type: string\n    enum: [a, b]\n    default: c\n" + BODY,
        "PR025",
        10,
    ),
    Case(
        "default-wrong-type",
        HEAD + "inputs:\n  ticket:\n    type: integer\n    default: many\n" + BODY,
        "PR025",
        9,
    ),
    Case(
        "enum-item-wrong-type",
        HEAD + "inputs:\n  ticket:\n    type: integer\n    enum:\n      - 1\n      - two\n" + BODY,
        "PR025",
        11,
    ),
    Case(
        "max-chars-on-integer",
        HEAD + "inputs:\n  ticket:\n    type: integer\n    max_chars: 3\n" + BODY,
        "PR025",
        9,
    ),
    Case(
        "default-longer-than-max-chars",
        HEAD + "inputs:\n  ticket:\n    type: string\n    max_chars: 3\n    default: long\n" + BODY,
        "PR025",
        10,
    ),
    # -- model and budget -----------------------------------------------------------------------
    Case(
        "secret-in-body", with_body("user:\n{{ ticket }} sk-proj-" + "Ab3" * 15 + "\n"), "PR074", 11
    ),
    Case("unpinned-gpt-4o", with_model("openai", "gpt-4o"), "PR031", 5),
    Case("unpinned-claude", with_model("anthropic", "claude-sonnet-4-5"), "PR031", 5),
    Case("unpinned-bedrock", with_model("bedrock", "anthropic.claude-v2"), "PR031", 5),
    Case("latest-openai", with_model("openai", "chatgpt-4o-latest"), "PR030", 5),
    Case("latest-anthropic", with_model("anthropic", "claude-3-5-sonnet-latest"), "PR030", 5),
    Case("latest-other-provider", with_model("google", "gemini-pro-latest"), "PR030", 5),
    Case("latest-tag", with_model("ollama", "llama3:latest"), "PR030", 5),
    Case(
        "latest-even-if-allowed-other",
        with_model("openai", "gpt-4o-latest"),
        "PR030",
        5,
        config="prompts_dir: prompts\nlint:\n  allowed_models: [gpt-4o]\n",
    ),
    Case(
        "allow-listed-undated-passes",
        with_model("openai", "gpt-4o"),
        None,
        0,
        config="prompts_dir: prompts\nlint:\n  allowed_models: [gpt-4o, o1]\n",
    ),
    Case(
        "budget-required",
        VALID,
        "PR032",
        2,  # no `budget` key to point at: the front-matter's first line, as for PR021
        config="prompts_dir: prompts\nlint:\n  require_budget: true\n",
    ),
    Case(
        "budget-required-tokens-missing",
        HEAD + "budget: {max_output_tokens: 10}\n" + INPUTS + BODY,
        "PR032",
        6,
        config="prompts_dir: prompts\nlint:\n  require_budget: true\n",
    ),
    # -- template -------------------------------------------------------------------------------
    Case("syntax-unclosed-print", with_body("system:\nHi.\n\nuser:\n{{ ticket }\n"), "PR040", 14),
    Case(
        "syntax-unmatched-end",
        with_body("system:\nHi.\n{% endif %}\nuser:\n{{ ticket }}\n"),
        "PR040",
        12,
    ),
    Case(
        "syntax-unknown-tag",
        with_body("system:\nHi.\n\nuser:\n{% frobnicate %}{{ ticket }}\n"),
        "PR040",
        14,
    ),
    Case(
        "syntax-error-in-partial",
        with_body('system:\nHi.\n{% include "partials/broken.j2" %}\nuser:\n{{ ticket }}\n'),
        "PR040",
        12,
        files={"prompts/partials/broken.j2": "ok\n{% if %}\n"},
    ),
    Case(
        "undeclared-variable",
        with_body("system:\nHi {{ name }}.\n\nuser:\n{{ ticket }}\n"),
        "PR041",
        11,
    ),
    # Used only inside a partial: reported at the include that brings it in (line 15).
    Case(
        "undeclared-variable-in-partial",
        with_body('system:\nHi.\n\nuser:\n{{ ticket }}\n{% include "partials/greet.j2" %}\n'),
        "PR041",
        15,
        files={"prompts/partials/greet.j2": "Hello {{ who }}\n"},
    ),
    Case(
        "unused-input",
        HEAD
        + "inputs:\n  ticket: {type: string, required: true}\n  tone:\n    type: string\n"
        + "sample: {ticket: x}\n"
        + BODY,
        "PR042",
        8,
    ),
    Case(
        "include-missing",
        with_body('system:\n{% include "partials/nope.j2" %}\n\nuser:\n{{ ticket }}\n'),
        "PR043",
        11,
    ),
    Case(
        "include-dotdot",
        with_body('system:\nHi.\n\nuser:\n{% include "../outside.j2" %}{{ ticket }}\n'),
        "PR044",
        14,
        files={"outside.j2": "secret\n"},
    ),
    Case(
        "include-dotdot-inside",
        with_body('system:\n{% include "partials/../../outside.j2" %}\nuser:\n{{ ticket }}\n'),
        "PR044",
        11,
        files={"outside.j2": "secret\n"},
    ),
    Case(
        "include-absolute",
        with_body('system:\n{% include "/etc/hostname" %}\nuser:\n{{ ticket }}\n'),
        "PR044",
        11,
    ),
    Case(
        "include-symlink-out",
        with_body('system:\n{% include "partials/link.j2" %}\nuser:\n{{ ticket }}\n'),
        "PR006",  # any symlink under the prompts directory, not only one leading outside
        11,
        setup=_symlink_out,
    ),
    Case(
        "include-prompt-file",
        with_body('system:\n{% include "corpus/other.prompt" %}\nuser:\n{{ ticket }}\n'),
        "PR044",
        11,
        files={"prompts/corpus/other.prompt": VALID},
    ),
    Case(
        "import-dotdot",
        with_body('{% import "../macros.j2" as m %}\nsystem:\nHi.\nuser:\n{{ ticket }}\n'),
        "PR044",
        10,
        files={"macros.j2": "{% macro x() %}x{% endmacro %}\n"},
    ),
    Case(
        "include-cycle",
        with_body('system:\nHi.\n\nuser:\n{{ ticket }}\n{% include "partials/a.j2" %}\n'),
        "PR045",
        15,
        files={
            "prompts/partials/a.j2": 'A {% include "partials/b.j2" %}\n',
            "prompts/partials/b.j2": 'B {% include "partials/a.j2" %}\n',
        },
    ),
    Case(
        "include-self-cycle",
        with_body('system:\n{% include "partials/self.j2" %}\nuser:\n{{ ticket }}\n'),
        "PR045",
        11,
        files={"prompts/partials/self.j2": 'again {% include "partials/self.j2" %}\n'},
    ),
    Case(
        "include-dynamic-concat",
        with_body('system:\nHi.\nuser:\n{% include "partials/" ~ "tone.j2" %}{{ ticket }}\n'),
        "PR046",
        13,
    ),
    Case(
        "include-dynamic-variable",
        with_body("system:\nHi.\nuser:\n{{ ticket }}\n{% include ticket %}\n"),
        "PR046",
        14,
    ),
    Case(
        "sandbox-mro",
        with_body("system:\nHi.\nuser:\n{{ ticket }}{{ ''.__class__.__mro__ }}\n"),
        "PR047",
        13,
    ),
    Case(
        "sandbox-globals-item",
        with_body("system:\nHi.\nuser:\n{{ ticket }}\n{{ cycler['__init__'] }}\n"),
        "PR047",
        14,
    ),
    Case(
        "sandbox-in-partial",
        with_body('system:\n{% include "partials/evil.j2" %}\nuser:\n{{ ticket }}\n'),
        "PR047",
        11,
        files={"prompts/partials/evil.j2": "ok\n{{ lipsum.__globals__ }}\n"},
    ),
    Case(
        "leading-text",
        with_body("Hello there.\nsystem:\nHi.\nuser:\n{{ ticket }}\n"),
        "PR048",
        10,
    ),
    Case(
        "leading-text-after-blank-lines",
        with_body("\n\n{# a comment #}\nstray\nsystem:\nHi.\nuser:\n{{ ticket }}\n"),
        "PR048",
        13,
    ),
    Case(
        "reserved-char-body",
        with_body("system:\nHi.\nuser:\n\ue000{{ ticket }}\n"),
        "PR049",
        13,
    ),
    # -- sample, rendering and tokens -----------------------------------------------------------
    Case(
        "sample-does-not-render-null",
        with_body(
            "system:\nHi.\nuser:\n{{ ticket }}\n{{ note }}\n",
            inputs="inputs:\n  ticket: {type: string, required: true}\n  note: {type: string}\n"
            "sample: {ticket: x}\n",
        ),
        "PR050",
        15,
    ),
    Case(
        "sample-does-not-render-error",
        with_body("system:\nHi.\nuser:\n{{ ticket }}\n{{ ticket + 1 }}\n"),
        "PR050",
        14,
    ),
    Case(
        "sample-missing-required",
        HEAD
        + "inputs:\n  ticket: {type: string, required: true}\n  tier: {type: string}\n"
        + "sample:\n  tier: pro\n"
        + "---\nuser:\n{{ ticket }} {{ tier }}\n",
        "PR051",
        9,
    ),
    Case(
        "sample-absent",
        HEAD + "inputs:\n  ticket: {type: string, required: true}\n" + BODY,
        "PR051",
        1,
    ),
    Case(
        "sample-wrong-type",
        HEAD
        + "inputs:\n  count: {type: integer, required: true}\n"
        + "sample:\n  count: '3'\n"
        + "---\nuser:\n{{ count }}\n",
        "PR051",
        9,
    ),
    Case(
        "sample-bool-for-integer",
        HEAD
        + "inputs:\n  count: {type: integer, required: true}\n"
        + "sample:\n  count: true\n"
        + "---\nuser:\n{{ count }}\n",
        "PR051",
        9,
    ),
    Case(
        "sample-enum-violation",
        HEAD
        + "inputs:\n  ticket: {type: string, required: true}\n"
        + "  tier: {type: string, enum: [free, pro]}\n"
        + "sample:\n  ticket: x\n  tier: gold\n"
        + "---\nuser:\n{{ ticket }} {{ tier }}\n",
        "PR051",
        11,
    ),
    Case(
        "sample-max-chars",
        HEAD
        + "inputs:\n  ticket: {type: string, required: true, max_chars: 5}\n"
        + "sample:\n  ticket: far too long\n"
        + "---\nuser:\n{{ ticket }}\n",
        "PR051",
        9,
    ),
    Case(
        "sample-unknown-input",
        HEAD
        + "inputs:\n  ticket: {type: string, required: true}\n"
        + "sample:\n  ticket: x\n  extra: y\n"
        + "---\nuser:\n{{ ticket }}\n",
        "PR051",
        10,
    ),
    Case(
        "sample-empty-message",
        with_body("system:\n{{ '' }}\nuser:\n{{ ticket }}\n"),
        "PR052",
        10,
    ),
    Case(
        "sample-over-budget",
        HEAD
        + "budget:\n  max_input_tokens: 20\n"
        + "inputs:\n  ticket: {type: string, required: true}\n"
        + "sample:\n  ticket: "
        + "word " * 40
        + "\n"
        + "---\nuser:\n{{ ticket }}\n",
        "PR053",
        7,
    ),
    Case(
        "sample-over-a-limit",
        with_body("system:\nHi.\nuser:\n{{ ticket }}\n{{ 'x'|center(10**9) }}\n"),
        "PR054",
        14,
    ),
    Case(
        "template-nested-too-deeply",
        with_body("user:\n{{ ticket }}" + "{% if true %}" * 2000 + "{% endif %}" * 2000),
        "PR055",
        10,
    ),
    # -- evals ----------------------------------------------------------------------------------
    Case("evals-not-mapping", HEAD + "evals: [accuracy]\n" + INPUTS + BODY, "PR060", 6),
    Case(
        "evals-unknown-key",
        HEAD + "evals:\n  dataset: e.jsonl\n  score: 1\n" + INPUTS + BODY,
        "PR060",
        8,
    ),
    Case(
        "evals-bad-metric-kind",
        HEAD + "evals:\n  metrics:\n    - {name: acc, kind: fuzzy}\n" + INPUTS + BODY,
        "PR060",
        8,
    ),
    Case(
        "evals-threshold-out-of-range",
        HEAD
        + "evals:\n  metrics:\n    - name: acc\n      kind: exact\n      threshold: 90\n"
        + INPUTS
        + BODY,
        "PR060",
        10,
    ),
    Case(
        "evals-score-not-number",
        HEAD + "evals:\n  scores:\n    accuracy: high\n" + INPUTS + BODY,
        "PR060",
        8,
    ),
    Case(
        "evals-bad-content-hash",
        HEAD + "evals:\n  content_hash: md5:abc\n" + INPUTS + BODY,
        "PR060",
        7,
    ),
    Case(
        "evals-bad-timestamp",
        HEAD + "evals:\n  evaluated_at: yesterday\n" + INPUTS + BODY,
        "PR060",
        7,
    ),
    Case(
        "evals-dataset-missing",
        HEAD + "evals:\n  dataset: evals/none.jsonl\n" + INPUTS + BODY,
        "PR061",
        7,
    ),
    Case(
        "evals-rubric-missing",
        HEAD
        + "evals:\n  metrics:\n    - {name: g, kind: judge, rubric: partials/no.j2}\n"
        + INPUTS
        + BODY,
        "PR062",
        8,
    ),
    # -- valid files that look suspicious -------------------------------------------------------
    Case(
        "metadata-free-form",
        HEAD
        + "metadata:\n  team: support\n  anything: [1, {deep: true}]\n  on: off\n"
        + INPUTS
        + BODY,
        None,
        0,
    ),
    Case(
        "yaml11-gotchas-stay-strings",
        HEAD
        + "inputs:\n  answer: {type: string, enum: [yes, no, on, off], default: no}\n"
        + "  code: {type: string, enum: [010, 0o17, 1_000], default: 010}\n"
        + "sample: {answer: yes}\n"
        + "---\nuser:\n{{ answer }} {{ code }}\n",
        None,
        0,
    ),
    # output and tools (issue 12 §4), written between the inputs (line 8) and the body
    Case("output-format", HEAD + INPUTS + "output: {format: xml}\n" + BODY, "PR080", 9),
    Case(
        "output-schema",
        HEAD + INPUTS + "output: {schema: {type: object, properties: 3}}\n" + BODY,
        "PR081",
        9,
    ),
    Case(
        "tool-without-name",
        HEAD + INPUTS + "tools: [{type: function, function: {description: d}}]\n" + BODY,
        "PR082",
        9,
    ),
    Case(
        "tool-parameters",
        HEAD
        + INPUTS
        + "tools: [{type: function, function: {name: a, parameters: {type: string}}}]\n"
        + BODY,
        "PR083",
        9,
    ),
    # .prompty files (issue 12 §1)
    Case(
        "prompty-base",
        "---\nversion: 1.0.0\nbase: other.prompty\n"
        "model: {id: gpt-4o-2024-08-06, provider: openai}\n---\nsystem:\nhi\n",
        "PR084",
        3,
        name="corpus/case.prompty",
    ),
    Case(
        "prompty-value-role",
        "---\nversion: 1.0.0\nmodel: {id: gpt-4o-2024-08-06, provider: openai}\n"
        "inputs: [{name: role, kind: string}]\n---\nsystem:\nhi\n{{ role }}:\nx\n",
        "PR085",
        8,
        name="corpus/case.prompty",
    ),
    Case(
        "prompty-twin",
        VALID,
        "PR086",
        1,
        name="corpus/twin.prompt",
        files={"prompts/corpus/twin.prompty": VALID},
        also=frozenset(),
    ),
    # text another tool reads differently (issue 12 §3): warnings
    Case("role-lookalike", with_body("system:\nBe brief.\nUser:\n{{ ticket }}\n"), "PR087", 12),
    Case(
        "input-printed-twice",
        with_body("system:\nThe ticket is {{ticket}}.\nuser:\n{{ ticket }}\n"),
        "PR088",
        13,
    ),
    # a history block of an older `promptreg import` (issue 8 §1): input picks a role
    Case(
        "old-history-block",
        with_body(
            "system:\nS\n"
            '{% for turn in history %}{% if turn.role == "system" %}\nsystem:\n'
            '{% elif turn.role == "user" %}\nuser:\n{% else %}\nassistant:\n{% endif %}'
            "{{ turn.content }}{% endfor %}\nuser:\nq\n",
            "inputs:\n  history: {type: array, default: []}\n",
        ),
        "PR091",
        11,
    ),
    Case(
        "valid-prompty",
        "---\nname: Basic\nversion: 1.0.0\nauthors: [ada]\nmodel:\n  api: chat\n"
        "  configuration: {type: azure_openai, azure_deployment: gpt-4o-2024-08-06}\n"
        "sample: {question: Why?}\n---\nYou answer briefly.\n\nUser:\n{{question}}\n",
        None,
        0,
        name="corpus/case.prompty",
    ),
    # -- other formats --------------------------------------------------------------------------
    Case(
        "dotprompt-handlebars",
        '---\nmodel: googleai/gemini-2.0-flash\n---\n{{role "system"}}Hi {{name}}\n',
        "PR090",
        1,
    ),
    Case(
        "dotprompt-front-matter",
        "---\nmodel: googleai/gemini-2.0-flash\nconfig: {temperature: 1}\n---\nHi\n",
        "PR090",
        1,
    ),
    Case("valid-baseline", VALID, None, 0),
    Case("valid-crlf", VALID.replace("\n", "\r\n"), None, 0),
    Case("valid-bom", "\ufeff" + VALID, None, 0),
]

CASE_IDS = [c.id for c in CASES]

# Codes no corpus case can produce, with the reason.
NOT_REACHABLE: dict[str, str] = {
    # Found by the git hooks, which compare revisions or scan text: tests/test_hooks_*.py.
    "PR070": "promptreg hook version-bump",
    "PR071": "promptreg hook version-bump",
    "PR072": "promptreg hook evals-fresh",
    "PR073": "promptreg hook evals-fresh",
    "PR075": "promptreg hook pre-push",
    "PR076": "the evals gate for an environment: promote, check --against, hook pre-push",
    "PR077": "promptreg hook pre-push (tests/registry/test_deploy_trust.py)",
    "PR078": "promptreg hook pre-push (tests/registry/test_deploy_signing.py)",
}


def _install(ws: Workspace, case: Case) -> Path:
    if case.config is not None:
        ws.write("promptreg.yaml", case.config)
    for relative, text in case.files.items():
        ws.write(relative, text)
    if case.setup is not None:
        case.setup(ws)
    return ws.write(f"prompts/{case.name}", case.text)


def _findings(ws: Workspace, path: Path) -> set[tuple[str, int]]:
    project = Project.open(ws.root)
    report = validate(project, [path.resolve()], jobs=1)
    return {(f.code, f.line) for f in report.findings}


def test_corpus_is_large_and_ids_are_unique() -> None:
    assert len([c for c in CASES if c.code]) >= 35
    assert len(set(CASE_IDS)) == len(CASE_IDS)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_corpus_case(ws: Workspace, case: Case) -> None:
    path = _install(ws, case)
    found = _findings(ws, path)
    expected = {(case.code, case.line)} if case.code else set()
    assert found == expected | case.also


def test_every_rule_is_exercised() -> None:
    exercised = {c.code for c in CASES} | {code for c in CASES for code, _ in c.also}
    missing = set(RULES) - exercised - set(NOT_REACHABLE)
    assert not missing, f"rules with no corpus case: {sorted(missing)}"
    assert not set(NOT_REACHABLE) & exercised
    assert exercised - {None} <= set(RULES)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_corpus_through_cli(ws: Workspace, run: Callable[..., Result], case: Case) -> None:
    path = _install(ws, case)
    shown = os.path.relpath(path, ws.root)
    plain = run("validate", shown)
    assert "Traceback" not in plain.err + plain.out
    assert "internal error" not in plain.err
    fails = case.code is not None and case.code not in WARNING_CODES  # warnings fail nothing
    assert plain.code == (1 if fails else 0)
    for line in plain.out.splitlines():
        assert re.match(rf"{re.escape(shown)}:\d+:\d+: PR\d{{3}} \S", line), line

    result = run("validate", "--json", shown)
    assert "Traceback" not in result.err
    assert "internal error" not in result.err
    assert result.code == (1 if fails else 0)
    data = json.loads(result.out)
    assert data["ok"] is not fails
    codes = {(f["code"], f["line"]) for f in data["findings"]}
    assert codes == ({(case.code, case.line)} if case.code else set()) | case.also
    for f in data["findings"]:
        assert f["rule"] == RULES[f["code"]]
        assert f["path"] == os.path.relpath(path, ws.root)


def test_unreadable_directory_named_like_a_prompt(ws: Workspace) -> None:
    """PR001's other half: a path that cannot be read at all."""
    bogus = ws.prompts / "corpus" / "dir.prompt"
    bogus.mkdir(parents=True)
    report = validate(Project.open(ws.root), [bogus], jobs=1)
    assert [(f.code, f.line) for f in report.findings] == [("PR001", 1)]


def test_plain_text_run_prints_path_line_col(ws: Workspace, run: Callable[..., Result]) -> None:
    case = next(c for c in CASES if c.id == "undeclared-variable")
    path = _install(ws, case)
    result = run("validate", os.path.relpath(path, ws.root))
    assert result.code == 1
    assert result.out.splitlines() == [
        "prompts/corpus/case.prompt:11:1: PR041 template uses `name`, "
        "which is not declared under `inputs`"
    ]
