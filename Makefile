# Zapiki — `make run` starts the service, `make test` runs the whole suite (each installs what it needs).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
# A private cluster: TLS with mutual authentication on the certificates in $(CERTS) (`make certs`).
CERTS  ?= .zapiki/certs
SCHEDULER ?= tls://127.0.0.1:8786
SCHEDULER_PORT ?= 8786
# The scheduler's dashboard is plain, unauthenticated HTTP: on loopback only (reach it through ssh -L 8787:...).
SCHEDULER_DASHBOARD ?= 127.0.0.1:8787
# A tcp:// SCHEDULER (a trusted test network only) gets no TLS options.
WORKER_TLS = $(if $(filter tls://%,$(SCHEDULER)),--certs $(CERTS))

.PHONY: install install-test native run run-scheduler run-worker certs test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# The reference toolchain (snarkjs 0.7.6, circom 2, circomlib, circomlibjs, solc) from .ci/node/package.json, in the
# project's own folder (no root needed)
SNARKJS := .ci/node/node_modules/.bin/snarkjs
NODE_TOOLS := .ci/node/node_modules/.installed
$(NODE_TOOLS): .ci/node/package.json
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-audit --no-fund --prefix .ci/node && touch $@ \
			|| echo "npm install failed: the interop tests will be skipped (and fail under CI=true)"; \
	else echo "npm not found: the interop tests will be skipped (apt-get install nodejs npm)"; fi

# The Groth16 prover's kernels compiled ahead of time (zapiki/native; numba's pycc, a C compiler): proofs then load
# no numba. Without them (no compiler) the prover uses the numba kernels, with the same results.
NATIVE := zapiki/native/_bn254.stamp
$(NATIVE): $(VENV)/.installed $(wildcard zapiki/kernels/*.py)
	$(BIN)/python -m zapiki.kernels.aot \
		|| echo "compiling the kernels ahead of time failed: the prover will use numba's (a C compiler is needed)"

## native: compile the prover's kernels ahead of time (part of install)
native: $(NATIVE)

install: $(VENV)/.installed $(NATIVE)
install-test: $(VENV)/.installed-test $(NATIVE)

## run: zapiki serve on embedded SQLite (./.zapiki/) and a local Dask cluster (TLS, temporary credentials)
run: install
	$(BIN)/zapiki serve --port $(PORT)

## certs: a new private CA and the scheduler's, workers' and clients' certificates and keys in $(CERTS)
certs: install
	$(BIN)/zapiki cluster certs $(CERTS)

## run-scheduler: `zapiki scheduler`, a TLS-only Dask scheduler (scheduler_config.yaml); peers need a certificate from $(CERTS)
run-scheduler: install
	@test -f $(CERTS)/ca.pem -a -f $(CERTS)/scheduler.pem -a -f $(CERTS)/scheduler-key.pem \
		|| $(BIN)/zapiki cluster certs $(CERTS)
	exec $(BIN)/zapiki scheduler --certs $(CERTS) --port $(SCHEDULER_PORT) --config $(CURDIR)/scheduler_config.yaml \
		--dashboard-host $(word 1,$(subst :, ,$(SCHEDULER_DASHBOARD))) \
		--dashboard-port $(word 2,$(subst :, ,$(SCHEDULER_DASHBOARD)))

## run-worker: a worker for $(SCHEDULER) (TLS with $(CERTS)), restarted when it fails; SIGTERM/Ctrl-C drains it
run-worker: install
	DASK_CONFIG=$(CURDIR)/scheduler_config.yaml exec $(BIN)/zapiki worker $(SCHEDULER) $(WORKER_TLS)

## test: lint, then the whole suite
test: install-test $(NODE_TOOLS)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -p no:cacheprovider

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check zapiki tests benchmarks dashboards

bench: install-test
	$(BIN)/python benchmarks/bench_jobs.py

clean:
	rm -rf $(VENV) .zapiki

# The container image (every role) and a compose stack of it (podman; deploy/compose.yaml).
IMAGE   ?= localhost/zapiki:latest
# localhost/debian-base:bookworm is made on this machine by deploy/base-image.sh; python:3.12-slim elsewhere
BASE    ?= localhost/debian-base:bookworm
COMPOSE ?= $(BIN)/python deploy/podman_stack.py

.PHONY: image up down

## image: build $(IMAGE) on $(BASE) with podman (skipped when it already holds these sources)
image:
	IMAGE=$(IMAGE) BASE=$(BASE) deploy/build-image.sh

## up: the compose stack with podman (deploy/podman_stack.py; with Docker: docker compose -f deploy/compose.yaml up -d)
##     on this kind of machine (no registry) with the test override: make up UP_FLAGS="--test --build-postgres"
up: image
	$(COMPOSE) up $(UP_FLAGS)

## down: stop the stack (workers drain: up to 11 minutes) and remove its containers, volumes and network
down:
	$(COMPOSE) down $(UP_FLAGS)

# The proof templates' circuits, compiled with the circom2 and circomlib that .ci/node pins.
.PHONY: templates

## templates: compile zapiki/templates/circuits/*.circom into zapiki/templates/compiled/ (the shipped r1cs, wasm, json)
templates: install $(NODE_TOOLS)
	$(BIN)/python -m zapiki.templates.build --circom .ci/node/node_modules/.bin/circom2 --lib .ci/node/node_modules
