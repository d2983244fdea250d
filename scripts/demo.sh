#!/usr/bin/env bash
# `npm run demo`: a working local stack in one command on a Debian machine. Installs
# redis-server and prosody if missing, the npm dependencies if node_modules is missing or
# older than package-lock.json, then runs scripts/demo.ts (private Redis + Prosody, roomgate
# with the demo network; Ctrl-C stops all).
# Options go to scripts/demo.ts: npm run demo -- --help
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "demo: Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

bash scripts/ensure-debian-packages.sh redis-server prosody prosody-modules
# also when package-lock.json changed since the last install (npm writes node_modules/.package-lock.json)
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund </dev/null
fi

# roomgate runs in this process: the young generation it is tuned for (bin/roomgate.js)
exec node --max-semi-space-size=64 --import tsx scripts/demo.ts "$@"
