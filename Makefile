# Developer entry points for tdkt-bot. Everything runs from the project's .venv, which is
# (re)created and installed on demand whenever pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKAGES := bot handlers scheduler storage
# mypy refuses a directory without Python files (e.g. a package not written yet).
MYPY_TARGETS := $(foreach p,$(PACKAGES),$(if $(wildcard $(p)/*.py $(p)/*/*.py),$(p)))
VERSIONS := storage/migrations/versions
# Throw-away SQLite database that autogenerate compares the models against.
MIGRATION_DB := $(abspath $(VENV)/autogenerate.db)
MIGRATION_URL := sqlite+aiosqlite:///$(MIGRATION_DB)
# Tests run on every core (pytest-xdist); PYTEST_ARGS="-n0 -x tests/..." runs them in one process.
PYTEST_ARGS ?= -n auto
BENCH_ARGS ?=
BROADCAST_ARGS ?=
STATUS_ARGS ?=
EXPORTS_ARGS ?=
MESSAGES_ARGS ?=

.PHONY: help venv system-deps run lint test test-sqlite test-postgres migration initial-migration bench \
	clean distclean

help:
	@echo 'make run                  start the bot (console as noivu without a Telegram token)'
	@echo 'make test                 ruff, mypy, import-linter, then pytest on SQLite'
	@echo '                          (and on PostgreSQL too when TEST_DATABASE_URL is set)'
	@echo 'make lint                 ruff, mypy, import-linter only'
	@echo 'make system-deps          LibreOffice, poppler, fonts and Chromium for the tests (apt)'
	@echo 'make migration MSG="..."  autogenerate the next numbered revision from the models'
	@echo 'make initial-migration    regenerate 0001_initial.py (only while it is the only one)'
	@echo 'make bench                time one message through the core (BENCH_ARGS="--n 200"),'
	@echo '                          a 1 000-recipient broadcast (BROADCAST_ARGS="--pg-url URL"),'
	@echo '                          status over 10 000 units (STATUS_ARGS="--runs 15 --no-pg"),'
	@echo '                          a 10 000-row Excel list (SHEETS_ARGS="--no-db")'
	@echo '                          exports at 1k/10k units (EXPORTS_ARGS="--nominations 50000")'
	@echo '                          tdkt run vs a PTB echo bot, 200 users; start-up; CLI times'
	@echo '                          (MESSAGES_ARGS="--rounds 4 --no-pg")'
	@echo 'make clean / distclean    remove caches / also the virtualenv'

# The editable install leaves our own modules uncompiled: compileall writes their .pyc now, so
# that the first `tdkt` of a fresh clone does not pay for it (nor every run of a read-only one).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -e '.[dev]'
	$(BIN)/python -m compileall -q $(PACKAGES)
	touch $@

venv: $(STAMP)

# What the tests need from Debian: LibreOffice renders the Word exports (Calc re-saves the Excel
# templates), poppler reads the PDFs, Liberation Serif stands in for Times New Roman with the same
# metrics, and headless Chromium with its chromedriver drives the web companion's pages
# (tests/bot/web/test_browser.py). pg_dump copies a migrated schema into each PostgreSQL test's
# schema (tests/pg_templates.py).
SYSTEM_TOOLS := soffice pdftotext pdftoppm tesseract chromium chromedriver pg_dump
SYSTEM_PACKAGES := libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils fonts-liberation \
	fonts-liberation2 chromium chromium-driver tesseract-ocr tesseract-ocr-vie postgresql-client

system-deps:
	@missing=$$(for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null || echo $$t; done); \
	fc-list : family 2>/dev/null | grep -q 'Liberation Serif' || missing="$$missing fonts"; \
	ls /usr/lib/libreoffice/program/libsclo.so >/dev/null 2>&1 || missing="$$missing calc"; \
	tesseract --list-langs 2>/dev/null | grep -qx vie || missing="$$missing tesseract-vie"; \
	if [ -n "$$missing" ]; then \
		echo "installing $(SYSTEM_PACKAGES) (missing: $$missing)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
			$(SYSTEM_PACKAGES); \
	fi

# The demo's clock: 12/11/2019 09:00, three days before the units' plans are due.
# `make run NOW=` runs on the real clock.
NOW ?= 2019-11-12T09:00

run: $(STAMP)
	$(BIN)/tdkt run $(if $(NOW),--now $(NOW))

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy $(MYPY_TARGETS)
	$(BIN)/lint-imports

# pytest runs on SQLite and, when TEST_DATABASE_URL is set (e.g.
# postgresql+asyncpg://postgres@127.0.0.1:5432/test; see .ci/run), on PostgreSQL at the same
# time: the PostgreSQL pass waits on the server much of the time, so the two passes share the
# cores better than one after the other. The PostgreSQL pass's report is printed after the
# SQLite pass's; the target fails if either failed.
# The tests' files (SQLite databases, exports) live on tmpfs when there is one: a test's
# commits then cost no disk flush. --durations names the slowest tests in every run.
test: lint system-deps
	@status=0; pg=; \
	base=$$(mktemp -d /dev/shm/tdkt-tests.XXXXXX 2>/dev/null || mktemp -d); \
	if [ -n "$$TEST_DATABASE_URL" ]; then \
		$(BIN)/pytest -q -p no:cacheprovider --basetemp=$$base/postgres --durations=15 \
			$(PYTEST_ARGS) > $$base/postgres.log 2>&1 & pg=$$!; \
	else echo 'TEST_DATABASE_URL not set: no PostgreSQL pass'; fi; \
	echo '== pytest on SQLite =='; \
	env -u TEST_DATABASE_URL $(BIN)/pytest -q --basetemp=$$base/sqlite --durations=15 \
		$(PYTEST_ARGS) || status=$$?; \
	if [ -n "$$pg" ]; then \
		wait $$pg || status=$$?; \
		echo '== pytest on PostgreSQL =='; cat $$base/postgres.log; \
	fi; \
	rm -rf "$$base"; \
	exit $$status

test-sqlite: $(STAMP)
	env -u TEST_DATABASE_URL $(BIN)/pytest -q $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@test -n "$$TEST_DATABASE_URL" || { echo 'set TEST_DATABASE_URL' >&2; exit 2; }
	$(BIN)/pytest -q $(PYTEST_ARGS)

# Next revision number = 1 + number of existing revisions (0002, 0003, ...).
migration: $(STAMP)
	@test -n "$(MSG)" || { echo 'usage: make migration MSG="add foo to bar"' >&2; exit 2; }
	rm -f $(MIGRATION_DB) $(MIGRATION_DB)-wal $(MIGRATION_DB)-shm
	TDKT_DATABASE_URL=$(MIGRATION_URL) $(BIN)/alembic upgrade head
	rev=$$(printf '%04d' $$(( $$(ls $(VERSIONS) | grep -c '^[0-9]\{4\}_.*\.py$$') + 1 ))); \
	TDKT_DATABASE_URL=$(MIGRATION_URL) $(BIN)/alembic revision --autogenerate \
		--rev-id "$$rev" -m "$(MSG)"
	rm -f $(MIGRATION_DB) $(MIGRATION_DB)-wal $(MIGRATION_DB)-shm
	@echo 'Review the new revision by hand; it must run on SQLite and on PostgreSQL 15.'

# Nothing is deployed yet, so 0001 may be regenerated from the models while it is alone.
initial-migration: $(STAMP)
	@others=$$(ls $(VERSIONS) | grep '^[0-9]\{4\}_.*\.py$$' | grep -v '^0001_' || true); \
	if [ -n "$$others" ]; then echo "other revisions exist: $$others" >&2; exit 1; fi
	rm -f $(VERSIONS)/0001_*.py $(MIGRATION_DB) $(MIGRATION_DB)-wal $(MIGRATION_DB)-shm
	TDKT_DATABASE_URL=$(MIGRATION_URL) $(BIN)/alembic revision --autogenerate \
		--rev-id 0001 -m initial
	rm -f $(MIGRATION_DB) $(MIGRATION_DB)-wal $(MIGRATION_DB)-shm

# Every benchmark prints its figures; those issue 16 sets a target for are also recorded
# (bench/results.py) and bench/report.py prints them as one table and writes it into the README
# between its bench-table markers (BENCH_README= to leave the README alone).
BENCH_README ?= README.md
bench: $(STAMP)
	@set -e; results=$$(mktemp); export TDKT_BENCH_RESULTS=$$results; \
	$(BIN)/python bench/bench_core.py $(BENCH_ARGS); \
	PYTHONPATH=. $(BIN)/python bench/bench_broadcast.py $(BROADCAST_ARGS); \
	$(BIN)/python bench/bench_status.py $(STATUS_ARGS); \
	PYTHONPATH=. $(BIN)/python bench/bench_sheets.py $(SHEETS_ARGS); \
	PYTHONPATH=. $(BIN)/python bench/bench_exports.py $(EXPORTS_ARGS); \
	PYTHONPATH=. $(BIN)/python bench/bench_messages.py $(MESSAGES_ARGS); \
	$(BIN)/python bench/report.py $$results $(if $(BENCH_README),--readme $(BENCH_README)); \
	rm -f $$results

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .hypothesis build dist *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
