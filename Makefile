# `make run` serves the API on http://127.0.0.1:5000 (`make run PORT=5001` elsewhere);
# `make test` runs the suite.
# Each creates .venv and installs what it needs first.
PYTHON ?= python3
VENV ?= .venv
# What the venv installs: exact versions (`make lock` writes them from requirements*.txt).
REQUIREMENTS ?= requirements-dev.lock
PIP_OPTIONS ?=
BIN := $(VENV)/bin
# Written last, holding a hash of the lock file: a venv without it (Ctrl-C mid-install)
# or with another hash (the lock changed) is rebuilt from scratch.
STAMP := $(VENV)/.installed

.PHONY: venv lock run test test-system lint format clean bench bench-scale serve

venv: $(STAMP)

# flock: a second `make` waits for the first install instead of using a half-made venv.
# The venv is built in place (console scripts hard-code its path, so no build-then-rename);
# the stamp is what says it is complete.
$(STAMP): $(REQUIREMENTS)
	@flock "$(VENV).lock" sh -ec '\
	  want=$$(sha256sum < $(REQUIREMENTS) | cut -d" " -f1); \
	  if [ "$$(cat "$(STAMP)" 2>/dev/null)" = "$$want" ]; then touch "$(STAMP)"; exit 0; fi; \
	  echo "== installing into $(VENV) (make clean starts over)"; \
	  rm -rf "$(VENV)"; \
	  $(PYTHON) -m venv "$(VENV)"; \
	  "$(BIN)/pip" install --quiet --disable-pip-version-check $(PIP_OPTIONS) -r $(REQUIREMENTS); \
	  echo "$$want" > "$(STAMP).tmp"; \
	  mv "$(STAMP).tmp" "$(STAMP)"'

# Exact versions: each requirements file installed alone into a fresh venv and frozen
# (requirements.lock for production, requirements-dev.lock for make). Rerun it after
# editing requirements*.txt; written whole or not at all, one run at a time.
LOCKS ?= requirements.txt:requirements.lock requirements-dev.txt:requirements-dev.lock
lock:
	@flock "$(VENV).lock" sh -ec '\
	  for pair in $(LOCKS); do \
	    in=$${pair%%:*}; out=$${pair#*:}; tmp=$$(mktemp -d); trap "rm -rf $$tmp" EXIT; \
	    echo "== $$in -> $$out"; \
	    $(PYTHON) -m venv "$$tmp"; \
	    "$$tmp/bin/pip" install --quiet --disable-pip-version-check $(PIP_OPTIONS) -r "$$in"; \
	    { echo "# make lock: the exact versions $$in resolved to; make installs these."; \
	      "$$tmp/bin/pip" freeze --disable-pip-version-check; } > "$$out.tmp"; \
	    mv "$$out.tmp" "$$out"; rm -rf "$$tmp"; \
	  done'

# Mail goes to instance/outbox/ as .eml files, sent by a thread of the server, and its
# links point at this server's demo page (README "Email and password reset").
run: $(STAMP)
	$(BIN)/flask db upgrade
	MAIL_URL="$${MAIL_URL:-outbox:}" FRONTEND_URL="$${FRONTEND_URL:-http://127.0.0.1:$${PORT:-5000}/demo}" \
	  $(BIN)/flask run --port "$${PORT:-5000}"

# pytest-xdist: WORKERS processes (default one per CPU) share the tests; a file whose
# module-scoped servers should start once is marked xdist_group. `make test WORKERS=0`
# runs in one process.
WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(WORKERS) --dist loadgroup

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(PYTEST) -m "not system"

# Tests whose point is time or load: floods, kills, outages, many-round races.
test-system: $(STAMP)
	$(PYTEST) -m system

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) $(VENV).lock .pytest_cache .ruff_cache

# Load benchmark (bench/README.md): gunicorn, 2 workers, against a bare Flask baseline.
# SQLite always; PostgreSQL too when DATABASE_URL names one (that database is wiped).
bench: $(STAMP)
	@command -v wrk >/dev/null || apt-get install -y wrk || echo "no wrk: using the Python load generator"
	$(BIN)/python bench/run.py

# Lists at scale (bench/README.md): a small and a 1M-item PostgreSQL database (BENCH_PG,
# default the local server), the same requests against both, the large/small ratios.
bench-scale: $(STAMP)
	@command -v wrk >/dev/null || apt-get install -y wrk || echo "no wrk: using the Python load generator"
	$(BIN)/python bench/scale.py

# The production stack on this machine (README "Production: make serve"): nginx from
# Debian's package buffering in front of gunicorn, on PORT (default 8080); with
# PGBOUNCER=1, Debian's PgBouncer between gunicorn and PostgreSQL.
serve: $(STAMP)
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || (apt-get update && apt-get install -y nginx-light)
	@test "$${PGBOUNCER:-0}" != 1 || test -x /usr/sbin/pgbouncer || (apt-get update && apt-get install -y pgbouncer)
	deploy/serve.sh
