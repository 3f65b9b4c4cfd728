# Two commands on a fresh machine: `make demo` and `make test`. Each creates .venv from PyPI.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_IN := examples/clinic-week.837
DEMO_OUT := build/clinic-week.fixed.837

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# Exit 1 means "written, with items for a person to review": that is the demo's point, not a failure.
demo: $(VENV)/.installed
	@mkdir -p build
	@$(BIN)/edi-fix $(DEMO_IN) $(DEMO_OUT) --diff --hold review --report build/clinic-week.report.html; \
	  status=$$?; [ $$status -le 1 ] || exit $$status
	@held=$$(ls -t $(DEMO_OUT).held*.837 2>/dev/null | head -n 1); \
	  echo "change log: $(DEMO_OUT).changes.jsonl; held claims: $${held:-none}; report: build/clinic-week.report.html"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check edi837 tests bench examples
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q -n auto

bench: $(VENV)/.installed
	$(BIN)/python bench/bench.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache .hypothesis
