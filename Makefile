# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp

.PHONY: run test lint install test-tools bench

run: $(STAMP)
	$(BIN)/unique serve

test: $(STAMP) test-tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# From Debian: Chromium for the Console's browser tests (Playwright cannot download browsers
# here) and wrk for the load in the cluster tests.
test-tools:
	@command -v chromium >/dev/null && command -v wrk >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core wrk >/dev/null; }

# Load benchmarks (not part of the tests): writes bench/RESULTS.md and bench/results.png.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)
