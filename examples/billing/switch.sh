#!/bin/sh
# switch.sh - the example's switch hook: repoints "the application" for one domain by
# writing where it goes into routes/DOMAIN (a real one reloads a proxy, flips a feature
# flag or updates a service registry). The cutover gives it a JSON payload on stdin and
# SLUICE_CUTOVER_* variables. --check exits 0 when the domain already points at the target
# (a resumed run asks before switching again); --back points it at the source again.
set -eu
mode=switch
case "${1:-}" in --check|--back) mode=${1#--}; shift ;; esac
domain=$1
mkdir -p routes
case $mode in
  check) [ "$(cat "routes/$domain" 2>/dev/null)" = target ] ;;
  back) echo source > "routes/$domain" ;;
  switch) cat > /dev/null; echo target > "routes/$domain" ;;
esac
