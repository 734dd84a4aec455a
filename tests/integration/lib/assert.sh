# assert.sh - tiny helpers for scenario tests that drive the real sluice binary.
# Source it; call `finish` at the end. Needs $SLUICE (the binary) from ctest.
set -u
failures=0
passes=0
TMP=$(mktemp -d /tmp/sluice-scn.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# run CMD...: runs it, keeping stdout in $TMP/out, stderr in $TMP/err, exit code in $rc
run() { "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?; }

ok() { passes=$((passes + 1)); }
bad() { failures=$((failures + 1)); echo "FAIL: $*" >&2; echo "  stdout: $(head -c 600 "$TMP/out")" >&2; echo "  stderr: $(head -c 600 "$TMP/err")" >&2; }

expect_rc() { # expect_rc CODE DESCRIPTION
  if [ "$rc" -eq "$1" ]; then ok; else bad "$2: exit $rc, expected $1"; fi
}
expect_out() { # expect_out PATTERN DESCRIPTION (fixed string in stdout)
  if grep -qF -- "$1" "$TMP/out"; then ok; else bad "$2: stdout lacks \"$1\""; fi
}
expect_err() {
  if grep -qF -- "$1" "$TMP/err"; then ok; else bad "$2: stderr lacks \"$1\""; fi
}
expect_nowhere() { # expect_nowhere STRING DESCRIPTION: in neither stdout nor stderr
  if grep -qF -- "$1" "$TMP/out" "$TMP/err"; then bad "$2: \"$1\" was printed"; else ok; fi
}
finish() {
  echo "$passes passed, $failures failed"
  [ "$failures" -eq 0 ]
}
