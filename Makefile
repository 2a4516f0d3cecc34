SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The slide tools the browser tests put the embed into (package.json pins them).
NODE_STAMP := node_modules/.installed

# Where `make run` serves the development server.
HOST ?= 127.0.0.1
PORT ?= 5000
# Browser binary the Playwright tests launch.
CHROMIUM_PATH ?= /usr/bin/chromium

.PHONY: help catalogues setup system-deps browser-deps node-deps serve-deps postgres-deps run serve test bench lint clean

help:
	@echo "make setup   create .venv, install Python deps, install Graphviz if missing"
	@echo "make run     serve the app on http://\$$HOST:\$$PORT (default $(HOST):$(PORT))"
	@echo "make serve   the production stack (nginx + gunicorn, as in the Dockerfile) on \$$HOST:\$$PORT"
	@echo "make test    set up (Chromium and npm test tools too), then run every test, browser and slow ones included"
	@echo "make bench   print the speed figures (docs/performance.md)"
	@echo "make lint    ruff check"
	@echo "make catalogues  collect the messages to translate into autodiff/locale (docs/i18n.md)"
	@echo "make clean   remove .venv and caches"

setup: $(STAMP) system-deps

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

system-deps:
	@sh scripts/install-system-deps.sh

browser-deps:
	@CHROMIUM_PATH="$(CHROMIUM_PATH)" sh scripts/install-system-deps.sh --browser --test

node-deps: browser-deps $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

serve-deps:
	@sh scripts/install-system-deps.sh --serve

# What the Dockerfile runs: nginx on HOST:PORT in front of gunicorn (scripts/serve.py).
serve: setup serve-deps
	HOST="$(HOST)" PORT="$(PORT)" $(PY) scripts/serve.py

# PostgreSQL for the link store's tests (they start and stop a server of their own).
postgres-deps:
	@sh scripts/install-system-deps.sh --postgres

run: setup
	HOST="$(HOST)" PORT="$(PORT)" $(PY) app.py

test: setup browser-deps node-deps postgres-deps
	CHROMIUM_PATH="$(CHROMIUM_PATH)" $(PY) -m pytest -q

bench: setup
	$(PY) bench/run.py

# Every message a person reads, from the code into the template, then into each language's
# catalogue (new messages arrive untranslated: tests/test_i18n.py names them).
LOCALE := autodiff/locale
catalogues: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k t -k tn:1,2 -k N_ --add-location=file --sort-by-file \
		--no-wrap --omit-header -o $(LOCALE)/messages.pot . >/dev/null
	for lang in it es ru; do \
		if [ -f $(LOCALE)/$$lang/LC_MESSAGES/messages.po ]; then \
			$(VENV)/bin/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -l $$lang \
				--no-wrap --ignore-obsolete --no-fuzzy-matching; \
		else $(VENV)/bin/pybabel init -i $(LOCALE)/messages.pot -d $(LOCALE) -l $$lang --no-wrap; fi; \
	done

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) node_modules .pytest_cache .hypothesis .ruff_cache
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
