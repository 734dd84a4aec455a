# scratch.sh - fresh databases for scenario tests, through the engines' own clients.
# scratch_url ENGINE NAME prints a URL for a new empty database (sqlite: a file in $TMP).
scratch_url() {
  local engine=$1 name=$2
  case $engine in
    sqlite) rm -f "$TMP/$name.db"; echo "sqlite:$TMP/$name.db" ;;
    postgres)
      psql -q "$SLUICE_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null
      echo "${SLUICE_TEST_PG_URL%/*}/$name" ;;
    mysql)
      mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$SLUICE_TEST_MY_PORT" -usluice -psluice-test-pw \
        -e "DROP DATABASE IF EXISTS $name; CREATE DATABASE $name" >/dev/null
      echo "${SLUICE_TEST_MY_URL%/*}/$name" ;;
  esac
}

# sql ENGINE URL QUERY: runs QUERY with the engine's client, prints rows tab-separated
sql() {
  local engine=$1 url=$2 q=$3
  case $engine in
    sqlite) sqlite3 -cmd ".timeout 10000" -separator $'\t' "${url#sqlite:}" "$q" ;; # waits on a reader (a watch)
    postgres) psql -qAt -F $'\t' "$url" -c "$q" ;;
    mysql) mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$SLUICE_TEST_MY_PORT" -usluice -psluice-test-pw \
             -N -B "${url##*/}" -e "$q" ;;
  esac
}

# engines available to this run: sqlite always, the servers when configured
engines() {
  echo sqlite
  [ -n "${SLUICE_TEST_PG_URL:-}" ] && echo postgres
  [ -n "${SLUICE_TEST_MY_URL:-}" ] && echo mysql
  if [ "${SLUICE_TEST_REQUIRE:-}" = 1 ] && { [ -z "${SLUICE_TEST_PG_URL:-}" ] || [ -z "${SLUICE_TEST_MY_URL:-}" ]; }; then
    echo "servers required but not configured" >&2; return 1
  fi
}
