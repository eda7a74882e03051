"""`make screenshots`: regenerate the README's pictures of the registry site (docs/img/).

Builds a scratch registry from this repository's own prompts/ (three evaluated versions of
support/triage promoted through dev, staging and prod, a rollback, summarize/article in dev
and staging), generates its site with `promptreg site`, and photographs each page kind in
Debian's headless chromium, driven by Playwright (which downloads no browser).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"
PROMPTREG = [sys.executable, "-m", "promptreg"]
CASES = [
    ("My invoice for March is wrong: I was charged twice.", "billing"),
    ("The app crashes when I open settings.", "bug"),
    ("I cannot reset my password.", "account"),
    ("Do you ship to Norway?", "other"),
    ("Refund the duplicate charge please.", "billing"),
]
# The canned model: better once the prompt asks for exactly one label.
MODEL = """\
def answer(messages, model):
    system, ticket = messages[0]["content"], messages[-1]["content"].lower()
    strict = "exactly one label" in system
    if "Answer only with" in system and "crash" in ticket:
        return "crash"
    for word, label in (("invoice", "billing"), ("charge", "billing"), ("crash", "bug"),
                        ("password", "account")):
        if word in ticket:
            return label if strict or word != "charge" else "refund"
    return "other" if strict else "shipping"
"""
EVALS = """evals:
  dataset: evals/triage.jsonl
  metrics:
    - {name: accuracy, kind: exact, threshold: 0.5}
"""
PAGES = {
    "site-catalog.png": ("index.html", 560),
    "site-prompt.png": ("prompts/support/triage.html", 1900),
    "site-environments.png": ("environments.html", 420),
    "site-audit.png": ("audit.html", 560),
}


def sh(repo: Path, *args: str) -> None:
    subprocess.run(args, cwd=repo, check=True, stdout=subprocess.DEVNULL)  # (stderr shown)


def build(repo: Path) -> None:
    shutil.copytree(ROOT / "prompts", repo / "prompts")
    shutil.copy(ROOT / "promptreg.yaml", repo)
    (repo / "demo_model.py").write_text(MODEL)
    (repo / "evals").mkdir()
    lines = [
        json.dumps({"id": f"t{i}", "inputs": {"ticket": t}, "expected": label})
        for i, (t, label) in enumerate(CASES)
    ]
    (repo / "evals" / "triage.jsonl").write_text("\n".join(lines) + "\n")
    triage = repo / "prompts" / "support" / "triage.prompt"
    text = triage.read_text()
    triage.write_text(text.replace("sample:", EVALS + "sample:", 1))
    sh(repo, "git", "init", "-q", "-b", "main")
    steps = [
        ("1.4.0", None, ("dev", "staging", "prod")),
        ("1.5.0", ("one label:", "exactly one label:"), ("dev", "staging", "prod")),
        ("1.5.1", ("Answer with", "Answer only with"), ("dev", "staging")),
    ]
    for version, change, envs in steps:
        text = triage.read_text()
        text = text.replace("version: 1.4.0", f"version: {version}").replace(
            "version: 1.5.0", f"version: {version}"
        )
        if change:
            text = text.replace(*change)
        triage.write_text(text)
        runner = "python:demo_model:answer"
        sh(repo, *PROMPTREG, "eval", "support/triage", "--runner", runner, "--write")
        sh(repo, "git", "add", "-A")
        sh(repo, "git", "commit", "-q", "-m", f"triage {version}")
        force = (
            ["--force", "--reason", "crash labels checked by hand"] if version == "1.5.1" else []
        )
        for env in envs:
            sh(repo, *PROMPTREG, "promote", "support/triage", "--to", env, *force)
    for env in ("dev", "staging"):
        sh(repo, *PROMPTREG, "promote", "summarize/article", "--to", env)
    reason = "1.5.0 mislabels refunds"
    sh(repo, *PROMPTREG, "rollback", "support/triage", "--env", "prod", "--reason", reason)


def main() -> int:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("screenshots: no chromium on PATH (apt-get install chromium)", file=sys.stderr)
        return 1
    env = {
        "GIT_AUTHOR_NAME": "Ada Lovelace",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada Lovelace",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
    }
    os.environ.update(env)
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "registry"
        repo.mkdir()
        build(repo)
        site = Path(tmp) / "site"
        sh(repo, *PROMPTREG, "site", "-o", str(site))
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"]
            )
            for name, (page_path, height) in PAGES.items():
                page = browser.new_page(viewport={"width": 1280, "height": height})
                page.goto((site / page_path).as_uri())
                page.screenshot(path=str(OUT / name))
                page.close()
                print(f"wrote {OUT / name}")
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
