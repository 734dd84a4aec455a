#!/usr/bin/env bash
# check.sh - the whole test suite (`make check`, and CI through .ci/run).
#
# Builds with clang, -Werror, AddressSanitizer and UndefinedBehaviorSanitizer
# plus the libFuzzer targets; starts a throwaway PostgreSQL and MariaDB on free
# loopback ports (tests/servers/servers.sh); runs unit, integration and short
# fuzz tests through ctest; stops the servers whatever happens. ctest's
# summary is the last thing printed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

BUILD=${CHECK_BUILD:-build-check}
JOBS=$(nproc 2>/dev/null || echo 2)

CC=clang cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON \
  -DSLUICE_FUZZ=ON -DSLUICE_FUZZ_SECONDS="${FUZZ_SECONDS:-15}" >"$BUILD.cmake.log" 2>&1 \
  || { cat "$BUILD.cmake.log" >&2; exit 1; }
cmake --build "$BUILD" -j"$JOBS" 2>&1 | grep -vE '^\[ *[0-9]+%\]' || true
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "check: build failed" >&2; exit 1; }

SERVERS=$(mktemp -d /tmp/sluice-check.XXXXXX)
# absolute path: the trap runs after the cd into the build directory below
cleanup() { "$ROOT/tests/servers/servers.sh" stop "$SERVERS" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
"$ROOT/tests/servers/servers.sh" start "$SERVERS"
# shellcheck disable=SC1091
. "$SERVERS/env"
export SLUICE_TEST_REQUIRE=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

cd "$BUILD"
ctest --output-on-failure -j"$JOBS" --timeout 900
