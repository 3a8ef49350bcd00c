# account-unlock: the two commands are `make run` and `make test`; both set everything up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
export PYTHONPATH := layers/shared:.

.PHONY: run serve test lint format unit integration validate build schemas bench deploy clean

$(VENV)/.installed: requirements-dev.txt layers/shared/requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

## run: local stack (moto + vendor simulators), sample events end to end, summary
run: $(VENV)/.installed
	$(PY) -m local.run

## serve: keep the local stack up on http://127.0.0.1:3000 for curl (Ctrl-C to stop)
serve: $(VENV)/.installed
	$(PY) -m local.serve

## test: lint, the whole test suite, sam validate --lint and sam build
test: $(VENV)/.installed $(SAM_VENV)/.installed lint
	$(PY) -m pytest -q -p no:cacheprovider
	$(SAM) validate --lint
	$(SAM) build

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

validate: $(SAM_VENV)/.installed
	$(SAM) validate --lint

build: $(SAM_VENV)/.installed
	$(SAM) build

## schemas: regenerate the published JSON Schemas of the bus events from the models
schemas: $(VENV)/.installed
	$(PY) -m local.schemas

## bench: cold-start import time, per-invocation latency and memory, printed as figures
bench: $(VENV)/.installed
	$(PY) -m local.bench

deploy: build
	$(SAM) deploy --guided

clean:
	rm -rf .aws-sam $(VENV) $(SAM_VENV) .pytest_cache .ruff_cache .hypothesis
