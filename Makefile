# Dukaan. `make run` and `make test` are the README's quick start.
GO ?= go
FUZZTIME ?= 5s

.PHONY: run dev observe stack test vet unit fuzz build lab bench bench-profile lighthouse clean

run:
	$(GO) run ./cmd/dukaan

# The shop through a local nginx edge (needs nginx and
# libnginx-mod-http-cache-purge): http://demo.localhost:8000
dev:
	scripts/dev.sh

# Prometheus on http://127.0.0.1:9090 watching `make dev` (run that first):
# needs prometheus, mtail and prometheus-nginx-exporter. Dashboards are in
# monitoring/grafana.
observe:
	scripts/observe.sh

# The production topology on loopback (stack/): PostgreSQL and Redis (the
# running ones, else private), two app replicas, two nginx edges behind one
# entry port, mtail and the nginx exporter per edge, Prometheus; demo store
# at http://demo.localhost:8000, and over HTTPS through Caddy (its internal
# CA; root in data/stack/caddy-root.crt) at https://demo.localhost:8443.
# Ctrl-C stops it all; files in data/stack.
# Needs nginx-light, libnginx-mod-http-cache-purge, prometheus, mtail,
# prometheus-nginx-exporter, caddy (or STACK_FLAGS='-tls-port -1'). `make stack STACK_FLAGS='-entry-port 9000'`;
# `bin/dukaan-lab stack -h` lists the flags. The replicas run bin/dukaan
# as DUKAAN_ENV=development: production requires DUKAAN_HTTPS=true, and
# the stack speaks plain HTTP on loopback.
STACK_FLAGS ?=
stack: build lab
	bin/dukaan-lab stack $(STACK_FLAGS)

# The whole suite: vet, every test with the race detector (storage tests
# run on SQLite and PostgreSQL), then each fuzz target for a short time.
test: vet unit fuzz

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 -timeout 20m ./...

fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzResolve$$' -fuzztime=$(FUZZTIME) ./tenant
	$(GO) test -run='^$$' -fuzz='^FuzzParseRupees$$' -fuzztime=$(FUZZTIME) ./app
	$(GO) test -run='^$$' -fuzz='^FuzzParseOrderForm$$' -fuzztime=$(FUZZTIME) ./web

# bin/dukaan is the binary the image ships (deploy/Dockerfile builds the
# same package); bin/dukaan-lab (cmd/dukaan-lab) holds the bench and the
# stack, which run bin/dukaan, so their load generators stay out of it.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/dukaan ./cmd/dukaan

lab:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/dukaan-lab ./cmd/dukaan-lab

# Benchmarks (bench/): the real stack on loopback — PostgreSQL database
# dukaan_bench on 127.0.0.1:5432, a private redis-server, the app, an nginx
# edge, a static nginx as the ceiling — every scenario with wrk, vegeta and
# pgbench, then BENCHMARKS.md, bench/out/results.json, bench/out/throughput.svg.
# Needs wrk, nginx-light, libnginx-mod-http-cache-purge, pgbench, redis-server.
# `make bench BENCH_FLAGS='-stores 100 -runs 5'`; `bin/dukaan-lab bench -h`
# lists them. The app under test is bin/dukaan.
BENCH_FLAGS ?=
bench: build lab
	bin/dukaan-lab bench $(BENCH_FLAGS)

# The app tiers again with a CPU profile of each (a -tags pprof build);
# profiles and their `go tool pprof -top` go to bench/out/profile/profiles.
bench-profile: lab
	$(GO) build -tags pprof -o bin/dukaan-pprof ./cmd/dukaan
	bin/dukaan-lab bench -binary bin/dukaan-pprof -pprof -only tiers -markdown '' -out bench/out/profile $(BENCH_FLAGS)

# Lighthouse 12 (internal/lighthouse; once: `cd internal/lighthouse && npm ci`)
# with its mobile preset on the demo shop's front, category and product
# pages through an nginx edge on loopback, three runs each: medians in
# LIGHTHOUSE.md, every run's scores in bench/out/lighthouse.json, the full
# reports in data/lighthouse/reports. Drives /usr/bin/chromium (no browser
# download); needs what `make stack` needs. Stops by itself (-timeout 20m).
# `make lighthouse LIGHTHOUSE_FLAGS='-runs 5'`; `bin/dukaan-lab lighthouse -h`.
LIGHTHOUSE_FLAGS ?=
lighthouse: build lab
	bin/dukaan-lab lighthouse $(LIGHTHOUSE_FLAGS)

clean:
	rm -rf bin data
