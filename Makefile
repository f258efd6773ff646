# Inkseal: `make run` serves the platform with demo data, `make test` runs the whole suite.
SHELL := /bin/bash
PY := .venv/bin/python
UV := .venv/bin/uv

.PHONY: run test install install-test lint test-sqlite test-postgres bench clean

run: install
	./scripts/run.sh

install: .venv/.installed node_modules/.installed inkseal/locale/en/LC_MESSAGES/django.mo
	./scripts/system-packages.sh run
	$(PY) -m compileall -q inkseal  # bytecode, as pip would: a command starts in a third of the time
	$(PY) -m inkseal.cli collectstatic --noinput -v0

.venv/.installed: requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip >/dev/null
	$(PY) -m pip install -q --disable-pip-version-check uv
	$(UV) pip install -q --python $(PY) --compile-bytecode -r requirements.lock
	$(UV) pip install -q --python $(PY) --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

inkseal/locale/en/LC_MESSAGES/django.mo: inkseal/locale/en/LC_MESSAGES/django.po
	./scripts/system-packages.sh run
	cd inkseal && ../$(PY) -m inkseal.cli compilemessages -v0

install-test: install
	./scripts/system-packages.sh test

lint: install-test
	.venv/bin/ruff check .
	.venv/bin/mypy inkseal
	.venv/bin/lint-imports  # the layer contracts of .importlinter
	$(PY) -m inkseal.cli makemigrations --check --dry-run -v0
	$(PY) -m inkseal.cli states --check

test-sqlite: install-test
	env -u DATABASE_URL .venv/bin/pytest -q -p no:cacheprovider

test-postgres: install-test
	# the topology tests start their own PostgreSQL: they ran in test-sqlite
	./scripts/with-postgres.sh .venv/bin/pytest -q -p no:cacheprovider -m "not e2e and not topology"

test: lint test-sqlite test-postgres

bench: install
	for b in bench/*_bench.py; do echo "== $$b"; $(PY) $$b; done

clean:
	rm -rf .venv node_modules staticfiles
