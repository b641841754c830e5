# The two set-up commands: `make run` and `make test`. Both start from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-stamp
DEV_STAMP := $(VENV)/.dev-stamp
# setuptools announces every editable install as a warning; that one note is not shown.
PIP := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: run test lint

$(BIN)/python:
	@echo "relaybot: creating the virtual environment in $(VENV)"
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) install --upgrade pip

# What running needs, nothing more: `make run` installs only this.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	@echo "relaybot: installing relaybot and what it needs to run (about a minute the first time)"
	@$(PIP) install -e .
	@touch $@

# The test and lint tools on top, for `make test`.
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	@echo "relaybot: installing relaybot with its test and lint tools"
	@$(PIP) install -e ".[dev]"
	@touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	@echo "relaybot: migrating the database"
	$(BIN)/relaybot migrate
	@echo "relaybot demo: open http://127.0.0.1:8080/ (the shop page with the chat widget)"
	RELAYBOT_DEMO=true $(BIN)/relaybot serve --host 127.0.0.1 --port 8080

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest
