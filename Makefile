# clickedge — see README.md. Every target works on a fresh clone.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/clickedge/clickedge/edge.Version=$(VERSION)
BIN       := bin/clickedge
FUZZTIME  ?= 30s
# make run: a local admin token so the admin API answers on 127.0.0.1:8081.
CLICKEDGE_ADMIN_TOKEN ?= dev-token
export CLICKEDGE_ADMIN_TOKEN

.PHONY: build run test test-short bench bench-edge bench-attribution fuzz lint clean

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/clickedge

run: build
	./$(BIN) serve

# The whole suite: unit, table, golden, allocation and process-level tests.
test: build
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...

test-short:
	$(GO) test -short -count=1 ./...

# Go micro-benchmarks (allocations and ns/op of the hot paths).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./tracker/ ./dispatch/ ./store/

# Attribution lookups against a big store, as the README reports them:
# 10 million clicks (CLICKEDGE_BENCH_CLICKS), then 200k lookups of each kind.
CLICKEDGE_BENCH_CLICKS ?= 1e7
bench-attribution:
	CLICKEDGE_BENCH_CLICKS=$(CLICKEDGE_BENCH_CLICKS) $(GO) test -run '^$$' -bench 'AttributionLookup' -benchtime 200000x -timeout 2h ./store/

# clickedge beside nginx under wrk, on this machine: prints the ratios.
bench-edge: build
	bash bench/edge/run.sh

FUZZ_TARGETS := ./tracker:FuzzClickParse ./tracker:FuzzUserAgent ./tracker:FuzzAppendSanitized \
	./tracker:FuzzParseConversionJSON ./tracker:FuzzParseConversionForm ./tracker:FuzzParseDecimal \
	./tracker:FuzzClickIDFromReferrer ./tracker:FuzzHeldCodec ./tracker:FuzzAnonymizedIP ./tracker:FuzzAppendAppURL ./tracker:FuzzRedirectAllowed ./dispatch:FuzzRender ./dispatch:FuzzJobCodec \
	./store:FuzzClickCodec ./store:FuzzInstallRecord ./store:FuzzReplicationRecord ./store:FuzzArchiveSegment ./config:FuzzParse ./config:FuzzParseSize \
	./edge:FuzzParseExportFilter ./tracker:FuzzIsMacro ./tracker:FuzzUserAgentPromises ./store:FuzzClickFlags \
	./loadtest:FuzzValueAtNearestRank \
	./config:FuzzParseDuration ./config:FuzzExpand ./dispatch:FuzzAppendWithAttempt ./dispatch:FuzzAnswerStatus \
	./dispatch:FuzzRetryAfter ./edge:FuzzConversionBatch ./edge:FuzzClickRedirect ./edge:FuzzAdminPostbacksQuery \
	./internal/deadline:FuzzHeldWrites ./store:FuzzReplicatedRoundTrip ./tracker:FuzzClickParseOracle \
	./tracker:FuzzParseConversionFormDiff ./tracker:FuzzHeldCodecAll ./tracker:FuzzNDJSONLines ./tracker:FuzzReferrerRoundTrip

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

clean:
	rm -rf bin clickedge-data
