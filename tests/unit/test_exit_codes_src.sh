#!/usr/bin/env bash
# test_exit_codes_src.sh - the command line exits only through the codes
# docs/exit-codes.md documents, one meaning each:
#   - the EXIT_* enum of cli/cli.h and the table of docs/exit-codes.md hold
#     the same codes, and no two names share a code;
#   - every SL_E* code of include/sluice/error.h has its case in
#     cli_exit_code() (cli/options.c), so none falls to "internal" unnoticed;
#   - in cli/, no command returns a bare number from cmd_*() or main(), and
#     nothing calls exit(); only the signal handler ends the process itself,
#     with 128 + the signal (130, 143: documented).
# The behaviour is driven end to end by tests/integration/test_exit_codes.sh.
cd "$SLUICE_SOURCE_DIR" || exit 2
fails=0 passes=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { passes=$((passes + 1)); }

enum=$(sed -n '/^enum {/,/^};/p' cli/cli.h | grep -oE 'EXIT_[A-Z_]+ = [0-9]+')
codes=$(echo "$enum" | awk '{print $3}' | sort -n)
[ -n "$codes" ] && pass || fail "no EXIT_* enum in cli/cli.h"
[ "$(echo "$codes" | uniq -d)" = "" ] && pass || fail "two EXIT_* names share a code: $(echo "$codes" | uniq -d | tr '\n' ' ')"
documented=$(grep -oE '^\| *[0-9]+ *\|' docs/exit-codes.md | tr -d '| ' | sort -n)
[ "$codes" = "$documented" ] && pass ||
  fail "cli/cli.h codes ($(echo $codes)) differ from docs/exit-codes.md ($(echo $documented))"

sl_codes=$(grep -oE '\bSL_E[A-Z]+ = -' include/sluice/error.h | awk '{print $1}')
mapped=$(sed -n '/^int cli_exit_code/,/^}/p' cli/options.c)
for c in $(echo $sl_codes SL_ERROR | tr ' ' '\n' | sort -u); do
  echo "$mapped" | grep -q "case $c:" && pass || fail "cli_exit_code() has no case for $c"
done

# return <number> inside cmd_*() and main(); exit() anywhere in cli/
bare=$(awk 'FNR == 1 { inside = 0 }
  /^int (cmd_[a-z_]+|main)\(/ { inside = 1 }
  inside && /^}/ { inside = 0 }
  inside && /return +-?[0-9]+ *;/ { print FILENAME ":" FNR ": " $0 }' cli/*.c)
[ -z "$bare" ] && pass || fail "a command returns a bare number instead of EXIT_*:
$bare"
ex=$(grep -nE '(^|[^a-z_])_?exit\(' cli/*.c | grep -v '^cli/signals.c:.*_exit(128 + sig)' || true)
[ -z "$ex" ] && pass || fail "exit() outside the signal handler:
$ex"
grep -q '_exit(128 + sig)' cli/signals.c && grep -qE '^\| *130 *\|' docs/exit-codes.md && grep -qE '^\| *143 *\|' docs/exit-codes.md &&
  pass || fail "the signal exits (128 + SIGINT, 128 + SIGTERM) are not documented"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
