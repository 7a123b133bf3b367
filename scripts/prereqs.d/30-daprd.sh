#!/usr/bin/env bash
# daprd and the Dapr Scheduler built from the github.com/dapr/dapr Go module (cached; see scripts/build-daprd).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v go >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "Go is required to build daprd for the end-to-end tests" >&2
    exit 1
  fi
  echo "Go is missing: the end-to-end tests will be skipped. Install Go >= 1.26.6 and run 'make prereqs'." >&2
  exit 0
fi
start=$(date +%s)
scripts/build-daprd
echo "30-daprd: runtime ready in $(($(date +%s) - start))s"
