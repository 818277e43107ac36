# Two entry points for a fresh machine: `make app` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: app test lint setup setup-dev

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt

setup-dev: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt

app: setup
	$(BIN)/streamlit run app.py

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest
