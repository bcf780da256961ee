# Two commands on a fresh machine: `make demo` and `make test`. Each builds .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: venv test demo bench lint serve emulator clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

demo: $(STAMP)
	$(PY) -m talking_video_mcp demo

bench: $(STAMP)
	$(PY) benchmarks/run.py

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m mypy --strict src/talking_video_mcp

serve: $(STAMP)
	$(PY) -m talking_video_mcp serve

emulator: $(STAMP)
	$(PY) -m talking_video_mcp emulator

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
