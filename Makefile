# scrm — the two commands a new user needs are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help install run test bench bench-report lint format stop messages

help:
	@echo "make run    install everything, start PostgreSQL, Redis, web, worker and beat with demo data"
	@echo "make test   run the whole test suite against real PostgreSQL and Redis"
	@echo "make bench  measure the scale targets (BENCH_CUSTOMERS, default 1000000; or BENCH_SIZES=1000000,10000000)"
	@echo "make bench-report  regenerate the figures table of docs/benchmark.md from the newest bench results"
	@echo "make lint   ruff, import boundaries, mypy and a missing-migration check"
	@echo "make stop   stop the embedded PostgreSQL and Redis"

$(STAMP): requirements/base.txt requirements/dev.txt package-lock.json
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	$(PY) scripts/fetch_frontend.py
	touch $(STAMP)

# Translations compile in a moment, so they are rebuilt on every install.
install: $(STAMP)
	$(PY) scripts/compile_messages.py

run: install
	bash scripts/run.sh

test: install
	bash scripts/ensure_chromium.sh
	$(PY) -m pytest $(PYTEST_ARGS)

# Scale checks against DESIGN.md §6 targets; BENCH_CUSTOMERS (default 1,000,000) sets the size.
bench: install
	$(PY) bench/run.py

bench-report:
	$(PY) bench/report.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: install
	$(PY) scripts/compile_messages.py

stop:
	$(PY) -m scrm.embedded down
