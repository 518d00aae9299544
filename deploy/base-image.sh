#!/usr/bin/env bash
# Make localhost/debian-base:bookworm, a minimal Debian 12 with python3 (3.11), python3-venv and ca-certificates,
# for building the image where no registry can be reached (`python:3.12-slim` is the base everywhere else).
# Idempotent: does nothing when the image exists (FORCE=1 makes it again). Needs root, debootstrap and podman:
#   apt-get install -y podman runc debootstrap golang-github-containernetworking-plugin-dnsname tini
set -euo pipefail

IMAGE=${BASE_IMAGE:-localhost/debian-base:bookworm}
SUITE=${SUITE:-bookworm}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
PODMAN=(podman --runtime "${PODMAN_RUNTIME:-runc}")

for tool in podman debootstrap; do
    command -v "$tool" >/dev/null || {
        echo "$tool not found: apt-get install -y podman runc debootstrap golang-github-containernetworking-plugin-dnsname tini" >&2
        exit 1
    }
done
if [[ -z ${FORCE:-} ]] && "${PODMAN[@]}" image exists "$IMAGE"; then
    echo "$IMAGE exists"
    exit 0
fi

root=$(mktemp -d /tmp/debian-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "debootstrap $SUITE into $root (about a minute)"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates "$SUITE" "$root" "$MIRROR" >/dev/null
# An image, not a system: no apt lists or package caches, no logs.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*
tar -C "$root" --numeric-owner -c . | "${PODMAN[@]}" import \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' - "$IMAGE" >/dev/null
echo "made $IMAGE ($("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE") bytes)"
