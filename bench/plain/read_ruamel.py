"""Plain alternative: read every prompt and parse its front-matter with ruamel.yaml round-trip."""

from __future__ import annotations

from _common import prompt_texts
from ruamel.yaml import YAML


def main() -> None:
    rt = YAML(typ="rt")
    count = sum(1 for _, front_matter, _ in prompt_texts() if rt.load(front_matter) is not None)
    print(count)


if __name__ == "__main__":
    main()
