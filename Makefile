# account-unlock: the two commands are `make run` and `make test`; both set everything up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
CHECKOV_VENV := .venv-checkov
# Offline: no update check against the package index, no policy download from the vendor's platform.
CHECKOV := CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov --skip-download
# The venv finds the project's code itself (a .pth file), so `.venv/bin/python -m local.…` works as printed.
SITE_PATHS := $(CURDIR)/layers/shared\n$(CURDIR)\n

.PHONY: run events serve invoke ops test lint format validate checkov build schemas bench storm deploy clean

# Rebuilt when this Makefile changes, so an existing venv gets every step added here (the .pth file).
$(VENV)/.installed: requirements-dev.txt layers/shared/requirements.txt Makefile
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_path("purelib"), "account-unlock.pth").write_text("$(SITE_PATHS)")'
	touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

## run: local stack (moto + vendor simulators), sample events end to end, one checked line per step [V=1: full trace]
run: $(VENV)/.installed
	$(PY) -m local.run $(if $(V),--verbose)

## events: rewrite events/ (the senders' signed API Gateway events, for make invoke) from local/events_writer.py
events: $(VENV)/.installed
	$(PY) -m local.events_writer

## serve: keep the local stack up for curl on http://127.0.0.1:3000 (Ctrl-C to stop) [PORT=3001] [SECRETS=dir]
serve: $(VENV)/.installed
	$(PY) -m local.serve $(if $(PORT),--port $(PORT)) $(if $(SECRETS),--secrets $(SECRETS))

## invoke: one event through one function, like sam local invoke without Docker [SECRETS=dir]
##   make invoke FUNCTION=UnlockFunction EVENT=events/eventbridge-unlock-requested.json
invoke: $(VENV)/.installed
	$(PY) -m local.invoke --function '$(FUNCTION)' --event '$(EVENT)' $(if $(SECRETS),--secrets $(SECRETS))

## ops: operator commands (status, redrive, replay, export) against a deployed stack or make serve's AWS
##   make ops ARGS='redrive --dry-run --stack account-unlock'   (.venv/bin/python -m ops --help lists them)
ops: $(VENV)/.installed
	$(PY) -m ops $(ARGS)

## test: lint, the whole test suite, sam validate --lint, checkov and sam build
test: $(VENV)/.installed $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed lint
	$(PY) -m pytest -q -p no:cacheprovider
	$(SAM) validate --lint
	$(MAKE) --no-print-directory checkov
	$(SAM) build

## lint: ruff (lint + format), mypy on the layer, the handlers and ops, the import contracts of pyproject.toml
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy -p account_unlock
	$(VENV)/bin/mypy -p ops
	for handler in functions/*/app.py; do $(VENV)/bin/mypy "$$handler" || exit 1; done
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

validate: $(SAM_VENV)/.installed
	$(SAM) validate --lint

## checkov: security checks of template.yaml, offline; every skip carries its reason in the template
checkov: $(CHECKOV_VENV)/.installed
	$(CHECKOV) --file template.yaml --framework cloudformation --compact --quiet

build: $(SAM_VENV)/.installed
	$(SAM) build

## schemas: regenerate the published JSON Schemas of the bus events from the models
schemas: $(VENV)/.installed
	$(PY) -m local.schemas

## bench: cold start (with and without bytecode) and warm CPU against their budgets and the Powertools baseline, calls per unlock, throughput, memory, artifacts
bench: $(VENV)/.installed
	$(PY) -m local.bench

## storm: 1,000 unlock requests at once through the local stack with duplicates and faults; figures, exit 1 on a lost request or a double write
storm: $(VENV)/.installed
	$(PY) -m local.storm

deploy: build
	$(SAM) deploy --guided

clean:
	rm -rf .aws-sam $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .pytest_cache .ruff_cache .hypothesis
