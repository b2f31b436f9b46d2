# Relais: `make run` (embedded default with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# The simulated fleet `make run` shows on the dashboard (devices; once: kept afterwards).
FLEET ?= 300

.PHONY: run test lint typecheck docs install install-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_data --fleet $(FLEET)
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/run-embedded

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Types where they pay: mypy with django-stubs on the modules pyproject.toml's [tool.mypy] lists.
typecheck: install-dev
	$(BIN)/mypy

# The documentation site, strictly: a broken link or a page missing from the nav fails.
docs: install-dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

test: lint typecheck docs
	$(BIN)/pytest $(PYTEST_ARGS)
