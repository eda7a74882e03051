"""Findings (one problem in one file, at one line) and the catalogue of stable rule codes.

Rule codes never change meaning once published: tools and CI logs key on them. New checks get
new codes; the README's rule table is generated from `RULES` and a test keeps them in step.
"""

from __future__ import annotations

from typing import Any

from promptreg._record import record

RULES: dict[str, str] = {
    # the file itself
    "PR001": "file cannot be read or is not valid UTF-8",
    "PR002": "file is empty or does not start with a `---` front-matter block",
    "PR003": "front-matter is not closed by a `---` line",
    "PR004": "file (a prompt, or a partial it includes) is larger than `lint.max_file_bytes`",
    "PR005": "prompt name breaks the naming rules",
    "PR006": "symlink under the prompts directory (a prompt file, a partial, or a directory on "
    "the way)",
    "PR007": "a tag of this prompt (release or deployment) would be too long for a git ref",
    # YAML
    "PR010": "front-matter is not valid YAML",
    "PR011": "duplicate key in the front-matter",
    "PR012": "YAML anchors, aliases and merge keys are not allowed",
    "PR013": "front-matter is not a mapping",
    # schema
    "PR020": "unknown key",
    "PR021": "required field missing",
    "PR022": "field has the wrong type",
    "PR023": "field has an invalid value",
    "PR024": "version is not semver",
    "PR025": "input declaration is inconsistent (default, enum, type)",
    # model and budget
    "PR030": "model is not pinned (`latest`)",
    "PR031": "model is an undated alias of a dated model",
    "PR032": "budget missing while `lint.require_budget` is on",
    # template
    "PR040": "template syntax error",
    "PR041": "template uses a variable not declared in `inputs`",
    "PR042": "input declared but never used by the template",
    "PR043": "included template not found",
    "PR044": "include escapes the prompts directory or names a prompt file",
    "PR045": "include cycle",
    "PR046": "include or import target is not a string literal",
    "PR047": "template reaches for a private attribute (sandbox escape)",
    "PR048": "text before the first role marker",
    "PR049": "template contains U+E000, a character promptreg reserves",
    # sample, rendering and tokens
    "PR050": "sample does not render",
    "PR051": "sample breaks the `inputs` declaration",
    "PR052": "a message is empty when the sample is rendered",
    "PR053": "sample is over `budget.max_input_tokens`",
    "PR054": "sample rendering exceeds a limit (`limits:` in promptreg.yaml)",
    "PR055": "template cannot be compiled within limits (nesting, literal size)",
    # evals
    "PR060": "evals block is malformed",
    "PR061": "eval dataset is missing or malformed",
    "PR062": "eval metric's rubric or schema file is missing or invalid",
    # structured output and tools (issue 12)
    "PR080": "`output` block is malformed (format, name, strict, unknown key)",
    "PR081": "`output.schema` is not a valid JSON Schema or Picoschema",
    "PR082": "a tool is malformed (no name, bad name, duplicate, not `type: function`)",
    "PR083": "a tool's `parameters` is not a valid JSON Schema of an object",
    # .prompty files (issue 12)
    "PR084": "a `.prompty` feature promptreg does not carry (base, file references, a role, "
    "input kind or template format it does not send)",
    "PR085": "a `.prompty` line where a value would decide a role (`{{ x }}:`)",
    "PR086": "two files for one prompt name (`x.prompt` and `x.prompty`)",
    # text another tool reads differently (issue 12 §3): warnings
    "PR087": "a line looks like a role marker but is not one (`User:`, `# system:`)",
    "PR088": "an input is printed more than once (a placeholder written for another tool?)",
    # git hooks (`promptreg hook ...`)
    "PR070": "content or inputs changed since the base revision but the version did not",
    "PR071": "version is lower than at the base revision",
    "PR072": "eval scores are missing or stale (other content, dataset or metric files)",
    "PR073": "eval score is below its metric's threshold",
    "PR074": "a secret (API key, token, private key) is in a prompt or partial",
    "PR075": "deployment tag being pushed fails the evals gate",
    "PR076": "environment requires scores from a run of the pinned model",
    "PR077": "tag being pushed is not a deployment or release that counts (`promptreg verify`)",
    "PR078": "deployment tag being pushed lacks a valid signature its environment requires",
    # other formats (`promptreg import`)
    "PR090": "a Dotprompt file (same `.prompt` suffix): convert it with `promptreg import`",
    "PR091": "a history block from an older import sends any role but system and user as "
    "the assistant's: read the list through the filter `chat_history`",
}


# Reported, but they fail nothing: `validate` and the hooks exit 0 on warnings alone.
WARNING_CODES = frozenset({"PR087", "PR088"})


def one_line(text: str) -> str:
    """`text` with every character that is not printable escaped (`\\n`, `\\x00`, `\\u202e`):
    a finding or an error is one line, whatever bytes a file or a value held, and control
    characters (terminal escapes, bidi overrides) never reach the terminal raw."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    if char in "\n\r\t":
        return repr(char)[1:-1]
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


@record(frozen=True, order=True)
class Finding:
    """One problem: `path:line:col: CODE message`. Lines and columns are 1-based. The path and
    message are kept to one printable line (see `one_line`)."""

    path: str
    line: int
    col: int
    code: str
    message: str

    def __post_init__(self) -> None:
        if not (self.message.isprintable() and self.path.isprintable()):
            object.__setattr__(self, "message", one_line(self.message))
            object.__setattr__(self, "path", one_line(self.path))

    @property
    def is_warning(self) -> bool:
        return self.code in WARNING_CODES

    def format(self) -> str:
        warning = "warning: " if self.is_warning else ""
        return f"{self.path}:{self.line}:{self.col}: {self.code} {warning}{self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "rule": RULES[self.code],
            "severity": "warning" if self.is_warning else "error",
            "message": self.message,
        }
