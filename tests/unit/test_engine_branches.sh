#!/usr/bin/env bash
# test_engine_branches.sh - core code asks the driver, not "is this MySQL?"
# (docs/ARCHITECTURE.md, "Adding a driver"):
#   - above src/db/, in the modules that must work for any driver, an engine
#     is named (SL_ENGINE_POSTGRES/MYSQL/SQLITE) only in per-dialect data
#     tables, each under a comment that says "dialect table:" and why;
#   - no engine's client header (sqlite3.h, libpq-fe.h, mysql.h) is included
#     outside src/db/.
# What replaces a branch: a capability bit (conn.h), a fact or spelling of the
# engine's dialect descriptor (dialect.h), or a driver hook (sys/driver.h).
cd "$SLUICE_SOURCE_DIR" || exit 2
fails=0 passes=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { passes=$((passes + 1)); }

dirs="src/copy src/check src/migrate src/report src/state src/config cli src/rehearse src/sync src/snapshot
  src/mask src/subset src/pii src/map src/watch src/cutover src/expand src/dist"
existing=""
for d in $dirs; do [ -d "$d" ] && existing="$existing $d"; done
# every hit must have "dialect table:" in a comment at most 15 lines above it, in the same file
bad=$(grep -rnE 'SL_ENGINE_(POSTGRES|MYSQL|SQLITE)' $existing --include='*.c' --include='*.h' |
  while IFS=: read -r file line _; do
    from=$((line > 15 ? line - 15 : 1))
    sed -n "${from},${line}p" "$file" | grep -q 'dialect table:' || echo "$file:$line: $(sed -n "${line}p" "$file")"
  done)
[ -z "$bad" ] && pass || fail "an engine named outside a dialect table (use a capability, the dialect descriptor or a driver hook):
$bad"

hdr=$(grep -rnE '#include *[<"](sqlite3|libpq-fe|mysql)\.h[>"]' src cli include --include='*.c' --include='*.h' |
  grep -v '^src/db/' || true)
[ -z "$hdr" ] && pass || fail "an engine header outside src/db/:
$hdr"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
