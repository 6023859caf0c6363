# `make run` serves the API on http://127.0.0.1:5000; `make test` runs the suite.
# Each creates .venv and installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format clean bench serve

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

run: $(BIN)/activate
	$(BIN)/flask db upgrade
	$(BIN)/flask run

test: $(BIN)/activate
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(BIN)/activate
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Load benchmark (bench/README.md): gunicorn, 2 workers, against a bare Flask baseline.
# SQLite always; PostgreSQL too when DATABASE_URL names one (that database is wiped).
bench: $(BIN)/activate
	@command -v wrk >/dev/null || apt-get install -y wrk || echo "no wrk: using the Python load generator"
	$(BIN)/python bench/run.py

# The production stack on this machine (README "Production: make serve"): nginx from
# Debian's package buffering in front of gunicorn, on PORT (default 8080).
serve: $(BIN)/activate
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || (apt-get update && apt-get install -y nginx-light)
	deploy/serve.sh
