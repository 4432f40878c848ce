# The README's two commands are `make run` and `make test`; both bootstrap .venv themselves.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAGE ?= dev

.PHONY: run test lint format unit integration e2e package fuzz bench venv clean

venv:
	@scripts/bootstrap-venv

run: venv
	$(PY) -m infra.local.stack

test: venv lint
	$(PY) -m pytest tests -q -p no:cacheprovider

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

unit: venv
	$(PY) -m pytest tests/unit -q

integration: venv
	$(PY) -m pytest tests/integration -q

e2e: venv
	$(PY) -m pytest tests/e2e -q

package: venv
	@echo "make package: not implemented yet: the deploy issue (chalice package with the merge" >&2
	@echo "template under infra/) builds it. Nothing was packaged." >&2
	@exit 2

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
