# Two commands on a fresh machine: `make run` (the app) and `make test` (the suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export MPLBACKEND := Agg
# `make run` and `make serve` leave NUMBA_CACHE_DIR alone: the package then uses the per-user
# kernel cache that a bare `rollout-sim` or the Python API also use (simulator/kernel_cache.py),
# so kernels compiled for the app are not compiled again for the CLI. The suite and the
# benchmarks keep their own cache inside the repository's ignored files.
test bench bench-quick: export NUMBA_CACHE_DIR := $(CURDIR)/.numba_cache

.PHONY: run serve test lint lock bench bench-quick browser clean

# Installs take the exact versions of the lock files, then the package itself; that second
# step also adds a dependency that pyproject.toml gained after the last `make lock`.
$(VENV)/.run-installed: pyproject.toml requirements/run.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/run.lock
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.run-installed $@

LOCK_TOOLS := $(VENV)/.lock-tools
LOCK := $(LOCK_TOOLS)/bin/uv pip compile pyproject.toml --universal --quiet \
	--custom-compile-command "make lock"

## Re-pin requirements/*.lock from pyproject.toml (after adding or changing a dependency).
lock:
	test -x $(LOCK_TOOLS)/bin/uv || { $(PYTHON) -m venv $(LOCK_TOOLS) && \
	  $(LOCK_TOOLS)/bin/python -m pip install --quiet uv; }
	$(LOCK) -o requirements/run.lock
	$(LOCK) --extra dev -o requirements/dev.lock

## Start the Streamlit app on the source case, on this machine only (127.0.0.1:8501).
## Compiles the simulation kernels first, so nobody waits for numba in the browser; the
## server process loads them and computes the default view before it listens.
run: $(VENV)/.run-installed
	$(BIN)/python -m simulator.warm
	$(BIN)/python -m simulator.warm --serve streamlit run app.py

## Shared deployment: refuses to start unless sign-in is configured (docs/app.md).
HOST ?= 0.0.0.0
PORT ?= 8501
serve: $(VENV)/.run-installed
	$(BIN)/python -m simulator.serve --address $(HOST) --port $(PORT)

## Install everything the suite needs (browser included) and run all tests.
## The kernels are compiled once into the cache before the two workers start (each would
## otherwise compile them itself); --dist loadfile keeps a module's shared fixtures (lever,
## gap, value-of-information runs) on one worker. The bounds-checked run stays serial.
PYTEST_WORKERS ?= 2
test: $(VENV)/.dev-installed browser
	$(BIN)/ruff check .
	$(BIN)/python -m simulator.warm
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile --durations=15
	NUMBA_BOUNDSCHECK=1 NUMBA_CACHE_DIR=$(CURDIR)/.numba_cache_boundscheck $(BIN)/python -m pytest -q \
	  tests/test_bands.py tests/test_bands_guard.py tests/test_engine_parity.py tests/test_reproducibility.py \
	  tests/test_human_review.py tests/test_bands_stream.py tests/test_inversion.py \
	  tests/test_lane_draws.py tests/test_gates_engine.py

## Debian's chromium for the end-to-end test (never a downloaded browser build), and
## LibreOffice + poppler to render the deck in its layout test.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }
	@{ command -v soffice >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 && \
	   ls /usr/lib/libreoffice/program/libsclo.so >/dev/null 2>&1; } || { \
	  echo "installing Debian's LibreOffice Impress and Calc and poppler for the deck layout"; \
	  echo "and workbook formula tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install \
	    -y -qq libreoffice-impress-nogui libreoffice-calc-nogui poppler-utils >/dev/null; }

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

bench-quick: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/run.py --quick

bench: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .numba_cache .numba_cache_boundscheck .pytest_cache .hypothesis artifacts build *.egg-info
