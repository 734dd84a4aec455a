#!/usr/bin/env bash
# servers.sh - throwaway PostgreSQL and MariaDB servers for the test suite.
#
#   tests/servers/servers.sh start DIR   init + start both in DIR, on free loopback ports;
#                                        writes DIR/env (SLUICE_TEST_PG_URL, SLUICE_TEST_MY_URL, ...)
#   tests/servers/servers.sh stop DIR    stop both (by pid) and delete DIR
#   tests/servers/servers.sh down DIR pg|my   stop one of them, keeping its data (a restart test's
#   tests/servers/servers.sh up DIR pg|my     own servers only) / start it again on the same port
#
# PostgreSQL refuses to run as root, so as root it runs as the unprivileged
# "postgres" user (created by Debian's package); MariaDB runs as "mysql".
# Both listen on 127.0.0.1 and on unix sockets inside DIR only.
set -euo pipefail

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,12p' "$0"; exit 2; }

# The first port from $1 up that nothing listens on and that can be bound now.
# A connect probe alone is not enough: a port held by an outgoing connection
# (or in TIME_WAIT) accepts no connection yet cannot be listened on. The
# defaults sit below Linux's ephemeral range (32768-60999) for the same reason.
free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null ||
    ! python3 -c 'import socket,sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' "$p" 2>/dev/null; do
    p=$((p + 1))
  done
  echo "$p"
}

as_user() { # as_user USER CMD...: run as USER when root, else as ourselves
  local u=$1; shift
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$u" -- "$@"; else "$@"; fi
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

start_pg() {
  local bin port; bin=$(pg_bin)
  [ -n "$bin" ] || { echo "servers.sh: no PostgreSQL server installed (scripts/deps.sh test)" >&2; return 1; }
  port=$(free_port "${SLUICE_TEST_PG_PORT:-25432}")
  mkdir -p "$dir/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir/pg"
  as_user postgres "$bin/initdb" -D "$dir/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$dir/pg/initdb.log" 2>&1 || { cat "$dir/pg/initdb.log" >&2; return 1; }
  cat >>"$dir/pg/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/pg'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
logging_collector = off
CONF
  # another suite may take the same free port between the probe and the start: try the next one
  local tries
  for tries in 1 2 3 4 5; do
    as_user postgres "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -o "-p $port" -w -t 60 start \
      >/dev/null && break
    grep -q 'could not bind\|already in use' "$dir/pg/server.log" 2>/dev/null && [ "$tries" -lt 5 ] \
      || { tail -20 "$dir/pg/server.log" >&2; return 1; }
    port=$(free_port $((port + 1)))
  done
  echo "port = $port" >>"$dir/pg/data/postgresql.conf" # a later plain restart keeps it
  echo "export SLUICE_TEST_PG_URL=postgresql://postgres@127.0.0.1:$port/postgres" >>"$dir/env"
  echo "export SLUICE_TEST_PG_PORT=$port SLUICE_TEST_PG_SOCKET=$dir/pg" >>"$dir/env"
}

# launch_my PORT: starts mariadbd on the data in $dir/my and waits until it answers (0) or exits (1).
launch_my() {
  local port=$1 mysqld i
  mysqld=$(command -v mariadbd || echo /usr/sbin/mariadbd)
  local userarg=()
  [ "$(id -u)" -eq 0 ] && userarg=(--user=mysql)
  "$mysqld" --no-defaults "${userarg[@]}" --datadir="$dir/my/data" --tmpdir="$dir/my/tmp" \
    --bind-address=127.0.0.1 --port="$port" --socket="$dir/my/mysqld.sock" \
    --pid-file="$dir/my/mysqld.pid" --log-error="$dir/my/error.log" \
    --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 --skip-log-bin \
    --max-allowed-packet=256M --local-infile=1 --max-connections=200 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci >/dev/null 2>&1 &
  local pid=$!
  for i in $(seq 1 120); do
    mariadb-admin --no-defaults --socket="$dir/my/mysqld.sock" -uroot ping >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || return 1 # exited: a port taken meanwhile, or a real failure
    sleep 0.5
  done
  return 1
}

stop_my() {
  local pid i
  [ -f "$dir/my/mysqld.pid" ] || return 0
  pid=$(cat "$dir/my/mysqld.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
}

start_my() {
  local port mysqld i
  mysqld=$(command -v mariadbd || echo /usr/sbin/mariadbd)
  [ -x "$mysqld" ] || { echo "servers.sh: no MariaDB server installed (scripts/deps.sh test)" >&2; return 1; }
  port=$(free_port "${SLUICE_TEST_MY_PORT:-26406}")
  mkdir -p "$dir/my/data" "$dir/my/tmp"
  [ "$(id -u)" -eq 0 ] && chown -R mysql:mysql "$dir/my"
  local userarg=()
  [ "$(id -u)" -eq 0 ] && userarg=(--user=mysql)
  mariadb-install-db --no-defaults --datadir="$dir/my/data" "${userarg[@]}" \
    --auth-root-authentication-method=normal --skip-test-db >"$dir/my/install.log" 2>&1 \
    || { cat "$dir/my/install.log" >&2; return 1; }
  local tries
  for tries in 1 2 3 4 5; do
    launch_my "$port" && break
    grep -q 'Bind on TCP/IP port\|already in use' "$dir/my/error.log" 2>/dev/null && [ "$tries" -lt 5 ] \
      || { tail -20 "$dir/my/error.log" >&2; return 1; }
    port=$(free_port $((port + 1)))
  done
  echo "$port" >"$dir/my/port" # for `up` after `down`
  mariadb --no-defaults --socket="$dir/my/mysqld.sock" -uroot <<SQL
CREATE USER 'sluice'@'127.0.0.1' IDENTIFIED BY 'sluice-test-pw';
CREATE USER 'sluice'@'localhost' IDENTIFIED BY 'sluice-test-pw';
GRANT ALL PRIVILEGES ON *.* TO 'sluice'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'sluice'@'localhost' WITH GRANT OPTION;
CREATE DATABASE sluice_test;
SQL
  echo "export SLUICE_TEST_MY_URL=mysql://sluice:sluice-test-pw@127.0.0.1:$port/sluice_test" >>"$dir/env"
  echo "export SLUICE_TEST_MY_PORT=$port SLUICE_TEST_MY_SOCKET=$dir/my/mysqld.sock" >>"$dir/env"
}

stop_all() {
  local bin pid i
  bin=$(pg_bin)
  if [ -f "$dir/pg/data/postmaster.pid" ] && [ -n "$bin" ]; then
    as_user postgres "$bin/pg_ctl" -D "$dir/pg/data" -m immediate -w -t 60 stop >/dev/null 2>&1 \
      || kill -9 "$(head -1 "$dir/pg/data/postmaster.pid")" 2>/dev/null || true
  fi
  stop_my
  case "$dir" in /tmp/*|/var/tmp/*) rm -rf "$dir" ;; *) echo "servers.sh: left $dir in place" >&2 ;; esac
}

case "$cmd" in
  start)
    mkdir -p "$dir"; chmod 755 "$dir"; : >"$dir/env"
    start_pg && start_my || { stop_all; exit 1; } ;;
  stop) stop_all ;;
  down)
    case ${3:-} in
      pg) as_user postgres "$(pg_bin)/pg_ctl" -D "$dir/pg/data" -m fast -w -t 60 stop >/dev/null ;;
      my) stop_my ;;
      *) echo "servers.sh: down DIR pg|my" >&2; exit 2 ;;
    esac ;;
  up)
    case ${3:-} in
      pg) as_user postgres "$(pg_bin)/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 start >/dev/null ;;
      my) [ -s "$dir/my/port" ] || { echo "servers.sh: $dir/my/port missing: not started by this script" >&2; exit 1; }
          launch_my "$(cat "$dir/my/port")" || { tail -20 "$dir/my/error.log" >&2; exit 1; } ;;
      *) echo "servers.sh: up DIR pg|my" >&2; exit 2 ;;
    esac ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
