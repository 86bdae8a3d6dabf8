# Two commands do all the set-up: `make run` (portal with demo data) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Two workers: the suite is mostly database and browser waits, and CI machines have two cores.
PYTEST_ARGS ?= -n 2

.PHONY: run test install dev lint format demo screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# The dev set-up also installs the test-only npm packages (package.json, package-lock.json): axe-core for the accessibility
# tests and the badge verifier for tests/badges, when Node.js and npm are there; without them those
# tests skip (fail with REQUIRE_BROWSER=1).
$(DEV_STAMP): pyproject.toml package-lock.json | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then \
		echo "npm ci --no-audit --no-fund"; npm ci --no-audit --no-fund; \
	else \
		echo "npm not found: the accessibility tests (axe-core) will be skipped. Install Node.js and npm, then run: npm ci --no-audit --no-fund"; \
	fi
	touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)
dev: $(DEV_STAMP)

## run: create the environment, migrate, load the demo data and serve on http://$(HOST):$(PORT)
## (default http://127.0.0.1:8000; e.g. make run PORT=8101). load_demo prints that address.
run: $(RUN_STAMP)
	$(BIN)/python manage.py migrate --noinput
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python manage.py load_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: create the environment with the dev extras and run the whole suite
test: $(DEV_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## screenshots: render the main pages with the demo data into docs/screenshots/ (needs Chromium)
screenshots: $(DEV_STAMP)
	$(BIN)/python tests/browser/screenshots.py

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(DEV_STAMP)
	$(BIN)/python bench/bench_rules.py

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 media node_modules
