"""Plain alternative (the floor): read every prompt, parse front-matter with PyYAML CSafeLoader."""

from __future__ import annotations

import yaml
from _common import prompt_texts


def main() -> None:
    loader = yaml.CSafeLoader
    count = sum(1 for _, fm, _ in prompt_texts() if yaml.load(fm, Loader=loader) is not None)
    print(count)


if __name__ == "__main__":
    main()
