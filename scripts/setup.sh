#!/usr/bin/env bash
# Installs what the tests and code generation need and a fresh machine lacks.
# Idempotent: each step is skipped when its result is already there.
#   redis-server  from Debian's packages (needs root and apt)
#   .tools/bin    Go tools: gofakes3 and versitygw (S3 test servers), grpcurl, protoc-gen-go(-grpc)
#   .venv         Python venv for the Python client, its tests and the Python codegen
#   node_modules  npm ci
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { printf '[setup] %s\n' "$*"; }

if ! command -v redis-server >/dev/null 2>&1; then
  say "installing redis-server from Debian's packages"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "redis-server is missing and this is not root: apt-get install redis-server" >&2; exit 1
  fi
fi

export GOBIN="$root/.tools/bin"
mkdir -p "$GOBIN"
go_tool() { # name module@version
  if [ ! -x "$GOBIN/$1" ] || [ "$(cat "$GOBIN/.$1.version" 2>/dev/null)" != "$2" ]; then
    say "go install $2"
    GOFLAGS=-mod=mod go install "$2"
    echo "$2" >"$GOBIN/.$1.version"
  fi
}
go_tools() {
  go_tool gofakes3 github.com/johannesboyne/gofakes3/cmd/gofakes3@v1.2.0
  # A second, real S3 implementation (posix backend) whose reads are not atomic: issue 16. ~80 s to build.
  go_tool versitygw github.com/versity/versitygw/cmd/versitygw@v1.8.0
  go_tool grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4
  go_tool protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
  go_tool protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
  if [ -f clients/go/go.mod ]; then (cd clients/go && go mod download); fi
  (cd deploy/validate && go mod download) # compose-go, k8s.io/api: the deploy files' checks
}

req=clients/python/requirements.txt
python_venv() {
  if [ ! -x .venv/bin/python ] || ! cmp -s "$req" .venv/.requirements 2>/dev/null; then
    say "creating .venv from $req"
    python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check -r "$req"
    cp "$req" .venv/.requirements
  fi
}

npm_install() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "npm ci"
    npm ci --no-audit --no-fund >/dev/null
  fi
}

# The three are independent (Go compiles, pip and npm mostly download): run them side by side,
# each logging to a file printed if it fails.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
go_tools >"$logs/go" 2>&1 & go_pid=$!
python_venv >"$logs/python" 2>&1 & py_pid=$!
npm_install >"$logs/npm" 2>&1 & npm_pid=$!
failed=0
for step in go:$go_pid python:$py_pid npm:$npm_pid; do
  name=${step%%:*}
  if wait "${step#*:}"; then cat "$logs/$name"; else
    echo "[setup] $name step failed:" >&2; cat "$logs/$name" >&2; failed=1
  fi
done
[ "$failed" -eq 0 ] || exit 1
say "ready"
