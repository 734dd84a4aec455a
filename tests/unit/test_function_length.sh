#!/usr/bin/env bash
# test_function_length.sh - the size rules of STYLE.md and docs/ARCHITECTURE.md
# over every C file of src/ and cli/:
#   - no function body over 80 lines;
#   - no .c file over 1,000 lines unless it does one job, which a comment
#     "one job:" near its top says (a driver's table of hooks, say).
# Method: the code is clang-formatted (test_format.sh) with Linux braces, so a
# function body is the lines between a "{" alone at column 0 and the next "}"
# alone at column 0 (struct and array initialisers end in "};" and are not
# counted). Its length is the lines strictly between the two braces, blank
# lines and comments included. The function's name is taken from the last
# line at column 0 before the "{" that holds a "(".
cd "$SLUICE_SOURCE_DIR" || exit 2
fails=0 passes=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { passes=$((passes + 1)); }
MAX_FUNCTION=80
MAX_FILE=1000

files=$(find src cli -name '*.c' | sort)

# Functions allowed over the limit for now; the list may only shrink (it is empty: keep it so).
pending="
"

long=$(awk -v max="$MAX_FUNCTION" '
FNR == 1 { start = 0; sig = "" }
start == 0 && /^[A-Za-z_].*\(/ { sig = $0 }
start == 0 && $0 == "{" { start = FNR; next }
start > 0 && $0 == "}" {
	n = FNR - start - 1
	name = sig; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
	if (n > max) printf "%s:%s() %d lines\n", FILENAME, name, n
	start = 0; sig = ""
}' $files)
bad=""
while IFS= read -r row; do
  [ -n "$row" ] || continue
  key=${row% *lines}
  key=${key% *}
  case "$pending" in *"
$key
"*) continue ;; esac
  bad="$bad
  $row"
done <<<"$long"
[ -z "$bad" ] && pass || fail "functions over $MAX_FUNCTION lines (split them by job):$bad"

# a name on the pending list that is short now must leave the list
stale=""
for key in $pending; do
  grep -q "^$key " <<<"$long" || stale="$stale $key"
done
[ -z "$stale" ] && pass || fail "no longer over $MAX_FUNCTION lines, remove from the pending list:$stale"

# Files not yet split (issue 17); this list may only shrink.
pending_files="
"
big=""
for f in $files; do
  n=$(wc -l <"$f")
  [ "$n" -le "$MAX_FILE" ] && continue
  case "$pending_files" in *"
$f
"*) continue ;; esac
  head -40 "$f" | grep -qi 'one job:' || big="$big
  $f ($n lines)"
done
[ -z "$big" ] && pass || fail "files over $MAX_FILE lines doing more than one job (split by job, or say 'one job:' and why near the top):$big"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
