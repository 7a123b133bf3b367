#!/usr/bin/env bash
# redis-server for the end-to-end tests (Redis Streams pub/sub and Redis state). Only the binary is needed:
# the tests start their own server on a free port, so no system-wide service is started here.
set -euo pipefail
source "$(dirname "$0")/../lib/debian-package.sh"

if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server present: $(redis-server --version | cut -d' ' -f1-3)"
  exit 0
fi
debian_package redis-server
echo "redis-server installed: $(redis-server --version | cut -d' ' -f1-3)"
