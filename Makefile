# Two commands do everything on a fresh machine:
#   make demo   materialize examples/quickstart locally (creates .venv on first use)
#   make test   lint, type-check and run the whole test suite (what CI runs)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
INFRA_STAMP := $(VENV)/.installed-infra

.PHONY: demo test lint typecheck unit bench bench-state bench-ui bench-infra synth clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The CDK app's Python side (aws-cdk-lib, cdk-nag) and the pinned CDK CLI from npm.
$(INFRA_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,infra]'
	touch $(INFRA_STAMP)

infra/node_modules: infra/package.json infra/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix infra --no-audit --no-fund && touch $@; \
	 else echo "Node.js/npm not found: the infra tests will skip"; fi

demo: $(STAMP)
	$(BIN)/aloft materialize --select '*'
	$(BIN)/aloft asset status

lint: $(STAMP)
	$(BIN)/ruff check sdk tests functions examples benchmarks infra

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(INFRA_STAMP) infra/node_modules
	$(BIN)/pytest

test: lint typecheck unit

synth: $(INFRA_STAMP) infra/node_modules
	$(BIN)/aloft synth

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-state: $(STAMP)
	$(BIN)/python benchmarks/bench_state.py

bench-ui: $(STAMP)
	$(BIN)/python benchmarks/bench_ui.py

bench-infra: $(INFRA_STAMP) infra/node_modules
	$(BIN)/python benchmarks/bench_infra.py

clean:
	rm -rf .aloft .pytest_cache .mypy_cache .ruff_cache
