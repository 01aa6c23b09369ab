# leakscan: `make demo` runs it on a bundled dump, `make test` runs every
# test and check. Everything here needs only Go: staticcheck is a tool
# directive in go.mod, fetched by `go tool`.

GO        ?= go
FUZZTIME  ?= 10s
BENCHTIME ?= 1x

.PHONY: all build test lint vet fmt-check staticcheck unit fuzz-smoke bench-smoke bench fuzz demo demo-dumps corpus clean

all: build

build:
	$(GO) build -o bin/leakscan ./cmd/leakscan

# The README's test command; .ci/run calls exactly this.
test: lint unit fuzz-smoke bench-smoke

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

# A few seconds of each fuzz target on every run, so none can rot;
# `make fuzz` runs longer. FuzzRead feeds the same bytes through every
# read path and requires the same snapshot.
PARSE_FUZZ = FuzzRead FuzzIDSet

fuzz-smoke:
	@for f in $(PARSE_FUZZ); do \
		echo "$(GO) test -run '^$$' -fuzz '^$$f$$' -fuzztime $(FUZZTIME) ./internal/parse"; \
		$(GO) test -run '^$$' -fuzz "^$${f}\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./internal/parse || exit 1; \
	done

fuzz:
	$(MAKE) fuzz-smoke FUZZTIME=5m

# Every benchmark once, so none can rot.
bench-smoke:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -short ./...
	cd bench && $(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) . -args -goroutines 2000

# Throughput and memory against the peers, on the same bytes in one run.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...
	cd bench && $(GO) run ./cmd/benchtable -n 100000 -runs 3

# The demo dumps are real: testdata/demo/gen runs a small leaky service and
# dumps it twice. `make demo-dumps` rewrites them.
demo: build
	./bin/leakscan top testdata/demo/after.txt
	@echo
	@echo '$$ leakscan diff testdata/demo/before.txt testdata/demo/after.txt --interval 30s --max-growth 5'
	@./bin/leakscan diff testdata/demo/before.txt testdata/demo/after.txt --interval 30s --max-growth 5; \
		echo "(exit status $$?: the gate caught the leak)"

demo-dumps:
	$(GO) run -trimpath ./testdata/demo/gen -out testdata/demo

# Regenerate the real-dump corpus under every Go toolchain (downloads them).
corpus:
	bash testdata/gen-corpus.sh

clean:
	rm -rf bin
