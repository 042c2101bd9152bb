# Essaim — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck check-migrations pytest browser browser-deps lighthouse install install-dev messages clean worker

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Essaim needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Set up and start Essaim with demo data on the embedded SQLite database.
run: install
	$(PY) manage.py migrate --noinput
	ESSAIM_SITE_URL=$${ESSAIM_SITE_URL:-http://$(HOST):$(PORT)} $(PY) manage.py demo
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

## Run the full test suite (lint, types, migrations, tests; PostgreSQL when DATABASE_URL is set).
test: install-dev lint typecheck check-migrations pytest

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck:
	$(VENV)/bin/mypy essaim config

check-migrations:
	$(PY) manage.py makemigrations --check --dry-run

# Two xdist workers, each with its own live server and Chromium for the browser tests.
# Extra arguments: make pytest PYTEST_ARGS='-k directory'.
PYTEST_ARGS ?=
pytest:
	$(PY) -m pytest -n 2 -p no:cacheprovider $(PYTEST_ARGS)

## Browser tests only (Debian's chromium at /usr/bin/chromium, axe-core from `npm ci`).
browser: install-dev browser-deps
	$(PY) -m pytest -n 2 -p no:cacheprovider -m browser $(PYTEST_ARGS)

# npm ci installs axe-core (browser tests), vnu-jar (HTML validity test) and lighthouse.
browser-deps: node_modules/.installed

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## Lighthouse on the public site (home, blog index, an article, a story; mobile preset, about
## 1.5 minutes): prints the four scores per page, fails under 100 (SEO, accessibility, best
## practices) or 95 (performance). Results in bench/results/lighthouse-<date>.json.
lighthouse: install-dev browser-deps
	$(PY) bench/lighthouse.py $(LIGHTHOUSE_ARGS)

## Refresh the English catalogue (the msgids are French, so there is no French one), then compile it.
messages:
	$(PY) manage.py makemessages -l en --no-location --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'bench/*' --ignore 'tests/*' --ignore 'var/*'
	$(PY) manage.py compilemessages -l en --ignore '.venv/*' --ignore 'node_modules/*'

worker: install
	$(PY) manage.py db_worker

clean:
	rm -rf $(VENV) var/essaim.sqlite3* staticfiles
