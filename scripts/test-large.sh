#!/usr/bin/env bash
# The long object test of issue 13, run by CI after the README's test command (`npm test`, which
# already built the server and runs the same suite with a 256 MiB object): a 1 GiB upload and
# download through the gRPC port on a disk-backed S3 server (versitygw), SHA-256 equal and the
# server's RSS growth bounded (test/integration/object-round-trip.test.ts). About a minute here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/.tools/bin:$root/node_modules/.bin:$PATH"
[ -f dist/server/src/main.js ] || npm run --silent build
echo "[test:large] 1 GiB object round trip through the gRPC port"
# Hang guard: killed (with its process group) after 20 min; it takes 1-2 min.
timeout --kill-after=30 1200 env OBJECT_ROUND_TRIP_BYTES=1073741824 jest --ci --runInBand --forceExit test/integration/object-round-trip.test.ts -t 'gRPC port'
