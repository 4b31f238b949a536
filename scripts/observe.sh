#!/usr/bin/env bash
# Prometheus, mtail and the nginx exporter for the stack of `make dev`
# (app on 127.0.0.1:8080, edge on 127.0.0.1:8000 with its log in data/edge):
# http://127.0.0.1:9090. Needs Debian's prometheus, mtail and
# prometheus-nginx-exporter. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
log=data/edge/logs/access.log
if [ ! -f "$log" ]; then
  echo "no $log: start the edge first (make dev)" >&2
  exit 1
fi
mkdir -p data/prometheus
mtail --progs monitoring/mtail --logs "$log" --address 127.0.0.1 --port 3903 --logtostderr 2>data/mtail.log &
mt=$!
prometheus-nginx-exporter --nginx.scrape-uri http://127.0.0.1:8000/.edge-status \
  --web.listen-address 127.0.0.1:9113 2>data/nginx-exporter.log &
ex=$!
prometheus --config.file monitoring/prometheus.yml --storage.tsdb.path data/prometheus \
  --web.listen-address 127.0.0.1:9090 &
pr=$!
trap 'kill $mt $ex $pr 2>/dev/null; wait' INT TERM EXIT
echo "Prometheus: http://127.0.0.1:9090 (targets: /targets, rules: /rules, alerts: /alerts)"
wait -n $mt $ex $pr
