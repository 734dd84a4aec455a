#!/usr/bin/env bash
# test_cppcheck.sh - static analysis of the library and the command line with
# cppcheck (warnings and portability); any finding fails the suite.
cd "$SLUICE_SOURCE_DIR" || exit 2
command -v cppcheck >/dev/null || { echo "cppcheck not installed (scripts/deps.sh test)"; exit 1; }
if cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability --inline-suppr \
     -I include -I src --suppress=missingIncludeSystem src cli; then
  echo "1 passed, 0 failed"
else
  echo "0 passed, 1 failed"
  exit 1
fi
