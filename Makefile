# Two commands do everything on a fresh machine:
#   make demo   materialize examples/quickstart locally (creates .venv on first use)
#   make test   lint, type-check and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/aloft materialize --select '*'
	$(BIN)/aloft asset status

lint: $(STAMP)
	$(BIN)/ruff check sdk tests functions examples benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf .aloft .pytest_cache .mypy_cache .ruff_cache
