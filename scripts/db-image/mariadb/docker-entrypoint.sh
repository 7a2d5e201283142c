#!/bin/sh
# The entrypoint of workerdb's local MariaDB image (see Dockerfile): the official image's contract on a
# data dir made at build time. Runs as the mysql user.
set -eu

case "${1:-}" in -*) set -- mariadbd "$@" ;; esac
[ "${1:-}" = mariadbd ] || exec "$@"

root_password="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"
empty_ok="${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-${MYSQL_ALLOW_EMPTY_PASSWORD:-}}"
db="${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}"
user="${MARIADB_USER:-${MYSQL_USER:-}}"
password="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"

ident() { printf '`%s`' "$(printf '%s' "$1" | sed 's/`/``/g')"; }
literal() { printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"; }

if [ ! -f /var/lib/mysql/.env-applied ]; then
  if [ -z "$root_password" ] && [ -z "$empty_ok" ]; then
    echo 'Error: MARIADB_ROOT_PASSWORD is empty. Set it, or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1 to allow root without one.' >&2
    exit 1
  fi
  # A server only this script reaches (no TCP: testcontainers waits for the port of the real one).
  socket=/run/mysqld/init.sock
  mariadbd --skip-networking --socket="$socket" --innodb-flush-log-at-trx-commit=0 >/dev/null 2>&1 &
  pid=$!
  i=0
  until mariadb-admin --socket="$socket" -uroot ping >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then echo 'Error: the server for setting up did not start' >&2; exit 1; fi
    sleep 0.1
  done
  {
    echo "CREATE USER 'root'@'%' IDENTIFIED BY $(literal "$root_password");"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $(literal "$root_password");"
    [ -z "$db" ] || echo "CREATE DATABASE IF NOT EXISTS $(ident "$db");"
    if [ -n "$user" ]; then
      echo "CREATE USER $(literal "$user")@'%' IDENTIFIED BY $(literal "$password");"
      [ -z "$db" ] || echo "GRANT ALL ON $(ident "$db").* TO $(literal "$user")@'%';"
    fi
  } | mariadb --socket="$socket" -uroot
  MYSQL_PWD="$root_password" mariadb-admin --socket="$socket" -uroot shutdown
  wait "$pid" || true
  touch /var/lib/mysql/.env-applied
fi

exec "$@"
