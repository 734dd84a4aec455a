#!/usr/bin/env bash
# test_banned.sh - functions sluice's C code must not call (STYLE.md): unbounded
# copies and formats, and number parsing that cannot report an error. Use
# memcpy/snprintf/sl_buf_* and strtol/strtoll with an end pointer instead.
cd "$SLUICE_SOURCE_DIR" || exit 2
banned='strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|atof|strtok|tmpnam|mktemp'
hits=$(grep -rnE "(^|[^a-zA-Z0-9_])($banned)[[:space:]]*\(" src cli include --include='*.c' --include='*.h' \
  | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|//|/\*)' || true)
if [ -n "$hits" ]; then
  echo "banned functions used:"
  echo "$hits"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "1 passed, 0 failed"
