# Entry points for a fresh machine: `make app` (local), `make serve` (a team
# server, login required) and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: app serve test lint setup setup-dev

# `make serve` listens here; it refuses to start without OpenID Connect login
# configured (see README, "Team set-up").
ADDRESS ?= 0.0.0.0
PORT ?= 8501

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt

setup-dev: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt

# Local mode: this machine only (127.0.0.1), no login.
app: setup
	$(BIN)/streamlit run app.py --server.address 127.0.0.1

serve: setup
	$(BIN)/python -m ui.serve --address $(ADDRESS) --port $(PORT)

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest
