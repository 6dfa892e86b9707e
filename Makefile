# Two commands on a fresh machine: `make run` (the app) and `make test` (the suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export NUMBA_CACHE_DIR := $(CURDIR)/.numba_cache
export MPLBACKEND := Agg

.PHONY: run test lint bench bench-quick browser clean

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

## Start the Streamlit app on the source case (scenarios/seed_case.toml).
run: $(VENV)/.run-installed
	$(BIN)/streamlit run app.py

## Install everything the suite needs (browser included) and run all tests.
test: $(VENV)/.dev-installed browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

## Debian's chromium for the end-to-end test (never a downloaded browser build), and
## LibreOffice + poppler to render the deck in its layout test.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }
	@{ command -v soffice >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; } || { \
	  echo "installing Debian's LibreOffice Impress and poppler for the deck layout test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install \
	    -y -qq libreoffice-impress-nogui poppler-utils >/dev/null; }

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

bench-quick: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/run.py --quick

bench: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .numba_cache .pytest_cache .hypothesis artifacts build *.egg-info
