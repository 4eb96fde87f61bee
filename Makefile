# Liman: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Where the database, keys and logs live: the settings read the same variable (default: var/ here).
VAR_DIR := $(or $(LIMAN_VAR_DIR),var)

.PHONY: run test install lint format messages clean lock

# Extras installed beside Liman (CI adds spark); the versions are the lock file's (uv.lock), whatever the day.
EXTRAS ?= test
UV := uv==0.13.8

$(STAMP): pyproject.toml uv.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "$(UV)"
	$(BIN)/uv export --quiet --locked --no-emit-project $(foreach extra,$(EXTRAS),--extra $(extra)) \
	  -o $(VENV)/requirements.txt
	$(BIN)/python -m pip install --quiet -r $(VENV)/requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/liman migrate --no-input
	$(BIN)/liman seed
	@echo "Serving http://127.0.0.1:8000 (a background worker runs tasks, the scheduler enqueues the scheduled jobs, a sender hands messages over; Ctrl-C stops them all)."
	@mkdir -p "$(VAR_DIR)"; trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/liman db_worker --no-reload > "$(VAR_DIR)/worker.log" 2>&1 & \
	  $(BIN)/liman schedule run > "$(VAR_DIR)/scheduler.log" 2>&1 & \
	  $(BIN)/liman messages send > "$(VAR_DIR)/messages.log" 2>&1 & \
	  $(BIN)/liman runserver 127.0.0.1:8000

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check liman tests benchmarks
	$(BIN)/ruff format --check liman tests benchmarks

format: install
	$(BIN)/ruff format liman tests benchmarks
	$(BIN)/ruff check --fix liman tests benchmarks

messages: install
	cd liman && ../$(BIN)/liman makemessages -l tr -l ar --no-obsolete --ignore 'static/vendor/*' --ignore '*/static/vendor/*'
	cd liman && ../$(BIN)/liman compilemessages

clean:
	rm -rf $(VENV) var

# After changing the dependencies in pyproject.toml: resolve them again into uv.lock (commit both).
lock:
	$(BIN)/python -m pip install --quiet "$(UV)"
	$(BIN)/uv lock
