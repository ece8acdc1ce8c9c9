# One entry point for humans and CI.  `make run` = install + demo daemon; `make test` = install +
# lint + types + the whole test suite (what .ci/run calls).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run serve test lint types unit bench docs lock

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
