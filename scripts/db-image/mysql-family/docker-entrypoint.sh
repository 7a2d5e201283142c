#!/bin/sh
# The entrypoint of workerdb's local MariaDB and MySQL images (see their Dockerfiles): the official images'
# contract on a data dir made at build time — MARIADB_* (MariaDB's names) or MYSQL_* (both images' names).
set -eu

if command -v mariadbd >/dev/null 2>&1; then server=mariadbd client=mariadb; else server=mysqld client=mysql; fi
case "${1:-}" in -*) set -- "$server" "$@" ;; esac
[ "${1:-}" = "$server" ] || exec "$@"

# Started as root, as the official images are: the data dir is made the mysql user's (a tmpfs mounted over
# it is root's), then the server and this script's setup run as that user.
if [ "$(id -u)" = 0 ]; then
  chown mysql:mysql /var/lib/mysql
  exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" "$@"
fi

root_password="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"
empty_ok="${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-${MYSQL_ALLOW_EMPTY_PASSWORD:-}}"
db="${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}"
user="${MARIADB_USER:-${MYSQL_USER:-}}"
password="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"

ident() { printf '`%s`' "$(printf '%s' "$1" | sed 's/`/``/g')"; }
literal() { printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"; }

# An empty data dir (a tmpfs mounted over it: workerdb's containers keep their data in memory) gets the one
# made at build time, as the official images make theirs on a first start.
if [ -z "$(ls -A /var/lib/mysql)" ]; then
  find /usr/share/workerdb/datadir -mindepth 1 -maxdepth 1 -exec cp -a {} /var/lib/mysql/ \;
fi

if [ ! -f /var/lib/mysql/.env-applied ]; then
  if [ -z "$root_password" ] && [ -z "$empty_ok" ]; then
    echo 'Error: MYSQL_ROOT_PASSWORD (MARIADB_ROOT_PASSWORD) is empty. Set it, or MYSQL_ALLOW_EMPTY_PASSWORD=1 (MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1) to allow root without one.' >&2
    exit 1
  fi
  # A server only this script reaches (no TCP: testcontainers waits for the port of the real one).
  socket=/run/mysqld/init.sock
  "$server" --skip-networking --socket="$socket" --innodb-flush-log-at-trx-commit=0 --skip-log-bin >/dev/null 2>&1 &
  pid=$!
  i=0
  until "$client" --socket="$socket" -uroot -e 'SELECT 1' >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -gt 600 ] || ! kill -0 "$pid" 2>/dev/null; then echo 'Error: the server for setting up did not start' >&2; exit 1; fi
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
  } | "$client" --socket="$socket" -uroot
  MYSQL_PWD="$root_password" "$client" --socket="$socket" -uroot -e SHUTDOWN
  wait "$pid" || true
  touch /var/lib/mysql/.env-applied
fi

exec "$@"
