#!/usr/bin/env bash
# demo.sh - the main job on the embedded default (SQLite), nothing to start:
# inspect the example billing database, as text and as a Markdown data map.
# Each capability adds its step here (`make demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
SLUICE=${1:-build/sluice}
EX=examples/billing
WORK=$(mktemp -d /tmp/sluice-demo.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cp "$EX/billing.db" "$WORK/billing.db"
DB="sqlite:$WORK/billing.db"

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2" | sed "s|$WORK|\$WORK|g"; }

step "1. What is in the example database" "sluice inspect $DB"
"$SLUICE" inspect "$DB"

step "2. The same, as a data map for the whole team" "sluice inspect $DB --format md"
"$SLUICE" inspect "$DB" --format md --title "Billing (example)"
