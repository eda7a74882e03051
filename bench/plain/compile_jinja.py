"""Plain alternative (compile floor): read every prompt, parse + compile its body with jinja2."""

from __future__ import annotations

import sys
from pathlib import Path

import jinja2
from _common import prompt_texts


def main() -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(sys.argv[1]) / "prompts"))
    count = sum(1 for _, _, body in prompt_texts() if env.from_string(body) is not None)
    print(count)


if __name__ == "__main__":
    main()
