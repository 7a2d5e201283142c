#!/bin/sh
# The entrypoint of workerdb's local PostgreSQL image (see Dockerfile): the official image's contract on a
# cluster made at build time. Runs as the postgres user.
set -eu

case "${1:-}" in -*) set -- postgres "$@" ;; esac
[ "${1:-}" = postgres ] || exec "$@"

: "${PGDATA:=/var/lib/postgresql/data}"
user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"
password="${POSTGRES_PASSWORD:-}"
method="${POSTGRES_HOST_AUTH_METHOD:-}"

ident() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
literal() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }

if [ ! -f "$PGDATA/.env-applied" ]; then
  if [ -z "$password" ] && [ -z "$method" ]; then
    echo 'Error: POSTGRES_PASSWORD is empty. Set it, or POSTGRES_HOST_AUTH_METHOD=trust to allow connections without one.' >&2
    exit 1
  fi
  [ -n "$method" ] || method=scram-sha-256
  sed -i "s/^host all all all .*/host all all all $method/" "$PGDATA/pg_hba.conf"
  {
    if [ "$user" = postgres ]; then
      [ -z "$password" ] || echo "ALTER ROLE postgres PASSWORD $(literal "$password")"
    else
      echo "CREATE ROLE $(ident "$user") SUPERUSER LOGIN${password:+ PASSWORD $(literal "$password")}"
    fi
    [ "$db" = postgres ] || echo "CREATE DATABASE $(ident "$db") OWNER $(ident "$user")"
  } | postgres --single -F -c exit_on_error=true -D "$PGDATA" postgres >/dev/null

  if [ -n "$(ls -A /docker-entrypoint-initdb.d 2>/dev/null)" ]; then
    pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c fsync=off" start >/dev/null
    for f in /docker-entrypoint-initdb.d/*; do
      case "$f" in
        *.sh) if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
        *.sql) psql -v ON_ERROR_STOP=1 -q --username "$user" --dbname "$db" -f "$f" ;;
        *.sql.gz) gunzip -c "$f" | psql -v ON_ERROR_STOP=1 -q --username "$user" --dbname "$db" ;;
        *) echo "docker-entrypoint.sh: ignoring $f" >&2 ;;
      esac
    done
    pg_ctl -D "$PGDATA" -w -m fast stop >/dev/null
  fi
  touch "$PGDATA/.env-applied"
fi

exec "$@"
