# acsmute: every target runs with the Go toolchain on PATH and pinned tools.
GO            ?= go
GOLANGCI_LINT := github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
GOFILES        = $(shell git ls-files '*.go' | grep -v '^gen/')
# Nested modules, kept apart so that the core's importers never see their
# dependencies (azcore, azidentity, OpenTelemetry, go-redis).
NESTED        := entra roster/redisstore examples

FUZZTIME      ?= 10s
OASDIFF       := github.com/oasdiff/oasdiff@v1.37.0
UPSTREAM      ?= https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/specification/communication/data-plane/CallAutomation/stable/2026-03-12/communicationservicescallautomation.json
DRIFT_EXPECTED := openapi/drift-expected.txt
BASE          ?= HEAD
BENCHSTAT     := golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
BENCHCOUNT    ?= 6
GREMLINS      := github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
MUTATE_EFFICACY ?= 95
MUTATE_WORKERS  ?= 2

# The official JavaScript SDK, lockfile-pinned, for the interop test (client/interop_test.go).
JSSDK         := client/testdata/jssdk

.PHONY: all generate check-generate test lint demo fuzz drift breaking apidiff release-check bench bench-roster mutate interop-deps

all: lint test

## generate: regenerate gen/ from openapi/mute.yaml with the pinned oapi-codegen.
generate:
	$(GO) generate ./...

## check-generate: fail if regenerating changes gen/ or if go.mod/go.sum are not tidy.
check-generate: generate
	@git diff --exit-code -- gen/ || { echo "gen/ is stale: run 'make generate' and commit the result" >&2; exit 1; }
	@test -z "$$(git status --porcelain -- gen/)" || { git status --porcelain -- gen/; echo "gen/ has files that are not committed" >&2; exit 1; }
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run 'go mod tidy'" >&2; exit 1; }
	@for m in $(NESTED); do (cd $$m && $(GO) mod tidy -diff) || { echo "$$m/go.mod is not tidy: run 'cd $$m && go mod tidy'" >&2; exit 1; }; done
	@echo "check-generate: gen/ and go.mod are up to date"

## interop-deps: install the official JavaScript SDK from package-lock.json (npm ci) when npm is there and the
## installed copy is missing or older than the lockfile; without npm the interop test skips (CI sets
## ACSMUTE_INTEROP=1, which makes it fail instead).
interop-deps:
	@if [ -f $(JSSDK)/node_modules/.package-lock.json ] && [ ! $(JSSDK)/package-lock.json -nt $(JSSDK)/node_modules/.package-lock.json ]; then :; \
	elif command -v npm >/dev/null 2>&1; then echo "npm ci in $(JSSDK)"; (cd $(JSSDK) && npm ci --no-audit --no-fund --loglevel=error) || exit 1; \
	else echo "npm not found: the JavaScript SDK interop test will be skipped (install Node.js 20 to run it)" >&2; fi

## test: go vet, then every test with the race detector, in the module and the nested ones.
test: interop-deps
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	@for m in $(NESTED); do echo "== $$m"; (cd $$m && $(GO) vet ./... && $(GO) test -race -count=1 ./...) || exit 1; done

## lint: gofmt (gen/ excluded), go vet, and golangci-lint, in the module and the nested ones.
lint:
	@out="$$(gofmt -l $(GOFILES))"; test -z "$$out" || { echo "gofmt needed:"; echo "$$out"; exit 1; }
	$(GO) vet ./...
	$(GO) run $(GOLANGCI_LINT) run --config .ci/golangci.yml ./...
	@for m in $(NESTED); do echo "== lint $$m"; (cd $$m && $(GO) run $(GOLANGCI_LINT) run --config $(CURDIR)/.ci/golangci.yml ./...) || exit 1; done

## demo: mute a participant through the client on the embedded emulator.
demo:
	$(GO) run ./cmd/acsmute demo

## fuzz: run each fuzz target for FUZZTIME (default 10s); seeds live in testdata/fuzz.
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParseRawID$$' -fuzztime=$(FUZZTIME) ./client/
	$(GO) test -run='^$$' -fuzz='^FuzzParseConnectionString$$' -fuzztime=$(FUZZTIME) ./client/
	$(GO) test -run='^$$' -fuzz='^FuzzResponseErrorBody$$' -fuzztime=$(FUZZTIME) ./client/
	$(GO) test -run='^$$' -fuzz='^FuzzFastRequestBuilder$$' -fuzztime=$(FUZZTIME) ./client/
	$(GO) test -run='^$$' -fuzz='^FuzzFastRequestBuilderServer$$' -fuzztime=$(FUZZTIME) ./client/
	$(GO) test -run='^$$' -fuzz='^FuzzGeneratedBodyEncoding$$' -fuzztime=$(FUZZTIME) ./client/
	$(GO) test -run='^$$' -fuzz='^FuzzGeneratedResultDecoding$$' -fuzztime=$(FUZZTIME) ./client/
	$(GO) test -run='^$$' -fuzz='^FuzzEmulatorRequest$$' -fuzztime=$(FUZZTIME) ./client/acstest/
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./callback/

## drift: compare openapi/mute.yaml with Microsoft's Swagger 2.0 at UPSTREAM (a path or URL) of any supported
## API version; differences listed for that version in openapi/drift-expected.txt are expected; exit 1 on drift.
drift:
	$(GO) run ./cmd/acsdrift -upstream '$(UPSTREAM)' -expected '$(DRIFT_EXPECTED)'

## breaking: report breaking changes in openapi/mute.yaml between BASE (a git ref) and the working tree.
## oasdiff runs with 'go run pkg@version', outside this module, so its dependencies never touch go.mod.
breaking:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	if ! git show '$(BASE):openapi/mute.yaml' > "$$tmp/base.yaml" 2>/dev/null; then \
		echo "breaking: $(BASE) has no openapi/mute.yaml; nothing to compare"; exit 0; fi; \
	echo "breaking: openapi/mute.yaml at $(BASE) -> working tree"; \
	$(GO) run $(OASDIFF) breaking --fail-on ERR --err-ignore openapi/breaking-ignore.txt "$$tmp/base.yaml" openapi/mute.yaml

## apidiff: fail on incompatible Go API changes from BASE (a git ref) to the working tree in the library
## modules (root and entra), unless acknowledged in .ci/apidiff-ignore.txt; apidiff runs with 'go run pkg@version'.
apidiff:
	@bash .ci/apidiff '$(BASE)'

## release-check: check what release VERSION (vX.Y.Z) needs (clean tree, untagged, client.Version, entra requiring
## the root module at VERSION without replace, generated code, tidy modules, tests, Go API report against the
## previous tag) and print the tag commands; it tags nothing.
release-check:
	@bash .ci/release-check '$(VERSION)'

## bench: run the benchmarks in BENCHCOUNT interleaved rounds (client and baseline side by side in each)
## and compare the client with the net/http baseline (benchstat), then mute, hold and remove side by side.
bench:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(GO) test -c -o "$$tmp/client.test" ./client/ || exit 1; \
	for i in $$(seq $(BENCHCOUNT)); do \
		(cd client && "$$tmp/client.test" -test.run '^$$' -test.bench . -test.benchmem -test.count 1) > "$$tmp/round.txt"; \
		rc=$$?; cat "$$tmp/round.txt"; [ $$rc -eq 0 ] || exit $$rc; \
		cat "$$tmp/round.txt" >> "$$tmp/all.txt"; \
	done; \
	grep -v '^BenchmarkBaseline' "$$tmp/all.txt" | sed 's/^BenchmarkMuteParticipant/BenchmarkRoundTrip/' > "$$tmp/client.txt"; \
	grep -v '^BenchmarkMuteParticipant' "$$tmp/all.txt" | sed 's/^BenchmarkBaselineNetHTTP/BenchmarkRoundTrip/' > "$$tmp/baseline.txt"; \
	echo; echo "== client (acsmute) against the hand-written net/http baseline"; \
	(cd "$$tmp" && $(GO) run $(BENCHSTAT) -filter '.name:/RoundTrip/' baseline.txt client.txt) || exit 1; \
	echo; echo "== the client's mute, hold and remove side by side (the same loopback server)"; \
	cd "$$tmp" && $(GO) run $(BENCHSTAT) -col .name -filter '.name:/^(MuteParticipant|HoldParticipant|RemoveParticipant)$$/' all.txt

## bench-roster: the roster's benchmarks (events applied per second, memory per call of 350 participants),
## in memory and on a loopback redis-server (skipped without redis-server on PATH).
bench-roster:
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./roster/
	cd roster/redisstore && $(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) .

## mutate: mutation testing of client/ (with client/acstest/) and callback/ (not gen/) with pinned gremlins,
## run with 'go run pkg@version' so that it stays out of go.mod; each run fails below MUTATE_EFFICACY
## percent killed. Tests tagged !mutation (soak, load) are left out of these runs.
mutate:
	@for p in ./callback ./client; do echo "== mutate $$p"; \
		$(GO) run $(GREMLINS) unleash --tags mutation --workers $(MUTATE_WORKERS) --timeout-coefficient 5 \
			--threshold-efficacy $(MUTATE_EFFICACY) --output-statuses lt $$p || exit 1; done
