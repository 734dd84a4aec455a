#!/usr/bin/env bash
# test_copy_pipeline.sh - with --jobs 2 the data workers build a table's indexes
# as soon as its rows are loaded, while other tables still load, and the
# foreign key validations run on several connections (docs/copy.md, "Load
# order"):
#   - every key and index exists once after the copy, the rows diff equal, on
#     PostgreSQL and MariaDB targets;
#   - a copy that fails during the data phase (after some tables' indexes were
#     built) is finished by --resume with every index once and no constraint
#     problem;
#   - rows that break foreign keys are reported per key with their count when
#     the validations run in parallel, and the copy exits 1.
. "$SLUICE_SOURCE_DIR/tests/integration/lib/assert.sh"
. "$SLUICE_SOURCE_DIR/tests/integration/lib/scratch.sh"
ENGINES=$(engines) || exit 1

SRC=$TMP/src.db
sqlite3 "$SRC" "CREATE TABLE big (id INTEGER PRIMARY KEY, grp TEXT NOT NULL, n INTEGER, at TEXT);
  CREATE INDEX big_grp ON big (grp, n); CREATE INDEX big_at ON big (at);
  CREATE TABLE small (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, big_id INTEGER REFERENCES big (id));
  CREATE INDEX small_big ON small (big_id);
  CREATE TABLE tiny (id INTEGER PRIMARY KEY, small_id INTEGER REFERENCES small (id), v TEXT);
  CREATE INDEX tiny_small ON tiny (small_id);
  WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 30000)
  INSERT INTO big SELECT i, 'g' || (i % 7), i % 1000, datetime(1700000000 + i, 'unixepoch') FROM s;
  INSERT INTO small SELECT id, 'c' || id, id FROM big WHERE id <= 3000;
  INSERT INTO tiny SELECT id, id, 'v' || id FROM small WHERE id <= 500;"

# index_count ENGINE URL: indexes on big, small and tiny (keys and unique keys included)
index_count() {
  case $1 in
    postgres) sql postgres "$2" "SELECT count(*) FROM pg_indexes WHERE tablename IN ('big', 'small', 'tiny')" ;;
    mysql) sql mysql "$2" "SELECT count(DISTINCT table_name, index_name) FROM information_schema.statistics
             WHERE table_schema = DATABASE() AND table_name IN ('big', 'small', 'tiny')" ;;
  esac
}
fk_count() {
  case $1 in
    postgres) sql postgres "$2" "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated" ;;
    mysql) sql mysql "$2" "SELECT count(*) FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE()" ;;
  esac
}

for e in $ENGINES; do
  [ "$e" = sqlite ] && continue
  # big: key, 2 indexes; small: key, unique code, index (MariaDB: the FK columns' own indexes are reused)
  # tiny: key, index
  want=8

  # --- one run --------------------------------------------------------------------
  url=$(scratch_url "$e" pipe_copy)
  run "$SLUICE" copy "sqlite:$SRC" "$url" --jobs 2 --batch-rows 2000 --json
  expect_rc 0 "$e: copy --jobs 2"
  grep -q '"violations": \[\]' "$TMP/out" && ok || bad "$e: no constraint problem"
  [ "$(index_count "$e" "$url")" = $want ] && ok || bad "$e: $want indexes, got $(index_count "$e" "$url")"
  [ "$(fk_count "$e" "$url")" = 2 ] && ok || bad "$e: 2 foreign keys, got $(fk_count "$e" "$url")"
  run "$SLUICE" diff "sqlite:$SRC" "$url"
  expect_rc 0 "$e: rows equal"

  # --- a failure in the data phase, then --resume ----------------------------------
  # the fifth write of each connection fails: the small tables are loaded and
  # indexed by then, big is not
  url=$(scratch_url "$e" pipe_fault)
  SLUICE_FAULT=write:5 run "$SLUICE" copy "sqlite:$SRC" "$url" --jobs 2 --batch-rows 2000
  expect_rc 3 "$e fault: exit 3"
  expect_err "injected fault" "$e fault: the message"
  run "$SLUICE" copy "sqlite:$SRC" "$url" --jobs 2 --batch-rows 2000 --resume
  expect_rc 0 "$e fault: --resume"
  expect_out "0 constraint problems" "$e fault: indexes built before the failure are skipped"
  [ "$(index_count "$e" "$url")" = $want ] && ok || bad "$e fault: $want indexes, got $(index_count "$e" "$url")"
  [ "$(fk_count "$e" "$url")" = 2 ] && ok || bad "$e fault: 2 foreign keys"
  run "$SLUICE" diff "sqlite:$SRC" "$url"
  expect_rc 0 "$e fault: rows equal after --resume"
done

# --- foreign keys the rows break, validated on two connections ---------------------
if echo "$ENGINES" | grep -qx postgres; then
  BAD=$TMP/bad.db
  cp "$SRC" "$BAD"
  # small: 2 rows pointing nowhere; tiny: 3 rows
  sqlite3 "$BAD" "UPDATE small SET big_id = 900000 + id WHERE id IN (7, 8);
    UPDATE tiny SET small_id = 800000 + id WHERE id IN (1, 2, 3)"
  url=$(scratch_url postgres pipe_fk)
  run "$SLUICE" copy "sqlite:$BAD" "$url" --jobs 2
  expect_rc 1 "foreign keys broken: exit 1"
  expect_err 'of "small" -> "big" failed validation: 2 violating rows' "small's key counted"
  expect_err 'of "tiny" -> "small" failed validation: 3 violating rows' "tiny's key counted"
  expect_out "2 constraint problems" "both reported"
fi

finish
