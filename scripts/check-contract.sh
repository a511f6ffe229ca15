#!/usr/bin/env bash
# Gates every change to the contract:
#   1. buf lint (STANDARD) on proto/smarterbase;
#   2. buf breaking (FILE) against the released baseline image
#      (proto/baseline/smarterbase.binpb) and, on a branch other than main,
#      against main itself;
#   3. codegen drift: regenerating must not change the committed stubs.
# To release a new baseline deliberately: bash scripts/check-contract.sh --update-baseline
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
baseline=proto/baseline/smarterbase.binpb

if [ "${1:-}" = --update-baseline ]; then
  mkdir -p "$(dirname "$baseline")"
  buf build --path proto/smarterbase -o "$baseline"
  echo "baseline written to $baseline"; exit 0
fi

echo "[contract] buf lint"
buf lint
current=$(mktemp --suffix=.binpb)
main_image=$(mktemp --suffix=.binpb)
trap 'rm -f "$current" "$main_image"' EXIT
buf build --path proto/smarterbase -o "$current"
echo "[contract] buf breaking against $baseline"
buf breaking "$current" --against "$baseline"
branch=$(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo main)
if [ "$branch" != main ] && git rev-parse -q --verify main >/dev/null; then
  echo "[contract] buf breaking against main"
  # Built with the same --path as $current: against the whole git input buf
  # sees two images (our module and proto/vendor) and refuses to compare.
  buf build ".git#branch=main" --path proto/smarterbase -o "$main_image"
  buf breaking "$current" --against "$main_image"
fi
echo "[contract] codegen drift"
gen_paths=(server/src/gen server/src/errors/error-reason.gen.ts clients/ts/src/gen clients/go/gen clients/go/smarterbase/reasons_gen.go clients/python/gen)
bash scripts/generate.sh
if [ -n "$(git status --porcelain -- "${gen_paths[@]}")" ]; then
  echo "generated code differs from what buf generate makes; run 'npm run generate' and commit:" >&2
  git status --porcelain -- "${gen_paths[@]}" >&2
  exit 1
fi
echo "[contract] ok"
