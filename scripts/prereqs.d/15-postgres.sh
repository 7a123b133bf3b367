#!/usr/bin/env bash
# PostgreSQL for the end-to-end tests of the state query API (state.postgresql). Only the server's
# binaries are needed: the tests create and start their own cluster in a temporary folder on a free
# port, so no system-wide cluster or service is started here.
set -euo pipefail
source "$(dirname "$0")/../lib/debian-package.sh"

server() { ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n 1 || true; }

if [ -n "$(server)" ]; then
  echo "postgres present: $("$(server)" --version)"
  exit 0
fi
debian_package postgresql
echo "postgres installed: $("$(server)" --version)"
