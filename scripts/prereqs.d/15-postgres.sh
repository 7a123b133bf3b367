#!/usr/bin/env bash
# PostgreSQL for the end-to-end tests of the state query API (state.postgresql). Only the server's
# binaries are needed: the tests create and start their own cluster in a temporary folder on a free
# port, so no system-wide cluster or service is started here.
set -euo pipefail

found=$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$found" ]; then
  echo "postgres present: $("$found" --version)"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "postgres is missing; install it with 'sudo apt-get install -y postgresql' (Debian/Ubuntu)" >&2
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
apt-get install -y -qq --no-install-recommends postgresql
if [ "$created_policy" -eq 1 ]; then
  rm -f "$policy"
fi
found=$(ls -d /usr/lib/postgresql/*/bin/postgres | sort -V | tail -n 1)
echo "postgres installed: $("$found" --version)"
