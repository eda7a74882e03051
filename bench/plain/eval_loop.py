"""Plain alternative (eval floor): the same eval as a bare loop, one thread, no cache.

    python eval_loop.py REPO NAME MODULE:FUNCTION

Reads prompts/NAME.prompt (CSafeLoader), compiles its body with jinja2, and for every case of
its dataset renders the body with the case's inputs over the declared defaults, takes the last
message after `user:`, calls the runner, and scores the three metrics as promptreg documents
them (`exact` stripped, `contains`, `similarity`: difflib ratio on case-folded text with
whitespace collapsed). Prints the mean scores.
"""

from __future__ import annotations

import difflib
import importlib
import json
import re
import sys
from pathlib import Path

import jinja2
import yaml

SPACE = re.compile(r"\s+")


def _similar(a: str, b: str) -> float:
    a, b = (SPACE.sub(" ", s).strip().lower() for s in (a, b))
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def main() -> None:
    root, name, reference = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    text = (root / "prompts" / f"{name}.prompt").read_text(encoding="utf-8")
    _, front_matter, body = text.split("---\n", 2)
    meta = yaml.load(front_matter, Loader=yaml.CSafeLoader)
    defaults = {k: v["default"] for k, v in meta["inputs"].items() if "default" in v}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(root / "prompts"))
    template = env.from_string(body)
    sys.path.insert(0, str(root))
    module, function = reference.split(":")
    runner = getattr(importlib.import_module(module), function)
    totals = [0.0, 0.0, 0.0]
    cases = 0
    with (root / meta["evals"]["dataset"]).open(encoding="utf-8") as lines:
        for line in lines:
            case = json.loads(line)
            text = template.render({**defaults, **case["inputs"]})
            messages = [{"role": "user", "content": text.rsplit("\nuser:\n", 1)[-1]}]
            output, expected = runner(messages, None), case["expected"]
            totals[0] += output.strip() == expected.strip()
            totals[1] += expected in output
            totals[2] += _similar(output, expected)
            cases += 1
    print(json.dumps([round(t / cases, 4) for t in totals]))


if __name__ == "__main__":
    main()
