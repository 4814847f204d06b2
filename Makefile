# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp

.PHONY: run test lint install test-tools bench

run: $(STAMP)
	$(BIN)/unique serve

# Tests run in parallel, in PYTEST_WORKERS processes; PYTEST_WORKERS=0 runs them in this one.
# The default is twice the 2 cores of the machines we run on: many tests spend their time waiting
# for servers they started, and more workers than cores fill those waits.
test: $(STAMP) test-tools
	$(BIN)/python -m pytest -n $(or $(PYTEST_WORKERS),4) $(PYTEST_ARGS)

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
	$(BIN)/mypy

install: $(STAMP)

# The SDK and client CLI (unique-client, in clients/python) are not on PyPI: one pip command
# installs them from the checkout together with the server, which depends on them.
$(STAMP): pyproject.toml clients/python/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e './clients/python[cli]' -e '.[dev]'
	touch $(STAMP)
