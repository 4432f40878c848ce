# The README's two commands are `make run` and `make test`; both bootstrap .venv themselves.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAGE ?= dev

.PHONY: run test lint format unit integration e2e package deploy fuzz bench venv browser messages clean

venv:
	@scripts/bootstrap-venv

# Chromium and axe-core (package-lock.json) for the browser tests; quiet when both are there.
browser:
	@scripts/bootstrap-browser

run: venv
	$(PY) -m infra.local.stack --admin-env-file .local-stack.env

test: venv browser lint
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

e2e: venv browser
	$(PY) -m pytest tests/e2e -q

# The long fuzz run: every hypothesis property and the schemathesis run with the "fuzz"
# profile (tests/hypothesis_profiles.py), plus the tests marked fuzz_only. About 15 minutes;
# `make test` runs the same properties briefly.
fuzz: venv
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest tests -q -p no:cacheprovider \
		-m "hypothesis or fuzz or fuzz_only" --timeout=900 --durations=15

# The benchmarks (bench/): one table on stdout and docs/benchmarks.md, under 10 minutes on
# 2 cores, loopback only. BENCH_LOAD_SECONDS (default 60) and BENCH_USERS (8) size the load.
bench: venv
	$(PY) -m bench

# Writes build/$(STAGE)/sam.json and deployment.zip; no AWS credentials needed (docs/deploy.md).
package: venv
	$(PY) -m infra.package --stage $(STAGE)

# Needs the AWS CLI, credentials for the target account and DEPLOY_BUCKET (an S3 bucket
# for the code package). ALARM_EMAIL optionally subscribes an address to the alarms.
deploy: package
	@command -v aws >/dev/null || { echo "make deploy: the AWS CLI (aws) is not installed" >&2; exit 2; }
	@test -n "$(DEPLOY_BUCKET)" || { echo "make deploy: set DEPLOY_BUCKET=<s3 bucket for code packages>" >&2; exit 2; }
	@aws sts get-caller-identity >/dev/null || { echo "make deploy: no usable AWS credentials" >&2; exit 2; }
	aws cloudformation package --template-file build/$(STAGE)/sam.json \
		--s3-bucket $(DEPLOY_BUCKET) --s3-prefix stadsnatsfabriken/$(STAGE) \
		--output-template-file build/$(STAGE)/packaged.yaml
	aws cloudformation deploy --template-file build/$(STAGE)/packaged.yaml \
		--stack-name stadsnatsfabriken-$(STAGE) \
		--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
		--parameter-overrides Stage=$(STAGE) AlarmEmail=$(ALARM_EMAIL) \
		--no-fail-on-empty-changeset

# The customer web's texts (gettext, Babel; babel.cfg says where they are): extract the
# message ids into messages.pot, merge them into the sv and en catalogs, compile the .mo
# files. New ids arrive untranslated: translate them in both .po files (the catalog test in
# tests/unit/test_web_texts.py fails until every id has both). .mo files are not committed.
LOCALE := chalicelib/web/locale
PYBABEL := $(VENV)/bin/pybabel
messages: venv
	$(PYBABEL) -q extract -F babel.cfg -o $(LOCALE)/messages.pot --add-comments=Translators: \
		--sort-by-file --add-location=file --project=stadsnatsfabriken \
		--header-comment="# Message ids of the customer web's texts (make messages)." .
	$(PYBABEL) update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
	$(PYBABEL) compile -d $(LOCALE) -D messages --statistics

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
