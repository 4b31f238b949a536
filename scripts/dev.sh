#!/usr/bin/env bash
# The shop behind a local nginx edge: http://demo.localhost:8000
# Uses Redis on 127.0.0.1:6379 when it answers. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin data
go build -o bin/dukaan ./cmd/dukaan
if command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
fi
export DUKAAN_EDGES="${DUKAAN_EDGES:-http://127.0.0.1:8000}"
export DUKAAN_PUBLIC_PORT="${DUKAAN_PUBLIC_PORT:-:8000}"
# The edge is on this machine: believe its X-Forwarded-For and X-Request-ID.
export DUKAAN_TRUSTED_PROXIES="${DUKAAN_TRUSTED_PROXIES:-127.0.0.1}"
bin/dukaan serve &
app=$!
bin/dukaan edge --listen 127.0.0.1:8000 --upstream 127.0.0.1:8080 --dir data/edge &
edge=$!
trap 'kill $app $edge 2>/dev/null; wait' INT TERM EXIT
wait -n $app $edge
