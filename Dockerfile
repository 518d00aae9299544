# One image for every role of Zapiki; the command picks the role:
#   serve --host 0.0.0.0 --port 8000            (the default: API, dashboard, dispatcher)
#   worker tls://scheduler:8786 --certs /certs  (a Dask worker with Zapiki's preload; SIGTERM drains it)
#   scheduler ... | db upgrade | cluster certs /certs
# Build: deploy/build-image.sh (`make image`): BASE=python:3.12-slim anywhere, a local Debian 12 base here.
# numba's compiled kernels are warmed at build time, for the CPU of the build machine (see README, "The image").
ARG BASE=python:3.12-slim

# ---- build: the project and its dependencies in a virtual environment at /opt/zapiki ----
FROM ${BASE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
RUN python3 -m venv /opt/zapiki
# The dependencies first (their own layer: it survives changes to the sources), read from pyproject.toml.
COPY pyproject.toml /src/
RUN python3 -c "import tomllib; print('\n'.join(tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /src/requirements.txt \
    && /opt/zapiki/bin/pip install -r /src/requirements.txt
COPY README.md scheduler_config.yaml /src/
COPY zapiki /src/zapiki
RUN /opt/zapiki/bin/pip install --no-deps /src
# The Groth16 prover's kernels compiled ahead of time (zapiki.native; numba's pycc needs C and C++ compilers and
# Python's headers, in this stage only), for any x86-64: a proof in the image then loads no numba at all.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc g++ libc6-dev \
    && { python3 -c "import os, sysconfig; assert os.path.exists(sysconfig.get_paths()['include'] + '/Python.h')" \
         || apt-get install -y --no-install-recommends python3-dev; } \
    && rm -rf /var/lib/apt/lists/* \
    && /opt/zapiki/bin/python -m zapiki.kernels.aot --cpu generic \
    && /opt/zapiki/bin/python -c "from zapiki import native; assert native.module() is not None"

# ---- final: the environment, tini, a non-root user, warmed caches ----
FROM ${BASE}
# tini as PID 1: forwards SIGTERM to zapiki (which drains) and reaps orphaned processes. libgomp1: numba's
# OpenMP threading layer; without it numba falls back to "workqueue", which is not thread-safe, and the prover's
# concurrent parallel kernels abort the process. Not pinned (DL3008): the versions are the base's Debian release's
# (bookworm here, trixie in python:3.12-slim).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 zapiki \
    && useradd --uid 10001 --gid 10001 --home-dir /home/zapiki --create-home --shell /usr/sbin/nologin zapiki \
    && install -d -o 10001 -g 10001 -m 0755 /app /var/cache/zapiki \
    && install -d -o 10001 -g 10001 -m 0700 /app/.zapiki /var/cache/zapiki/numba /var/cache/zapiki/wasmtime
COPY --from=build /opt/zapiki /opt/zapiki
COPY scheduler_config.yaml /app/
ENV PATH=/opt/zapiki/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    NUMBA_THREADING_LAYER=threadsafe \
    NUMBA_CPU_NAME=generic \
    NUMBA_CACHE_DIR=/var/cache/zapiki/numba \
    ZAPIKI_WASM_CACHE=/var/cache/zapiki/wasmtime
WORKDIR /app
USER 10001:10001
# Compile every numba kernel once, as the user that runs them, into NUMBA_CACHE_DIR: the project's warm-up, then
# one real Groth16 prove (with the constraint check), verify and setup of a small circuit (bind-mounted for this
# step only). A fresh container's first proof then loads compiled code instead of compiling (about a minute).
# numba keys its cache by CPU: NUMBA_CPU_NAME=generic (baseline x86-64) makes the cache valid on any machine the
# image runs on (measured: same MSM and proving speed as code for the build machine's CPU); without it a container
# on another CPU type compiles everything again on its first proof.
# The wasmtime code cache is per circuit: the build only makes its private folder and configuration.
RUN --mount=type=bind,source=tests/fixtures/groth16/multiplier,target=/tmp/warm \
    python3 -c "from zapiki.systems.groth16.warmup import warmup; warmup()" \
    && python3 -c "from zapiki.systems.plonk.warmup import warmup; warmup()" \
    && mkdir /tmp/out \
    && zapiki groth16 prove --r1cs /tmp/warm/circuit.r1cs /tmp/warm/circuit.zkey /tmp/warm/witness.wtns \
        /tmp/out/proof.json /tmp/out/public.json \
    && zapiki groth16 verify /tmp/warm/verification_key.json /tmp/out/public.json /tmp/out/proof.json \
    && zapiki groth16 setup /tmp/warm/circuit.r1cs /tmp/out/setup.zkey --vkey /tmp/out/vkey.json \
    && python3 -c "from zapiki.witness.wasm_runtime import code_cache_config as c; assert c() is not None" \
    && rm -rf /tmp/out
EXPOSE 8000
# The default role's check (serve): compose and Kubernetes override it per role (a worker has no HTTP port).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
ENTRYPOINT ["tini", "--", "zapiki"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
