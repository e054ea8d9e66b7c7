# Picket: the two commands a new user needs are `make demo` and `make test`.
GO      ?= go
BIN     := bin/picket
PKGS    := ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/picket-dev/picket/internal/cli.Version=$(VERSION)

.PHONY: all build demo test test-deps vet bench fuzz clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/picket

# Ingest the bundled attack scenario, print the findings, serve the API on
# 127.0.0.1:7420 until Ctrl-C.
demo: build
	./$(BIN) demo

# Everything the tests need is installed or started by the tests themselves
# (PostgreSQL 15 through initdb/pg_ctl in a temporary directory).
test: test-deps vet
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

test-deps:
	@scripts/test-deps.sh

vet:
	$(GO) vet $(PKGS)

# Go benchmarks for the hot paths, then the corpus benchmark (200k records,
# one core).
bench: build
	GOMAXPROCS=1 $(GO) test -run '^$$' -bench . -benchmem -count 3 \
		./internal/decode/jsonstream ./internal/decode/cloudtrail ./internal/decode/vpcflow ./internal/decode/dnslog \
		./internal/detect/builtin ./internal/detect/state ./internal/intel ./internal/pipeline
	./$(BIN) bench --records 200000 --cores 1

# Short fuzzing runs of every fuzz target.
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzScanner -fuzztime $(FUZZTIME) ./internal/decode/jsonstream
	$(GO) test -run '^$$' -fuzz FuzzFastTime -fuzztime $(FUZZTIME) ./internal/decode
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/decode/cloudtrail
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/decode/vpcflow
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/decode/dnslog
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./internal/config
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/awsip
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/geoasn
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/search
	$(GO) test -run '^$$' -fuzz FuzzSessionCookie -fuzztime $(FUZZTIME) ./internal/web
	for f in FuzzParseTXT FuzzParseSTIX FuzzSTIXPattern FuzzParseIPsum FuzzParseHosts FuzzParseMaltrail FuzzParseTor \
		FuzzParseAlienVault FuzzParseProofPoint FuzzParseOTX FuzzParseFireEye FuzzLookupIP FuzzLookupDomain; do \
		$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) ./internal/intel || exit 1; done

clean:
	rm -rf bin picket-demo-data picket-data
