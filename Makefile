# leakscan: `make demo` runs it on a bundled dump, `make test` runs every
# test and check. Everything here needs only Go: staticcheck is a tool
# directive in go.mod, fetched by `go tool`.

GO        ?= go
FUZZTIME  ?= 10s
BENCHTIME ?= 1x

.PHONY: all build test lint vet fmt-check staticcheck unit rules-test fuzz-smoke bench-smoke bench fuzz demo demo-dumps screenshot corpus clean

all: build

build:
	$(GO) build -o bin/leakscan ./cmd/leakscan
	$(GO) build -o bin/leakyservice ./examples/leakyservice

# The README's test command; .ci/run calls exactly this.
test: lint unit rules-test fuzz-smoke bench-smoke

lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	cd bench && $(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...
	cd bench && $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

unit:
	$(GO) test -race -count=1 ./...
	cd bench && $(GO) test -count=1 ./...

# The Prometheus rules' unit tests and the example config's check, with
# promtool from Debian's prometheus package (.ci/run installs it). Outside
# CI a missing promtool skips them, saying so; in CI it fails.
rules-test:
	@if command -v promtool >/dev/null 2>&1; then \
		promtool check config deploy/prometheus/prometheus.yml && \
		promtool test rules deploy/prometheus/rules_test.yml; \
	elif [ "$$CI" = true ]; then \
		echo "rules-test: promtool not found, and CI needs it (.ci/run installs the prometheus package)"; exit 1; \
	else \
		echo "rules-test: SKIPPED: promtool not found (apt-get install prometheus)"; \
	fi

# A few seconds of fuzzing on every run, so the fuzz target cannot rot;
# `make fuzz` runs longer.
fuzz-smoke:
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./internal/parse

fuzz:
	$(MAKE) fuzz-smoke FUZZTIME=5m

# Every benchmark once, so none can rot.
bench-smoke:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -short ./...
	cd bench && $(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -short . -args -goroutines 2000

# Throughput and memory against the peers, on the same bytes in one run.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...
	cd bench && $(GO) run ./cmd/benchtable -n 100000 -runs 3
	# What watch costs a target of 100,000 goroutines in each sampling
	# mode, and trend over 100 snapshots of 100,000 (several minutes).
	cd bench && $(GO) test -run '^$$' -bench 'Sampling|Trend' -benchtime 1x .

# The demo tells the seed's story live: examples/leakyservice leaks 16
# goroutines every 3 s (its 30 s scaled by 0.1) beside honest decoys, and
# leakscan watch says so after 20 s. run-demo.sh stops the service
# whatever happens.
demo: build
	@sh examples/leakyservice/run-demo.sh ./bin/leakscan ./bin/leakyservice

# The report tests read a real series of the demo service, saved by watch;
# `make demo-dumps` rewrites it (built -trimpath: no machine path in it).
demo-dumps: build
	$(GO) build -trimpath -o bin/leakyservice-trimpath ./examples/leakyservice
	rm -rf testdata/demo/series
	sh examples/leakyservice/run-demo.sh ./bin/leakscan ./bin/leakyservice-trimpath \
		--duration 15s --save testdata/demo/series >/dev/null
	cp "$$(ls testdata/demo/series/* | head -n 1)" testdata/demo/before.txt
	cp "$$(ls testdata/demo/series/* | tail -n 1)" testdata/demo/after.txt

# The README's picture of the HTML report: the demo series' report
# (testdata/demo/series) as headless Chromium shows it, taken by the test
# that looks at it in the browser. Needs Debian's chromium package.
screenshot:
	$(GO) test -count=1 -run '^TestHTMLInBrowser$$' ./internal/report -args -screenshot "$(CURDIR)/docs/report.png"

# Regenerate the real-dump corpus under every Go toolchain (downloads them).
corpus:
	bash testdata/gen-corpus.sh

clean:
	rm -rf bin
