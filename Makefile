# One entry point for developers, CI and users. Every target installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
REQ_HASH := $(shell cat requirements.txt requirements-dev.txt lambdas/requirements.txt pyproject.toml | sha1sum | cut -c1-12)
VENV_STAMP := $(VENV)/.installed-$(REQ_HASH)
NPM_STAMP := node_modules/.installed
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(shell sha1sum requirements-checkov.txt | cut -c1-12)
PYTEST_ARGS ?=

export PYTHONPATH := $(CURDIR):$(CURDIR)/lambdas
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export CDK_DISABLE_VERSION_CHECK := 1
# tests/infrastructure/test_security.py runs checkov on the synthesized template from its own venv.
export CHECKOV := $(CURDIR)/$(CHECKOV_VENV)/bin/checkov

.PHONY: dev demo test unit infra-test integration e2e lint format synth deploy diff bootstrap node-check load load-multi bench docs clean spoke-template local
.PHONY: backfill redrive status archive operator-policy

$(VENV_STAMP): requirements.txt requirements-dev.txt lambdas/requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	rm -f $(CHECKOV_VENV)/.installed-*
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# automl-archive lives in the venv, which is not on a user's PATH: `make dev` says how to run it.
DEV_HINT := Ready. The operator command is $(VENV)/bin/automl-archive (try: $(VENV)/bin/automl-archive --help); or run `source $(VENV)/bin/activate` and type automl-archive.

node-check:  ## which Node.js the CDK CLI runs on, and whether the CDK supports it (devtools/node_check.py)
	@$(PYTHON) -m devtools.node_check

dev: node-check $(VENV_STAMP) $(NPM_STAMP)  ## install the venv and the pinned CDK CLI
	@$(if $(filter dev,$(MAKECMDGOALS)),echo '$(DEV_HINT)',true)

demo: dev  ## run the whole system locally against moto (no AWS account needed)
	$(PY) -m devtools.emulator.demo

test: dev lint $(CHECKOV_STAMP)  ## every test tier: unit, infrastructure (with cdk-nag, cfn-lint, checkov), integration, end-to-end
	$(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS) tests

unit: dev
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

infra-test: dev $(CHECKOV_STAMP)
	$(PY) -m pytest tests/infrastructure $(PYTEST_ARGS)

integration: dev
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

e2e: dev
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

lint: dev  ## ruff (lint + format check) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

synth: dev  ## synthesise the CloudFormation template into cdk.out (runs cdk-nag)
	npx cdk synth --quiet

# ---------------------------------------------------------------- AWS deploy (README, "Deploy to AWS")
# The account of your current credentials; REGION=... picks the region, STACK=... the stack name (the
# `stack_name` context key). Each first checks credentials and region (automl_archive_cli/preflight.py).
# deploy asks before IAM or security-group changes that broaden access; APPROVE=yes deploys without asking.
AWS_ENV := $(if $(REGION),AWS_REGION=$(REGION) AWS_DEFAULT_REGION=$(REGION))
STACK_CONTEXT := $(if $(STACK),-c stack_name=$(STACK))
APPROVAL := $(if $(filter yes,$(APPROVE)),never,broadening)
PREFLIGHT = $(AWS_ENV) $(PY) -m automl_archive_cli.preflight $@

bootstrap: dev  ## bootstrap the account and region once for CDK (npx cdk bootstrap)
	$(PREFLIGHT)
	$(AWS_ENV) npx cdk bootstrap $(STACK_CONTEXT) $(CDK_ARGS)

diff: dev  ## what a deploy would change
	$(PREFLIGHT)
	$(AWS_ENV) npx cdk diff $(STACK_CONTEXT) $(CDK_ARGS)

# After the deploy, the first compaction creates the data lake's Iceberg tables the saved queries read
# (docs/data-lake.md); the schedule would run it within the hour. A failure there leaves the deploy done.
deploy: dev  ## deploy (asks before broadening IAM; APPROVE=yes does not); pass CDK_ARGS="-c alert_emails=a@b.c"
	$(PREFLIGHT)
	$(AWS_ENV) npx cdk deploy --require-approval $(APPROVAL) $(STACK_CONTEXT) $(CDK_ARGS)
	$(CLI) compact $(CLI_OPTS) || echo "The first compaction did not complete; it runs every hour (see docs/operations.md#compactor-errors)." >&2

spoke-template: dev  ## synthesize a workload account's spoke (docs/multi-account.md); pass CDK_ARGS="-c spoke_hub_account=... -c spoke_hub_region=... -c spoke_hub_bus_name=... -c spoke_external_id=..."
	rm -f cdk.out/*-spoke.template.json
	npx cdk synth --quiet $(CDK_ARGS) 2>&1 | grep -v "Supply a stack id" || true
	@ls cdk.out/*-spoke.template.json 2>/dev/null || { echo "No spoke: CDK_ARGS must set spoke_hub_account, spoke_hub_region, spoke_hub_bus_name and spoke_external_id" >&2; exit 1; }

docs: dev  ## regenerate docs/schema.md (record schema) and the saved queries in docs/data-lake.md
	$(PY) -m devtools.schema_page
	$(PY) -m devtools.query_page

lock: $(VENV_STAMP)  ## re-resolve lambdas/requirements.txt into lambdas/layer.lock (the layer's closure, arm64, sha256 hashes)
	$(PY) -m infra.layer_lock
.PHONY: lock

local: dev  ## the stack in the local emulator, seeded and kept running for automl-archive (prints the export line; Ctrl-C stops it)
	$(PY) -m devtools.emulator.local $(ARGS)

load: dev  ## 10,000 events for 1,000 jobs through the deployed stack in moto; checks nothing lost or duplicated
	$(PY) -m devtools.bench.load

load-multi: dev  ## the load test across an organisation: 10,000 events from 3 accounts x 2 Regions through the hub and spoke stacks in moto
	$(PY) -m devtools.bench.load_multi

bench: dev
	$(PY) -m devtools.bench

clean:
	rm -rf cdk.out demo-output .pytest_cache .mypy_cache .ruff_cache

# ---------------------------------------------------------------- operator commands (docs/operations-cli.md)
# They act on the stack of your current AWS credentials and region; STACK/REGION override.
CLI := $(VENV)/bin/automl-archive
CLI_OPTS := $(if $(STACK),--stack-name $(STACK)) $(if $(REGION),--region $(REGION))

backfill: dev  ## archive historical jobs: make backfill ARGS="--since 2026-01-01 [--direct] [--dry-run]"
	$(CLI) backfill $(CLI_OPTS) $(ARGS)

redrive: dev  ## drain every dead-letter queue back into the work queue
	$(CLI) redrive $(CLI_OPTS) $(ARGS)

operator-policy: dev  ## print the IAM policy an operator needs for these commands
	$(CLI) operator-policy $(CLI_OPTS) $(ARGS)

status: dev  ## jobs by status, newest archived, queue depths
	$(CLI) status $(CLI_OPTS) $(ARGS)

archive: dev  ## archive one job now and print its record: make archive JOB=<name>
	@test -n "$(JOB)" || { echo "usage: make archive JOB=<automl job name>"; exit 2; }
	$(CLI) archive $(CLI_OPTS) $(ARGS) "$(JOB)"

# ---------------------------------------------------------------- data lake (docs/data-lake.md, docs/schema-evolution.md)
rederive: dev  ## rebuild job records from raw answers: make rederive ARGS="[--prefix raw/automl-jobs/x/] [--dry-run]"
	$(CLI) rederive $(CLI_OPTS) $(ARGS)

query: dev  ## run a named query on Athena: make query NAME=latest_state_per_job [ARGS="--format csv"]
	@test -n "$(NAME)" || { $(CLI) query --list; echo "usage: make query NAME=<query name> [ARGS=...]"; exit 2; }
	$(CLI) query $(CLI_OPTS) $(ARGS) "$(NAME)"
compact: dev  ## run the data-lake compaction now (it runs every hour): merges changed JSON days into the Iceberg tables
	$(CLI) compact $(CLI_OPTS) $(ARGS)
.PHONY: rederive query compact
