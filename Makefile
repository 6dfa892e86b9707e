# Two commands on a fresh machine: `make run` (the app) and `make test` (the suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export NUMBA_CACHE_DIR := $(CURDIR)/.numba_cache
export MPLBACKEND := Agg

.PHONY: run serve test lint bench bench-quick browser clean

$(VENV)/.run-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.run-installed $@

## Start the Streamlit app on the source case, on this machine only (127.0.0.1:8501).
## Compiles the simulation kernels first, so nobody waits for numba in the browser.
run: $(VENV)/.run-installed
	$(BIN)/python -m simulator.warm
	$(BIN)/streamlit run app.py

## Shared deployment: refuses to start unless sign-in is configured (docs/app.md).
HOST ?= 0.0.0.0
PORT ?= 8501
serve: $(VENV)/.run-installed
	$(BIN)/python -m simulator.serve --address $(HOST) --port $(PORT)

## Install everything the suite needs (browser included) and run all tests.
test: $(VENV)/.dev-installed browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

## Debian's chromium for the end-to-end test (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

bench-quick: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/run.py --quick

bench: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .numba_cache .pytest_cache .hypothesis artifacts build *.egg-info
