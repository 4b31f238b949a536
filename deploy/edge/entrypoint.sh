#!/bin/sh
# Starts the edge from EDGE_* variables (defaults in deploy/edge/Dockerfile).
# Any arguments replace the whole command, so the same image runs the
# exporters: `mtail …`, `prometheus-nginx-exporter …`.
set -eu
if [ "$#" -gt 0 ]; then
  exec "$@"
fi
exec /usr/local/bin/dukaan edge \
  --listen "$EDGE_LISTEN" \
  --upstream "$EDGE_UPSTREAMS" \
  --dir "$EDGE_DIR" \
  --purge-allow "$EDGE_PURGE_ALLOW" \
  --max-size "$EDGE_MAX_SIZE" \
  --workers "$EDGE_WORKERS"
