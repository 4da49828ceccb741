# One command for the main job (`make demo`) and one for the tests (`make test`).
# Both create .venv and install what they need on first use.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed
AXE_VERSION := 4.14.1

.PHONY: demo test test-fast lint bench clean

# What `make demo` needs: the package and its runtime dependencies, nothing else
# (no torch, no test or lint tools; README, "Two commands", has its size and time).
$(RUNTIME): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $(RUNTIME)

# What the tests, lint and benchmarks need on top: every extra and the developer tools.
$(STAMP): $(RUNTIME)
	# Exactly this torch: the only version with a CPU-only build on our machines.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	# OCR: its wheel names the desktop OpenCV; the dev extra brought the headless one.
	$(PY) -m pip install -q --no-deps rapidocr-onnxruntime==1.4.4
	# axe-core, which the browser tests run on the page (tests/web/test_accessibility.py).
	npm install -s --prefix $(VENV)/axe --no-save --no-audit --no-fund axe-core@$(AXE_VERSION)
	touch $(STAMP)

demo: $(RUNTIME)
	$(VENV)/bin/imgsearch demo --dir .demo

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

# Indexing, search, CLI, HTTP and store-contract tests on the fake encoder: no torch is
# imported (checked), nothing slow (real servers, fuzzing, big images, model quality).
test-fast: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -m "not model and not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy src

bench: $(STAMP)
	$(PY) bench/embed.py
	$(PY) bench/index.py
	$(PY) bench/search.py
	$(PY) bench/http.py
	$(PY) bench/pgvector.py
	$(PY) bench/ui.py
	$(PY) bench/labels.py
	$(PY) bench/regions.py

clean:
	rm -rf $(VENV) .demo .bench
