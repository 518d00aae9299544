# Zapiki — `make run` starts the service, `make test` runs the whole suite (each installs what it needs).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SCHEDULER ?= tcp://127.0.0.1:8786
PORT   ?= 8000

.PHONY: install install-test run run-scheduler run-worker test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## run: zapiki serve on embedded SQLite (./.zapiki/) and a local Dask cluster
run: install
	$(BIN)/zapiki serve --port $(PORT)

## run-scheduler: a Dask scheduler configured from scheduler_config.yaml
run-scheduler: install
	DASK_CONFIG=$(CURDIR)/scheduler_config.yaml $(BIN)/dask scheduler

## run-worker: a worker for $(SCHEDULER), restarted when it fails; SIGTERM or Ctrl-C drains it and stops
run-worker: install
	DASK_CONFIG=$(CURDIR)/scheduler_config.yaml exec $(BIN)/zapiki worker $(SCHEDULER)

## test: lint, then the whole suite
test: install-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -p no:cacheprovider

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check zapiki tests benchmarks dashboards

bench: install-test
	$(BIN)/python benchmarks/bench_jobs.py

clean:
	rm -rf $(VENV) .zapiki
