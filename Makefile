# Quick start: `make demo` and `make test` work on a fresh machine with Python 3.11 and git.
# Each creates (or reuses) .venv and installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench mutation dist clean screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# Before 0.2 the distribution was named `promptreg` (a name PyPI gives another project):
	@# drop such an install from an older .venv first (uninstalling it after would remove the
	@# `promptreg` command both install).
	$(BIN)/python -m pip uninstall --quiet --yes promptreg 2>/dev/null || true
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@PATH="$(CURDIR)/$(BIN):$$PATH" sh scripts/demo.sh

# The README's pictures of the registry site (docs/img/site-*.png), taken in Debian's headless
# chromium (`apt-get install chromium`) from a scratch registry built of this repo's prompts/.
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck unit

# Writes the measured table into bench/RESULTS.md as well as printing it.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run.py --write

# Mutation testing (mutmut) of the modules that carry promptreg's promises; not part of `test`.
# Every module by default (the whole run's time is in mutation/RESULTS.md);
# `make mutation MODULES=promptreg/template/tokens.py` runs some. Writes the score and the
# surviving mutants into mutation/RESULTS.md (other modules keep their previous results).
MODULES ?=
# Modules run side by side (default: one per core); JOBS=1 on a machine shared with others.
# RESUME=1 goes on from each module's last run (its survivors against today's tests).
# CHECK=1 runs the mutants explained as equivalent too and names those a test kills.
JOBS ?=
RESUME ?=
CHECK ?=
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,mutation]'
	$(BIN)/python mutation/run.py --write $(if $(JOBS),--jobs $(JOBS)) $(if $(RESUME),--resume) \
		$(if $(CHECK),--check-explained) $(MODULES)

# The sdist and wheel, as `pip install git-promptreg` would get them, into dist/
# (tests/test_packaging.py builds them too and checks what they hold).
dist: $(STAMP)
	$(BIN)/python -m build --outdir dist .

clean:
	rm -rf $(VENV) bench/.work mutation/.work .pytest_cache .mypy_cache .ruff_cache dist build
