#!/bin/sh
# Temporal's own schema in PostgreSQL (run by the temporal-schema service, admin-tools image).
# Safe to run again: a database that exists keeps its schema and is only brought up to date.
set -eu
tool() { temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 -u temporal "$@"; }
until nc -z postgresql 5432; do sleep 1; done
for db in temporal temporal_visibility; do
  case $db in
    temporal) dir=/etc/temporal/schema/postgresql/v12/temporal/versioned ;;
    *) dir=/etc/temporal/schema/postgresql/v12/visibility/versioned ;;
  esac
  if tool --db "$db" create; then
    tool --db "$db" setup-schema -v 0.0
  fi
  tool --db "$db" update-schema -d "$dir"
done
