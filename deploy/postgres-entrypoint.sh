#!/bin/sh
# The official postgres image's contract, as far as Zapiki's stack needs it: on the first start make a cluster
# in $PGDATA whose superuser $POSTGRES_USER has the password $POSTGRES_PASSWORD (scram-sha-256 over TCP) and a
# database $POSTGRES_DB; then run the server in the foreground on all addresses ($PGPORT, default 5432).
set -eu
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
POSTGRES_USER="${POSTGRES_USER:-postgres}"
POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
PGDATA="${PGDATA:-/var/lib/postgresql/data}"
export PGDATA
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    "$bin/initdb" -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    if [ "$POSTGRES_DB" != postgres ]; then
        # A server on a private socket only, for the one statement.
        sock=$(mktemp -d)
        "$bin/pg_ctl" -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories='$sock'" start
        echo 'CREATE DATABASE :"db";' | "$bin/psql" -q -h "$sock" -U "$POSTGRES_USER" -d postgres -v ON_ERROR_STOP=1 -v db="$POSTGRES_DB"
        "$bin/pg_ctl" -D "$PGDATA" -w -m fast stop
        rmdir "$sock"
    fi
fi
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*'
