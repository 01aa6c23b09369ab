# leakscan: `make demo` shows it find a leak live, `make test` runs every
# test and check of the repository. Everything here needs only Go and a
# POSIX shell: staticcheck is a tool directive in go.mod and bench/go.mod,
# fetched by `go tool`. (promtool, for the Prometheus rules, is skipped
# when missing, outside CI.)

GO        ?= go
FUZZTIME  ?= 10s
BENCHTIME ?= 1x

# make build stamps the version git describes (v0.3.0-4-g1a2b3c4-dirty);
# outside a git checkout nothing is stamped and leakscan says the version
# the go command recorded, or (devel).
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null)
LDFLAGS    = $(if $(VERSION),-ldflags "-X main.version=$(VERSION)")

# Every check runs as a step of tools/testsum: silent unless it fails.
# Under make test each step adds its counts to the tally and make goes on
# to the next whatever happened; testsum sums the tally up at the end.
# make test V=1 shows every step's whole output.
TALLY     ?=
TESTSUM    = bin/testsum $(if $(V),-v) $(if $(TALLY),-tally $(TALLY))
OR_GO_ON   = || [ -n "$(TALLY)" ]

.PHONY: all build test checks lint fmt-check vet staticcheck build-check version-check \
	unit rules-test dumpgen-smoke fuzz-smoke bench-smoke bench fuzz demo demo-dumps screenshot corpus clean

all: build

build:
	$(GO) build $(LDFLAGS) -o bin/leakscan ./cmd/leakscan
	$(GO) build -o bin/leakyservice ./examples/leakyservice

bin/testsum: $(wildcard tools/testsum/*.go)
	@$(GO) build -o $@ ./tools/testsum

# The README's test command; .ci/run calls exactly this. It prints what
# failed, then one line that sums up every step.
test: bin/testsum
	@bin/testsum -tally bin/make-test.tally -start
	@$(MAKE) -s --no-print-directory checks TALLY=bin/make-test.tally; \
		bin/testsum -tally bin/make-test.tally -summary -status $$?

checks: lint build-check version-check unit rules-test dumpgen-smoke fuzz-smoke bench-smoke

lint: fmt-check vet staticcheck

fmt-check: bin/testsum
	@$(TESTSUM) -step gofmt -- sh -c 'out=$$(gofmt -l $$(git ls-files "*.go" 2>/dev/null || find . -name "*.go")); \
		[ -z "$$out" ] || { echo "gofmt needed:"; echo "$$out"; exit 1; }' $(OR_GO_ON)

# Three modules: leakscan (with examples/ and tools/), bench/ (the peers),
# and testdata/dumpgen (the corpus generator, which keeps to Go 1.16 and
# so has no tool directive: it is linted with the staticcheck of go.mod).
vet: bin/testsum
	@$(TESTSUM) -step vet -- $(GO) vet ./... $(OR_GO_ON)
	@$(TESTSUM) -step vet-bench -- $(GO) -C bench vet ./... $(OR_GO_ON)
	@$(TESTSUM) -step vet-dumpgen -- $(GO) -C testdata/dumpgen vet ./... $(OR_GO_ON)

staticcheck: bin/testsum
	@$(TESTSUM) -step staticcheck -- $(GO) tool staticcheck ./... $(OR_GO_ON)
	@$(TESTSUM) -step staticcheck-bench -- $(GO) -C bench tool staticcheck ./... $(OR_GO_ON)
	@$(TESTSUM) -step staticcheck-dumpgen -- sh -c 'sc=$$($(GO) tool -n staticcheck) && cd testdata/dumpgen && "$$sc" ./...' $(OR_GO_ON)

# Every program builds, the ones without tests too.
build-check: bin/testsum
	@$(TESTSUM) -step build -- $(GO) build ./... $(OR_GO_ON)
	@$(TESTSUM) -step build-bench -- $(GO) -C bench build ./... $(OR_GO_ON)
	@$(TESTSUM) -step build-dumpgen -- $(GO) -C testdata/dumpgen build ./... $(OR_GO_ON)

# make build stamps the version that git describes.
version-check: bin/testsum
	@$(TESTSUM) -step version -- sh -c '$(MAKE) -s --no-print-directory build >/dev/null && got=$$(bin/leakscan version) && \
		case "$(VERSION)" in "") ;; *) [ "$$got" = "leakscan version $(VERSION)" ] || \
			{ echo "make build: bin/leakscan version says \"$$got\", want \"leakscan version $(VERSION)\""; exit 1; };; esac' $(OR_GO_ON)

unit: bin/testsum
	@$(TESTSUM) -step unit -- $(GO) test -race -count=1 ./... $(OR_GO_ON)
	@$(TESTSUM) -step unit-bench -- $(GO) -C bench test -count=1 ./... $(OR_GO_ON)
	@$(TESTSUM) -step unit-dumpgen -- $(GO) -C testdata/dumpgen test -count=1 ./... $(OR_GO_ON)

# The Prometheus rules' unit tests and the example config's check, with
# promtool from Debian's prometheus package (.ci/run installs it). Outside
# CI a missing promtool skips them (exit 77: testsum says so in its last
# line); in CI it fails.
rules-test: bin/testsum
	@$(TESTSUM) -step rules -- sh -c 'if command -v promtool >/dev/null 2>&1; then \
		promtool check config deploy/prometheus/prometheus.yml && \
		promtool test rules deploy/prometheus/rules_test.yml; \
	elif [ "$$CI" = true ]; then \
		echo "rules-test: promtool not found, and CI needs it (.ci/run installs the prometheus package)"; exit 1; \
	else \
		echo "promtool not found: apt-get install prometheus"; exit 77; \
	fi' $(OR_GO_ON)

# The corpus generator still works with the host Go: a snapshot, checked
# against the truth it wrote (gen-corpus.sh does this for every toolchain).
dumpgen-smoke: bin/testsum
	@$(TESTSUM) -step dumpgen -- sh -c 'set -e; d=$$(mktemp -d); trap "rm -rf \"$$d\"" EXIT; \
		$(GO) -C testdata/dumpgen build -o "$$d/dumpgen" . && "$$d/dumpgen" -mode snapshot -out "$$d" && \
		"$$d/dumpgen" -mode check "$$d/a.debug2.txt" "$$d/a.debug2.truth.json" "$$d/b.debug2.txt" "$$d/b.debug2.truth.json"' $(OR_GO_ON)

# A few seconds of each fuzz target on every run, so none can rot;
# `make fuzz` runs longer. FuzzRead feeds the same bytes through every
# read path and requires the same snapshot.
fuzz-smoke: bin/testsum
	@$(TESTSUM) -step fuzz-read -- $(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./internal/parse $(OR_GO_ON)
	@$(TESTSUM) -step fuzz-idset -- $(GO) test -run '^$$' -fuzz '^FuzzIDSet$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./internal/parse $(OR_GO_ON)

fuzz:
	$(MAKE) fuzz-smoke FUZZTIME=5m V=1

# Every benchmark once, so none can rot.
bench-smoke: bin/testsum
	@$(TESTSUM) -step bench -- $(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -short ./... $(OR_GO_ON)
	@$(TESTSUM) -step bench-peers -- $(GO) -C bench test -run '^$$' -bench . -benchtime $(BENCHTIME) -short . -args -goroutines 2000 $(OR_GO_ON)

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
