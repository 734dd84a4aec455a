#!/usr/bin/env bash
# test_format.sh - every C file is formatted as .clang-format says
# (fix with: clang-format -i FILE).
cd "$SLUICE_SOURCE_DIR" || exit 2
command -v clang-format >/dev/null || { echo "clang-format not installed (scripts/deps.sh test)"; exit 1; }
bad=0
for f in $(git ls-files '*.c' '*.h' 2>/dev/null || find src cli include tests fuzz -name '*.[ch]'); do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f"
    bad=$((bad + 1))
  fi
done
if [ $bad -ne 0 ]; then echo "0 passed, 1 failed"; exit 1; fi
echo "1 passed, 0 failed"
