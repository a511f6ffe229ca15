#!/usr/bin/env bash
# Regenerates every committed stub from proto/ with local plugins only.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf server/src/gen clients/ts/src/gen clients/go/gen clients/python/gen
npx buf generate --template buf.gen.yaml
npx buf generate --template buf.gen.vendor.yaml
# The server's ErrorReason type (errors/ may not import server/src/gen).
node scripts/gen-error-reasons.js
# The Go client's Reason constants, from the generated ErrorReason_name map.
(cd clients/go && go run ./internal/genreasons smarterbase/reasons_gen.go)
# Python: make the generated tree importable as packages.
find clients/python/gen -type d -exec touch {}/__init__.py \;
