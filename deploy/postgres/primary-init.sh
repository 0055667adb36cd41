#!/bin/sh
# Runs once, when the primary's data volume is created (docker-entrypoint-initdb.d): a role the
# replica streams with, allowed in pg_hba.conf, and its replication slot (the primary keeps the
# WAL the replica has not received yet, so a replica that was down catches up instead of re-cloning).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '${REPLICATION_PASSWORD}';
SELECT pg_create_physical_replication_slot('replica1');
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
