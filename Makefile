# egovpm — the two commands: `make dev` runs the platform, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO          ?= go
BIN         := bin
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/egovpm?sslmode=disable
export DATABASE_URL
TEMPORAL_ADDRESS ?= 127.0.0.1:7233
export TEMPORAL_ADDRESS
HTTP_ADDR   ?= 127.0.0.1:8080
export HTTP_ADDR
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.7.0
WORKFLOWCHECK := go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0

.PHONY: help build dev migrate test lint replay clean-data record-histories vulncheck ui ui-dev ui-bench browser-deps openapi-tools openapi-lint

# The web UI (web/): npm ci runs again only when web/package-lock.json changes (a stamp file);
# the build runs again only when a source changed. Its output, web/dist/ui, is embedded in the
# gateway (web/web.go).
NPM_STAMP := web/node_modules/.npm-ci-stamp
UI_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json server/openapi.yaml

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

build: ui ## build the web UI, devserver, worker, server (embedding the UI) and the egovpm CLI into bin/
	cd devserver && $(GO) build -o ../$(BIN)/devserver .
	$(GO) build -o $(BIN)/worker ./worker
	$(GO) build -o $(BIN)/server ./server
	$(GO) build -o $(BIN)/egovpm ./cmd/egovpm

migrate: ## create the database if missing and apply migrations
	$(GO) run ./cmd/egovpm migrate

dev: build ## run devserver + worker + server on the local PostgreSQL (Ctrl-C stops all)
	@scripts/dev.sh

test: ui browser-deps openapi-tools ## every test, on real PostgreSQL, a real (embedded) Temporal server and real Chromium
	cd web && npm run test:unit
	cd devserver && $(GO) build -o ../$(BIN)/devserver . && $(GO) test -count=1 ./...
	EGOVPM_DEVSERVER_BIN=$(CURDIR)/$(BIN)/devserver $(GO) test -count=1 -timeout 25m ./...

$(NPM_STAMP): web/package-lock.json
	cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $@

web/dist/ui/index.html: $(NPM_STAMP) $(UI_SOURCES)
	cd web && npm run build

ui: web/dist/ui/index.html ## build the web UI into web/dist/ui (npm ci when the lock file changed)

# Redocly CLI for the contract's lint (tools/openapi, its own lock file); the Go client test
# (server/openapi_client_test.go) runs it and oapi-codegen, the tool of tools/openapi/go.mod.
OPENAPI_STAMP := tools/openapi/node_modules/.npm-ci-stamp
$(OPENAPI_STAMP): tools/openapi/package-lock.json
	cd tools/openapi && npm ci --no-audit --no-fund
	touch $@

openapi-tools: $(OPENAPI_STAMP) ## install Redocly CLI into tools/openapi (npm ci when the lock file changed)

openapi-lint: openapi-tools ## lint server/openapi.yaml with Redocly's recommended rules (no error, no warning)
	node tools/openapi/lint.mjs

ui-dev: $(NPM_STAMP) ## Vite's dev server on http://127.0.0.1:5173 with /api proxied to the gateway (GATEWAY=http://127.0.0.1:8080)
	cd web && npm run dev -- --host 127.0.0.1

browser-deps: ## install chromium and fonts-noto-cjk when missing (the browser tests need them)
	@scripts/ensure-browser.sh

.PHONY: chaos
chaos: ## fault test, long run (chaos/doc.go), on each devserver store: 50 whole lifecycles while the worker and gateway are SIGKILLed 24 times, the devserver and a private PostgreSQL restarted twice each
	cd devserver && $(GO) build -o ../$(BIN)/devserver .
	EGOVPM_DEVSERVER_BIN=$(CURDIR)/$(BIN)/devserver $(GO) test -count=1 -v -timeout 60m -run TestChaos ./chaos/ -args -chaos.long $(CHAOS_FLAGS)

.PHONY: bench
bench: ## performance harness (docs/PERFORMANCE.md): Go benchmarks, then the load command; BENCH_FLAGS="-store postgres -inbox …"; BENCH_GROWTH=1 adds issue 20's phases
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 200x ./bench/
	$(GO) run ./bench/cmd/egovpm-bench $(BENCH_FLAGS)
	@if [ "$(BENCH_GROWTH)" = 1 ]; then $(MAKE) bench-growth bench-readmodel bench-decade; fi
	$(MAKE) bench-overhead
	$(MAKE) ui-bench

# Issue 20's opt-in phases (never in make test; not in make bench unless BENCH_GROWTH=1):
# growth takes GROWTH_N projects of one plan year through every portfolio step; readmodel loads
# a decade (30,000 projects, 1,000,000 tasks, 1,000,000 audit rows) and times the reads on it;
# decade plays one project's ten compressed O&M years and counts every run's history events.
GROWTH_N ?= 100,1000
.PHONY: bench-growth bench-readmodel bench-decade
bench-growth: ## issue 20: portfolio steps at GROWTH_N projects (default 100,1000); BENCH_FLAGS="-store postgres"
	$(GO) run ./bench/cmd/egovpm-bench -phases growth -growth-n $(GROWTH_N) $(BENCH_FLAGS)

bench-readmodel: ## issue 20: a decade's read model (COPY) and the product's reads on it
	$(GO) run ./bench/cmd/egovpm-bench -phases readmodel $(BENCH_FLAGS)

bench-decade: ## issue 20: one project through ten compressed O&M years; history events per run (fails past 10,240)
	$(GO) run ./bench/cmd/egovpm-bench -phases decade $(BENCH_FLAGS)

# Issue 21: metrics+tracing on vs off as instructions per decision of the gateway+worker
# process under callgrind (load-independent; docs/PERFORMANCE.md §10). Needs valgrind.
OVERHEAD_N ?= 800
OVERHEAD_ROUNDS ?= 5
.PHONY: bench-overhead
bench-overhead: ## issue 21: metrics+tracing overhead on a decision, callgrind instruction counts over a whole GC period (OVERHEAD_N decisions, OVERHEAD_ROUNDS alternations; installs valgrind when missing)
	scripts/bench-overhead.sh $(OVERHEAD_N) $(OVERHEAD_ROUNDS)

ui-bench: ui browser-deps build ## web UI figures: initial route's JS+CSS gzipped, 待办 with 50 tasks interactive (cold, warm)
	cd devserver && $(GO) build -o ../$(BIN)/devserver .
	EGOVPM_DEVSERVER_BIN=$(CURDIR)/$(BIN)/devserver EGOVPM_UI_BENCH=1 $(GO) test -count=1 -run TestBrowserE2E -v ./server/ | grep -E "ui-bench|^---|^ok|^FAIL"

replay: ## replay the recorded workflow histories against this build (deploy gate, O3)
	$(GO) test -count=1 -run TestReplayHistories ./workflows/

lint: ## gofmt, go vet, staticcheck, workflowcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go') | tee /dev/stderr)" || (echo "gofmt: files above need formatting" && exit 1)
	$(GO) vet ./...
	cd devserver && $(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(WORKFLOWCHECK) ./workflows/...

# The vulnerability database is built from the golang.org/x/vulndb module (scripts/vulndb.sh)
# and kept outside the tree, so CI builds it once per machine and snapshot.
VULNDB ?= $(HOME)/.cache/egovpm/vulndb
vulncheck: ## govulncheck against a local vulnerability database; fails on any finding not in .ci/govulncheck-accepted.txt
	scripts/vulndb.sh $(VULNDB) >/dev/null
	$(GO) run ./scripts/vulncheck -db $(VULNDB) -accepted .ci/govulncheck-accepted.txt ./...

clean-data: ## delete the devserver's local state (.data/)
	rm -rf .data

record-histories: ## re-record workflows/testdata from the end-to-end tests (commit the result)
	cd devserver && $(GO) build -o ../$(BIN)/devserver .
	EGOVPM_DEVSERVER_BIN=$(CURDIR)/$(BIN)/devserver $(GO) test -count=1 -run TestE2E ./server/ -args -record-histories=$(CURDIR)/workflows/testdata
