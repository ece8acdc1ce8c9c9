# One entry point for humans and CI.  `make run` = install + demo daemon; `make test` = install +
# lint + types + the whole test suite (what .ci/run calls).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run serve test lint types unit bench docs lock browser-deps

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/anibridge-like serve --demo

serve: install
	$(BIN)/anibridge-like serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -n 2 -q

test: lint types unit

lock: install
	$(BIN)/python scripts/lock_requirements.py

docs: install
	$(BIN)/python -m anibridge_like.docs --write README.md

bench: install
	for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# The web UI's browser tests: Debian's chromium (never a downloaded browser) and axe-core's
# axe.min.js from npm into .cache/axe. Idempotent and quiet; needs root for apt-get.
AXE := .cache/axe/node_modules/axe-core/axe.min.js
browser-deps:
	@command -v chromium >/dev/null || { apt-get update -qq >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@test -f $(AXE) || { mkdir -p .cache/axe && \
		npm install --silent --no-audit --no-fund --prefix .cache/axe axe-core@4 >/dev/null; }
