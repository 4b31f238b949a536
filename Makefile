# Dukaan. `make run` and `make test` are the README's quick start.
GO ?= go
FUZZTIME ?= 5s

.PHONY: run dev test vet unit fuzz build clean

run:
	$(GO) run ./cmd/dukaan

# The shop through a local nginx edge (needs nginx and
# libnginx-mod-http-cache-purge): http://demo.localhost:8000
dev:
	scripts/dev.sh

# The whole suite: vet, every test with the race detector (storage tests
# run on SQLite and PostgreSQL), then each fuzz target for a short time.
test: vet unit fuzz

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 -timeout 15m ./...

fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzResolve$$' -fuzztime=$(FUZZTIME) ./tenant
	$(GO) test -run='^$$' -fuzz='^FuzzParseRupees$$' -fuzztime=$(FUZZTIME) ./app
	$(GO) test -run='^$$' -fuzz='^FuzzParseOrderForm$$' -fuzztime=$(FUZZTIME) ./web

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/dukaan ./cmd/dukaan

clean:
	rm -rf bin data
