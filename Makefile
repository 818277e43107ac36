# Entry points for a fresh machine: `make app` (local), `make serve` (a team
# server, login required) and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: app serve test test-ray lint setup setup-dev setup-ray

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

# Ray is optional: only the Ray executor and its tests need it.
setup-ray: setup-dev
	$(BIN)/pip install --quiet -r requirements-ray.txt

# Local mode: this machine only (127.0.0.1), no login.
app: setup
	$(BIN)/streamlit run app.py --server.address 127.0.0.1

serve: setup
	$(BIN)/python -m ui.serve --address $(ADDRESS) --port $(PORT)

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The full suite without Ray's tests (which skip anyway when Ray is missing), in
# two worker processes (pytest-xdist): CI's machine has two cores, and many tests
# spend their time waiting on a server, a worker process or a browser.
test: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -m "not ray" -n 2

# The Ray executor against a two-node cluster started on 127.0.0.1 (minutes).
test-ray: setup-ray
	$(BIN)/python -m pytest -m ray tests/ray
