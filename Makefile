# Open-SSPM. `make run` starts the whole system locally; `make test` runs every test.
SHELL := /usr/bin/env bash
GO ?= go
SQLC := $(GO) run github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
WITHPG := $(GO) run ./internal/pgembed/cmd/withpg
LAMBDAS := $(notdir $(wildcard functions/*))
LAMBDAS := $(filter-out open-sspm,$(LAMBDAS))
export CDK_DISABLE_CLI_TELEMETRY := true
export CDK_DISABLE_VERSION_CHECK := true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: run test test-go test-frontend test-e2e fuzz audit e2e-chromium bench build build-lambdas synth deploy generate generate-check docs lint frontend frontend-if-possible clean

## run: start everything locally (embedded PostgreSQL unless DATABASE_URL is set) and print the URL
run: frontend-if-possible
	$(GO) run ./functions/open-sspm dev

## test: every test (Go against PostgreSQL: TEST_DATABASE_URL, DATABASE_URL, or an embedded server; the SPA's tests;
## then the end-to-end browser tests)
test: test-go test-frontend test-e2e

test-go:
	$(WITHPG) $(GO) test -count=1 ./...

## test-frontend: the SPA's unit tests; node_modules are installed again only when package-lock.json is newer than
## the install (npm keeps its own copy of the lock in node_modules/.package-lock.json)
test-frontend:
	@if [ -f frontend/package.json ]; then cd frontend && \
		{ [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; } && npm test; fi

## test-e2e: headless Chromium (playwright-core) drives the built SPA against `open-sspm dev --demo on` (the provider
## simulator): frontend/e2e, screenshots into frontend/e2e/screenshots. A fresh database in TEST_DATABASE_URL's server
## (dropped afterwards), else the embedded PostgreSQL. Chromium: E2E_CHROMIUM, else /usr/bin/chromium, installed with
## apt-get when missing and run as root.
E2E_CHROMIUM ?= /usr/bin/chromium
test-e2e: e2e-chromium
	$(GO) build -o bin/open-sspm ./functions/open-sspm
	cd frontend && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund; } && npm run build && \
		E2E_CHROMIUM=$(E2E_CHROMIUM) E2E_BINARY=$(CURDIR)/bin/open-sspm npm run test:e2e

e2e-chromium:
	@if [ -x "$(E2E_CHROMIUM)" ]; then exit 0; fi; \
	if [ "$(E2E_CHROMIUM)" = /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Chromium for the end-to-end tests: apt-get install -y chromium"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || exit 1; \
	else \
		echo "no Chromium at $(E2E_CHROMIUM) for the end-to-end tests: install it (Debian/Ubuntu: sudo apt-get install -y chromium)"; \
		echo "or set E2E_CHROMIUM=/path/to/chromium (make test E2E_CHROMIUM=...)"; \
		exit 1; \
	fi

## fuzz: every fuzz target (parsers of outside input: webhook bodies, connector configs, rule files, API query
## parameters) for FUZZTIME each; their seed corpora also run in every `go test`. Each new interesting input is
## minimized within FUZZMINIMIZE executions: Go's default (60 s) let one 16 KiB rule document be minimized past the
## end of FUZZTIME, which the fuzzer reports as a failure ("context deadline exceeded", FuzzCompile in CI). The
## budget is a count of executions, not a duration: a timed budget that ends while a worker is busy is reported as
## that same failure with no crash behind it (FuzzParseHook in CI); a count has no deadline to race.
FUZZTIME ?= 20000x
FUZZMINIMIZE ?= 100x
fuzz:
	@for f in $$(grep -rl --include='*_test.go' '^func Fuzz' internal | sort); do \
		pkg=./$$(dirname $$f); \
		for t in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | cut -d' ' -f2); do \
			echo "fuzz $$pkg $$t for $(FUZZTIME)"; \
			$(WITHPG) $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $$pkg || exit 1; \
		done; \
	done

## audit: known vulnerabilities in what the Go code calls (govulncheck) and in the SPA's runtime packages (npm audit).
## The Go vulnerability database is read from the module proxy (golang.org/x/vulndb at VULNDB, indexed once into
## ~/.cache/open-sspm), because vuln.go.dev may be out of reach; raise VULNDB to the newest version
## (`go list -m -versions golang.org/x/vulndb`) to scan against newer reports. npm's advisory endpoint is a POST that
## some registry mirrors refuse: that is reported and skipped, while a finding fails.
GOVULNCHECK := $(GO) run golang.org/x/vuln/cmd/govulncheck@v1.10.0
VULNDB ?= v0.0.0-20261105234957-e22db6528018
VULNDB_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/open-sspm/govulndb-$(VULNDB)
audit:
	@if [ ! -f "$(VULNDB_DIR)/index/db.json" ]; then \
		src=$$($(GO) mod download -json golang.org/x/vulndb@$(VULNDB) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
		[ -d "$$src/data/osv" ] || { echo "audit: golang.org/x/vulndb@$(VULNDB) has no data/osv"; exit 1; }; \
		rm -rf "$(VULNDB_DIR)" && mkdir -p "$$(dirname "$(VULNDB_DIR)")" && \
		$(GO) run golang.org/x/vulndb/cmd/indexdb@$(VULNDB) -vulns "$$src/data/osv" -out "$(VULNDB_DIR)" || exit 1; \
	fi
	$(GOVULNCHECK) -db file://$(VULNDB_DIR) ./...
	@if [ -f frontend/package-lock.json ]; then \
		out=$$(cd frontend && npm audit --omit=dev 2>&1); rc=$$?; echo "$$out"; \
		if [ $$rc -ne 0 ]; then \
			if echo "$$out" | grep -q 'audit endpoint returned an error'; then \
				echo "audit: the npm registry refused the advisory request; npm audit skipped"; \
			else exit $$rc; fi; \
		fi; \
	fi

## bench: benchmarks (figures the issues name)
bench:
	$(WITHPG) $(GO) test -run '^$$' -bench . -benchmem -count=1 ./...

## build: the local binary and every Lambda bootstrap (linux/arm64, -tags lambda.norpc)
build: build-lambdas
	$(GO) build -trimpath -o bin/open-sspm ./functions/open-sspm

build-lambdas:
	@for fn in $(LAMBDAS); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -tags lambda.norpc -ldflags='-s -w' \
			-o bin/lambda/$$fn/bootstrap ./functions/$$fn || exit 1; \
		printf '%-12s %s\n' $$fn "$$(du -h bin/lambda/$$fn/bootstrap | cut -f1)"; \
	done

## synth: the CloudFormation template, offline (no credentials, no network, no lookups): `go run ./infra` writes
## infra/cdk.out and fails on errors, cdk-nag findings included. cdk.json turns off notices, version reporting and
## telemetry for the CDK CLI; the exports above do the same for the environment.
synth:
	$(GO) run ./infra

## deploy: build the Lambda binaries and the SPA, then `cdk deploy` (see infra/README.md)
CDK ?= npx --yes aws-cdk@2.1148.1
deploy: build-lambdas frontend
	$(CDK) deploy OpenSspm --parameters AlarmEmail=$(ALARM_EMAIL) \
	  --parameters AuroraMinCapacity=$(or $(AURORA_MIN_ACU),0) \
	  -c openSspm:requireLambdaBinaries=true -c openSspm:deployNonce=$$(date +%s)

## generate: sqlc queries (checked in; CI fails when stale)
generate:
	cd internal/postgres && $(SQLC) generate

generate-check: generate
	@git diff --exit-code -- internal/postgres/sqlgen || (echo "sqlc output is stale: run make generate and commit" && exit 1)
	@test -z "$$(git status --porcelain -- internal/postgres/sqlgen)" || (echo "sqlc output is stale: run make generate and commit" && exit 1)

## docs: docs/rules.md from the shipped rulesets, as `open-sspm rules doc` prints it (a test fails when it is stale)
docs:
	UPDATE_DOCS=1 $(GO) test -count=1 -run TestReferenceIsCurrent ./internal/rules/

## lint: gofmt, go vet and staticcheck
lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path '*/node_modules/*'))"; \
		if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

## frontend: build the admin SPA into frontend/dist
frontend:
	cd frontend && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build

frontend-if-possible:
	@if [ -f frontend/package.json ] && command -v npm >/dev/null && [ ! -f frontend/dist/index.html ]; then \
		$(MAKE) frontend || echo "admin UI not built (npm failed); the API and /healthz still run"; fi

clean:
	rm -rf bin infra/cdk.out frontend/dist
