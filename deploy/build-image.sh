#!/usr/bin/env bash
# Build the Zapiki image (every role; see Dockerfile) with podman: `make image`, or
#   deploy/build-image.sh            build $IMAGE unless it already holds these sources (label org.zapiki.source)
#   deploy/build-image.sh --hash     print the hash of the build inputs and exit
# Environment: IMAGE (localhost/zapiki:latest), BASE (localhost/debian-base:bookworm, made by
# deploy/base-image.sh when missing; BASE=python:3.12-slim where a registry is reachable), FORCE=1 builds again,
# PODMAN_RUNTIME (runc: crun fails on this machine's hybrid cgroups).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

IMAGE=${IMAGE:-localhost/zapiki:latest}
BASE=${BASE:-localhost/debian-base:bookworm}
PODMAN=(podman --runtime "${PODMAN_RUNTIME:-runc}")
# podman's default limits exceed this machine's hard limits
ULIMITS=(--ulimit nofile=20000:20000 --ulimit nproc=4096:4096)
# What goes into the image (.dockerignore's whitelist) and how it is built.
INPUTS=(Dockerfile .dockerignore pyproject.toml README.md scheduler_config.yaml zapiki
        tests/fixtures/groth16/multiplier deploy/build-image.sh)

source_hash() {
    local files
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        files=$(git ls-files -co --exclude-standard -- "${INPUTS[@]}")
    else
        files=$(find "${INPUTS[@]}" -type f ! -path '*/__pycache__/*' ! -name '*.py[co]')
    fi
    {
        echo "base $BASE"
        printf '%s\n' "$files" | LC_ALL=C sort | while IFS= read -r f; do
            [[ -f $f ]] && echo "$(sha256sum <"$f" | cut -c1-64) $f"
        done
    } | sha256sum | cut -c1-64
}

if [[ ${1:-} == --hash ]]; then
    source_hash
    exit 0
fi
command -v podman >/dev/null || {
    echo "podman not found: apt-get install -y podman runc debootstrap golang-github-containernetworking-plugin-dnsname tini" >&2
    exit 1
}
hash=$(source_hash)
if [[ -z ${FORCE:-} ]] && "${PODMAN[@]}" image exists "$IMAGE" \
    && [[ $("${PODMAN[@]}" image inspect --format '{{index .Labels "org.zapiki.source"}}' "$IMAGE") == "$hash" ]]; then
    echo "$IMAGE is up to date (org.zapiki.source=$hash)"
    exit 0
fi
if [[ $BASE == localhost/debian-base:* ]]; then
    BASE_IMAGE=$BASE deploy/base-image.sh
fi
# The host's CA bundle, for pip during the build only (nothing is copied into the image): this machine reaches
# PyPI through a TLS chain signed by its own CA.
CA=()
if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
    CA=(-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
fi
old=$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
start=$SECONDS
# --format docker: the OCI format has no HEALTHCHECK
"${PODMAN[@]}" build --format docker --network host "${ULIMITS[@]}" "${CA[@]}" \
    --build-arg "BASE=$BASE" --label "org.zapiki.source=$hash" -t "$IMAGE" -f Dockerfile .
echo "built $IMAGE in $((SECONDS - start)) s: $("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE") bytes"
# the image this one replaced, unless a container or another tag still uses it
if [[ -n $old && $old != $("${PODMAN[@]}" image inspect --format '{{.Id}}' "$IMAGE") ]]; then
    "${PODMAN[@]}" rmi "$old" >/dev/null 2>&1 || true
fi
