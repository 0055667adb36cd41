#!/bin/sh
# The streaming replica: on first start, clone the primary (pg_basebackup -R writes standby.signal
# and primary_conninfo, -S streams through the slot primary-init.sh made); afterwards just start
# as a hot standby.
set -eu
export PGPASSWORD="$REPLICATION_PASSWORD"
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" && chown -R postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
  exec gosu postgres "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h "$PRIMARY_HOST" -U replicator -d postgres -q; do sleep 1; done
  pg_basebackup -h "$PRIMARY_HOST" -U replicator -D "$PGDATA" -R -X stream -S replica1 --checkpoint=fast
fi
# A hot standby needs at least the primary's max_connections (compose.yaml gives the primary 200).
exec postgres -c hot_standby=on -c max_connections=200
