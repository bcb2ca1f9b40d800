# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNTIME_STAMP := $(VENV)/.runtime-installed

.PHONY: install browser demo test lint bench clean synth deploy destroy openapi

$(STAMP): pyproject.toml requirements.txt requirements-dev.txt infra/requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

# The demo needs only the service and its local runtime (no test, lint, CDK or browser tools).
$(RUNTIME_STAMP): pyproject.toml requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[local]'
	@touch $(RUNTIME_STAMP)

# Debian's chromium for the browser tests (tests/browser), installed with apt-get when missing.
browser: $(STAMP)
	@scripts/install-chromium.sh $(VENV)/chromium-install.txt

demo: $(RUNTIME_STAMP)
	$(BIN)/batch-enrich run samples/leads.csv --summary-json samples/leads.summary.json

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Two test processes, each taking whole files (a file's fixtures are set up once) and its own
# half of each port range (tests/served.py); the 25 slowest tests are listed at the end.
test: lint browser
	$(BIN)/pytest -n 2 --dist loadfile --durations=25

# The OpenAPI 3.1 document, from the routes' declarations (a test fails when it is stale).
openapi: $(STAMP)
	$(BIN)/python -c 'import app; from chalicelib.handlers.openapi import render; print(render(), end="")' > docs/openapi.json

# AWS: the CDK app in infra/ (Python libraries in the venv, the CDK CLI from npm: infra/package.json).
STAGE ?= dev
ALARM_EMAIL ?=
RETAIN_DATA ?= false
CDK := cd infra && JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1 npx --no-install cdk
CDK_CONTEXT := -c stage=$(STAGE) -c retain_data=$(RETAIN_DATA)

infra/node_modules/.installed: infra/package.json
	cd infra && npm install --no-audit --no-fund --loglevel=error
	@touch $@

synth: $(STAMP) infra/node_modules/.installed
	$(CDK) synth --quiet $(CDK_CONTEXT)
	@echo "template: infra/cdk.out/batch-enrich-$(STAGE).template.json"

deploy: $(STAMP) infra/node_modules/.installed
	$(CDK) bootstrap $(CDK_CONTEXT)
	$(CDK) deploy $(CDK_CONTEXT) --require-approval never --parameters AlarmEmail=$(ALARM_EMAIL)

destroy: $(STAMP) infra/node_modules/.installed
	$(CDK) destroy $(CDK_CONTEXT) --force

bench: $(STAMP)
	$(BIN)/batch-enrich bench --out bench.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache chalice.out infra/cdk.out infra/node_modules
