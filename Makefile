# Liman: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Where the database, keys and logs live: the settings read the same variable (default: var/ here).
VAR_DIR := $(or $(LIMAN_VAR_DIR),var)

.PHONY: run test install lint format messages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/liman migrate --no-input
	$(BIN)/liman seed
	@echo "Serving http://127.0.0.1:8000 (a background worker runs tasks; Ctrl-C stops both)."
	@mkdir -p "$(VAR_DIR)"; trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/liman db_worker --no-reload > "$(VAR_DIR)/worker.log" 2>&1 & \
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
