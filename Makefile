# Two commands on a fresh machine: `make demo` and `make test`. Each builds .venv first.
# Releases: `make dist` (sdist + wheel, without .venv) and `make bundle` (the MCP Bundle) write to $(DIST).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DIST ?= dist

.PHONY: venv test demo bench lint serve emulator dist bundle clean tools-list mutate

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

# After changing a tool's arguments, description or result model: refresh the shipped tools/list snapshot.
tools-list: $(STAMP)
	$(PY) -c "import anyio; from talking_video_mcp.server import listing; anyio.run(listing.write)"

bench: $(STAMP)
	$(PY) benchmarks/run.py

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks packaging
	$(PY) -m mypy --strict src/talking_video_mcp

# Mutation testing of the guard modules ([tool.mutmut] in pyproject.toml); not part of `make test`.
# Survivors are listed at the end; more than 10% fails.
MUTATE_JOBS ?= 2
mutate: $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,mutate]"
	rm -rf mutants
	$(PY) -m mutmut run --max-children $(MUTATE_JOBS)
	$(PY) .ci/mutation-report

serve: $(STAMP)
	$(PY) -m talking_video_mcp serve

emulator: $(STAMP)
	$(PY) -m talking_video_mcp emulator

# The release needs no development environment (.venv is 1.2 GB; the wheel 1.6 MB): a throwaway venv holds only
# `build`, which makes the sdist and the wheel with the hatchling backend in its own isolated environment.
BUILD_ENV ?= build/dist-env
dist:
	mkdir -p $(DIST)
	rm -f $(DIST)/talking_video_mcp-*.whl $(DIST)/talking_video_mcp-*.tar.gz
	test -x $(BUILD_ENV)/bin/python || $(PYTHON) -m venv $(BUILD_ENV)
	$(BUILD_ENV)/bin/python -m pip install --quiet --disable-pip-version-check build
	$(BUILD_ENV)/bin/python -m build --quiet --outdir $(DIST) .

# The bundle's manifest lists the tools, so it is made with the package installed (.venv).
bundle: dist $(STAMP)
	$(PY) packaging/bundle.py --dist $(DIST)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist mutants
