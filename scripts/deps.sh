#!/usr/bin/env bash
# deps.sh - install the Debian packages sluice needs, skipping what is present.
#
#   scripts/deps.sh build    compilers and -dev libraries, the sqlite3 CLI (make, make demo)
#   scripts/deps.sh test     build + servers, clang/libFuzzer, sqlite3 CLI (make check)
#   scripts/deps.sh bench    test + the tools benchmarks compare against
#
# Idempotent. Needs root (or sudo) only when something is missing.
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config libsqlite3-dev libpq-dev libmariadb-dev sqlite3
  libpg-query-dev libfyaml-dev libjansson-dev libxxhash-dev libssl-dev libcmocka-dev)
test_pkgs=(postgresql mariadb-server mariadb-client sqlite3 clang libclang-rt-14-dev python3 procps cppcheck clang-format git
  chromium)
bench_pkgs=(pgloader sqitch percona-toolkit hyperfine time libdbd-pg-perl libdbd-sqlite3-perl
  libdbd-mysql-perl postgresql-client)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "sluice: installing Debian packages: ${missing[*]}" >&2
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "sluice: these packages are missing and installing them needs root: ${missing[*]}" >&2
    echo "sluice: run as root, or: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
# keep package scripts from starting system-wide database services: tests run their own
prc=/usr/sbin/policy-rc.d made=0
if [ ! -e $prc ]; then printf '#!/bin/sh\nexit 101\n' | $SUDO tee $prc >/dev/null; $SUDO chmod +x $prc; made=1; fi
cleanup() { if [ $made = 1 ]; then $SUDO rm -f $prc; fi; }
trap cleanup EXIT
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then $SUDO apt-get update -q >&2; fi
if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
  $SUDO apt-get update -q >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
