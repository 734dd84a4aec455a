# fixtures.sh - loads the peers' databases of ../shared/data into scratch
# databases with each engine's own client, as each folder's README says, for
# test_copy_samples.sh and test_conformance.sh. Source scratch.sh first; needs
# $DATA (the shared data folder) and $TMP.
#
# Every loader takes the URL of an empty database (sqlite: a path to create),
# returns the client's exit status and leaves the client's errors in
# $TMP/load.err. Where a script names its own database, the name is rewritten
# to the scratch database's.

my_client() { mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$SLUICE_TEST_MY_PORT" -usluice -psluice-test-pw "$@"; }

# load_pg URL FILE...: psql with ON_ERROR_STOP
load_pg() {
  local url=$1 a=()
  shift
  for f; do a+=(-f "$f"); done
  psql -q -v ON_ERROR_STOP=1 "$url" "${a[@]}" >/dev/null 2>"$TMP/load.err"
}

# load_my URL [client options]: the script on stdin into URL's database
load_my() {
  local db=${1##*/}
  shift
  my_client "$@" "$db" >/dev/null 2>"$TMP/load.err"
}

# my_routines: neosync's MySQL scripts write CREATE FUNCTION/PROCEDURE/TRIGGER
# bodies (BEGIN ... END;) with their DELIMITER lines commented out, which only
# a compound-statement splitter loads; the client needs the DELIMITER back
my_routines() {
  awk '/^--[ \t]*DELIMITER/ { next }
       /^[ \t]*CREATE[ \t]+(DEFINER[^ ]*[ \t]+)?(FUNCTION|PROCEDURE|TRIGGER)/ { if (!inb) print "DELIMITER $$"; inb = 1 }
       inb && /^END;[ \t]*\r?$/ { print "END$$"; print "DELIMITER ;"; inb = 0; next }
       { print }'
}

# ---- the samples (chinook, pagila, sakila, northwind) ------------------------
chinook_pg() { # the script drops, creates and \c-connects to "chinook": load it into ours instead
  sed -e '/^DROP DATABASE/d; /^CREATE DATABASE/d; /^\\c /d' "$DATA/chinook/Chinook_PostgreSql.sql" |
    psql -q -v ON_ERROR_STOP=1 "$1" -f - >/dev/null 2>"$TMP/load.err"
}
chinook_my() {
  sed -e '/^DROP DATABASE/d; /^CREATE DATABASE/d; /^USE /d' "$DATA/chinook/Chinook_MySql.sql" | load_my "$1"
}
chinook_sqlite() { cp "$DATA/chinook/Chinook_Sqlite.sqlite" "${1#sqlite:}" 2>"$TMP/load.err"; }
pagila_pg() { load_pg "$1" "$DATA/pagila/pagila-schema.sql" "$DATA/pagila/pagila-data.sql"; }
sakila_my() {
  local db=${1##*/}
  { sed -e "s/\\bsakila\\b/$db/g" "$DATA/sakila/mysql/sakila-mv-schema.sql"
    sed -e "s/^USE sakila;/USE $db;/" "$DATA/sakila/mysql/sakila-mv-data.sql"; } | my_client >/dev/null 2>"$TMP/load.err"
}
sakila_pg() {
  load_pg "$1" "$DATA/sakila/postgres/postgres-sakila-schema.sql" \
    "$DATA/sakila/postgres/postgres-sakila-insert-data-using-copy.sql"
}
northwind_pg() { load_pg "$1" "$DATA/northwind/postgres/northwind.sql"; }
northwind_sqlite() { cp "$DATA/northwind/sqlite/northwind.db" "${1#sqlite:}" 2>"$TMP/load.err"; }

# ---- pgloader's fixtures -----------------------------------------------------
# pgloader_sqlite URL FILE: one of the SQLite files, copied (the folder stays untouched)
pgloader_sqlite() { cp "$DATA/pgloader-fixtures/sqlite/$2" "${1#sqlite:}" 2>"$TMP/load.err"; }
# pgloader_my URL SCRIPT: db789.sql creates and uses its own database
pgloader_my() {
  sed -e "s/\\bdb789\\b/${1##*/}/g" "$DATA/pgloader-fixtures/mysql/$2" | load_my "$1"
}

# ---- neosync's integration-test sets ------------------------------------------
# neosync_pg URL SET: the set's files in load order (its README's table)
neosync_pg() {
  local d=$DATA/neosync-testdata/postgres
  case $2 in
    complex) load_pg "$1" "$d/complex/create-tables.sql" "$d/complex/inserts.sql" ;;
    humanresources) load_pg "$1" "$d/humanresources/create-tables.sql" "$d/humanresources/create-constraints.sql" ;;
    schema-init) load_pg "$1" "$d/schema-init/create-tables.sql" "$d/schema-init/alter-statements.sql" ;;
    sqlmanager) load_pg "$1" "$d/sqlmanager/create-schemas.sql" "$d/sqlmanager/setup.sql" ;;
    selectquerybuilder) load_pg "$1" "$d/selectquerybuilder-setup.sql" ;;
    *) load_pg "$1" "$d/$2/create-tables.sql" ;;
  esac
}
# neosync_my URL SET: sqlmanager creates databases sqlmanagermysql, ...2, ...3, ...4: they
# become URL's database name with suffixes _1 .. _4
neosync_my() {
  local d=$DATA/neosync-testdata/mysql db=${1##*/}
  case $2 in
    complex) cat "$d/complex/create-tables.sql" "$d/complex/inserts.sql" | my_routines | load_my "$1" ;;
    schema-init) cat "$d/schema-init/create-tables.sql" "$d/schema-init/alter-statements.sql" | my_routines |
      load_my "$1" ;;
    sqlmanager)
      cat "$d/sqlmanager/init.sql" "$d/sqlmanager/setup.sql" | my_routines |
        sed -e "s/\\bsqlmanagermysql\\([234]\\)\\b/${db}_\\1/g; s/\\bsqlmanagermysql\\b/${db}_1/g" |
        my_client >/dev/null 2>"$TMP/load.err" ;;
    *) my_routines <"$d/$2/create-tables.sql" | load_my "$1" ;;
  esac
}

# ---- gh-ost's local tests ------------------------------------------------------
# ghost_my URL CASE: the case's create.sql, under its own sql_mode when it has one
ghost_my() {
  local c=$DATA/gh-ost-localtests/$2 mode=()
  [ -f "$c/sql_mode" ] && mode=(--init-command="SET SESSION sql_mode='$(cat "$c/sql_mode")'")
  load_my "$1" "${mode[@]}" <"$c/create.sql"
}
