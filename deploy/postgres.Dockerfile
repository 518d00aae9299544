# PostgreSQL for test runs where `postgres:16` cannot be pulled (compose.test.yaml): Debian's server on the same
# base as Zapiki's image, with the part of the official image's contract the stack uses: POSTGRES_PASSWORD
# (required), POSTGRES_USER (default postgres), POSTGRES_DB (default: the user), PGDATA, port 5432, run as the
# postgres user. Debian bookworm ships PostgreSQL 15; Zapiki needs nothing newer.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
# The postgres user with the official image's uid and gid (999), so that a data volume works with either image.
# No cluster made at install time (the entrypoint makes one in PGDATA on the first start). Not pinned (DL3008):
# the version is the base's Debian release's.
# hadolint ignore=DL3008
RUN groupadd --system --gid 999 postgres \
    && useradd --system --uid 999 --gid 999 --home-dir /var/lib/postgresql --shell /bin/sh postgres \
    && mkdir -p /etc/postgresql-common \
    && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql \
    && rm -rf /var/lib/apt/lists/* \
    && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PGDATA=/var/lib/postgresql/data
USER 999:999
EXPOSE 5432
# Fast shutdown, as the official image.
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --timeout=5s --retries=24 CMD ["pg_isready", "-h", "127.0.0.1"]
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
