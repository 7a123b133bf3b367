#!/usr/bin/env bash
# redis-server for the end-to-end tests (Redis Streams pub/sub and Redis state). Only the binary is needed:
# the tests start their own server on a free port, so no system-wide service is started here.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server present: $(redis-server --version | cut -d' ' -f1-3)"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "redis-server is missing; install it with 'sudo apt-get install -y redis-server' (Debian/Ubuntu)" >&2
  echo "or your system's package manager, then run 'make prereqs' again." >&2
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d keeps the package's post-install script from starting a system-wide server.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  created_policy=1
fi
apt-get install -y -qq --no-install-recommends redis-server
if [ "$created_policy" -eq 1 ]; then
  rm -f "$policy"
fi
echo "redis-server installed: $(redis-server --version | cut -d' ' -f1-3)"
