#!/usr/bin/env bash
# gen-corpus.sh regenerates testdata/corpus: real goroutine dumps written by
# testdata/dumpgen, built and run with every Go toolchain listed below.
#
# Usage: testdata/gen-corpus.sh [goX.Y.Z ...]    (default: every toolchain)
#
# Needs: a go command that can download toolchains (Go 1.21+, module proxy
# reachable; toolchains are fetched as golang.org/toolchain modules), bash,
# Linux. Each toolchain takes a minute or two; go1.27.4 adds a 65 s wait for
# the "N minutes" variant. See corpus/README.md for what is produced.
#
# The module is copied to the fixed path /tmp/dumpgen and built there, and
# each toolchain is copied to /tmp/goroot/goX.Y.Z, so the dumps contain
# /tmp/dumpgen/... and /tmp/goroot/... rather than paths of this machine.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$here/dumpgen
corpus=$here/corpus
work=/tmp/dumpgen
bindir=/tmp/dumpgen-bin
host_go=${GO:-go}

all_toolchains=(go1.16.15 go1.17.13 go1.18.10 go1.19.13 go1.20.14 go1.21.13
	go1.22.12 go1.23.12 go1.24.11 go1.25.5 go1.26.8 go1.27.4)
if [ $# -gt 0 ]; then
	toolchains=("$@")
else
	toolchains=("${all_toolchains[@]}")
fi

# A clean, explicit environment for every build and run.
unset GODEBUG GOEXPERIMENT GOTRACEBACK GOROOT GOPATH_OVERRIDE
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOWORK=off
ulimit -c 0 # GOTRACEBACK=crash aborts the process; no core files

log() { printf '%s\n' "$*" >&2; }

# goroot VERSION prints the GOROOT of that toolchain in the module cache,
# downloading it if needed.
goroot() {
	local v=$1 dir
	GOTOOLCHAIN=$v "$host_go" version >/dev/null
	dir=$(GOFLAGS= GOTOOLCHAIN=local "$host_go" mod download -json \
		"golang.org/toolchain@v0.0.1-$v.$("$host_go" env GOHOSTOS)-$("$host_go" env GOHOSTARCH)" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -n "$dir" ] || return 1
	# The dumps name GOROOT's files, and a module cache path names this
	# machine (its user's home): build with a copy at a neutral place.
	local neutral=/tmp/goroot/$v
	if [ ! -x "$neutral/bin/go" ]; then
		rm -rf "$neutral"
		mkdir -p /tmp/goroot
		cp -r "$dir" "$neutral"
		chmod -R u+w "$neutral"
		# A toolchain fetched by "go mod download" (rather than by a
		# GOTOOLCHAIN switch) lacks execute bits; set them as the go
		# command's switch does.
		find "$neutral/bin" "$neutral/pkg/tool" -type f -exec chmod a+x {} +
	fi
	printf '%s\n' "$neutral"
}

# Build the checker with the host toolchain.
rm -rf "$work" "$bindir"
mkdir -p "$bindir"
cp -r "$src" "$work"
(cd "$work" && "$host_go" build -o "$bindir/check" .)

skipped=()

for v in "${toolchains[@]}"; do
	log "== $v"
	if ! root=$(goroot "$v"); then
		log "$v: cannot download, skipped"
		skipped+=("$v: toolchain not available")
		continue
	fi
	gobin=$root/bin/go
	minor=${v#go1.}
	minor=${minor%%.*}
	out=$corpus/$v
	rm -rf "$out" "$work"
	mkdir -p "$out"
	cp -r "$src" "$work"
	# The go line sets the language version and the GODEBUG defaults.
	sed -i "s/^go 1\.[0-9.]*\$/go 1.$minor/" "$work/go.mod"
	tc() { (cd "$work" && GOTOOLCHAIN=$v "$gobin" "$@"); }
	build() { # build OUTPUT [flags...]
		local o=$1
		shift
		tc build "$@" -o "$bindir/$o" .
	}
	build dumpgen
	bin=$bindir/dumpgen
	base="$v CGO_ENABLED=0"

	# Snapshots a and b in the goroutine profile, debug 2, 1 and 0.
	"$bin" -mode snapshot -out "$out" -variant "$base"
	# Ancestors.
	GODEBUG=tracebackancestors=5 "$bin" -mode one -name ancestors -out "$out" \
		-variant "$base GODEBUG=tracebackancestors=5"
	# Labels in traceback headers.
	if [ "$minor" -eq 26 ]; then
		GODEBUG=tracebacklabels=1 "$bin" -mode one -name labels -out "$out" \
			-variant "$base GODEBUG=tracebacklabels=1"
	elif [ "$minor" -ge 27 ]; then
		"$bin" -mode one -name labels -out "$out" -variant "$base (labels by default: go 1.27 in go.mod)"
		GODEBUG=tracebacklabels=0 "$bin" -mode one -name nolabels -out "$out" \
			-variant "$base GODEBUG=tracebacklabels=0"
	fi
	# -trimpath.
	build dumpgen-trimpath -trimpath
	"$bindir/dumpgen-trimpath" -mode one -name a.trimpath -out "$out" -variant "$base -trimpath"
	# The goroutineleak profile: experiment in 1.26, GA in 1.27.
	if [ "$minor" -eq 26 ]; then
		GOEXPERIMENT=goroutineleakprofile build dumpgen-leak
		"$bindir/dumpgen-leak" -mode leak -out "$out" -variant "$base GOEXPERIMENT=goroutineleakprofile"
	elif [ "$minor" -ge 27 ]; then
		"$bin" -mode leak -out "$out" -variant "$base"
	fi
	# "N minutes" in headers: one toolchain only, it waits 65 s.
	if [ "$minor" -eq 27 ]; then
		"$bin" -mode one -name minutes -wait 65s -out "$out" -variant "$base -wait 65s"
	fi

	# Crashes: stderr of a process that dies.
	# GOTRACEBACK=crash ends in SIGABRT: bash reports "Aborted" once per toolchain.
	crash() { # crash KIND GOTRACEBACK
		local name=crash.$1.$2
		if GOTRACEBACK=$2 "$bin" -mode crash -kind "$1" -name "$name" -out "$out" \
			-variant "$base GOTRACEBACK=$2" 2>"$out/$name.txt"; then
			log "$v: $name: the process did not die"
		fi
	}
	crash panic single
	crash panic all
	crash panic system
	crash panic crash
	crash repanic single
	crash sigquit single
	crash deadlock single
	crash deadlock system
	crash segv single
	crash segv all

	# An HTTP service fetched over its own /debug/pprof in every format,
	# then SIGQUIT of the same process at GOTRACEBACK=system.
	if GOTRACEBACK=system "$bin" -mode http -out "$out" -variant "$base GOTRACEBACK=system" \
		2>"$out/http.sigquit.system.txt"; then
		log "$v: http: the process did not die"
	fi

	# go test: a -timeout hang, and synctest bubbles (1.25+, 1.24 experiment).
	gotest() { # gotest NAME TEST [env...]
		local name=$1 test=$2
		shift 2
		env "$@" GOTRACEBACK=single DUMPGEN_VARIANT="$base GOTRACEBACK=single $*" \
			DUMPGEN_TRUTH="$out/$name.truth.json" \
			bash -c 'cd "$0" && GOTOOLCHAIN=$1 "$2" test -vet=off -count=1 -timeout 3s -run "^$3\$" .' \
			"$work" "$v" "$gobin" "$test" >"$out/$name.txt" 2>&1 || true
	}
	gotest crash.gotest-timeout.single TestHang
	synctest_env=()
	if [ "$minor" -eq 24 ]; then
		synctest_env=(GOEXPERIMENT=synctest)
	fi
	if [ "$minor" -ge 25 ] || [ "$minor" -eq 24 ]; then
		gotest crash.gotest-synctest-deadlock.single TestSynctestDeadlock "${synctest_env[@]}"
		env "${synctest_env[@]}" DUMPGEN_OUT="$out" DUMPGEN_VARIANT="$base ${synctest_env[*]}" \
			bash -c 'cd "$0" && GOTOOLCHAIN=$1 "$2" test -vet=off -count=1 -run "^TestSynctestDump\$" .' \
			"$work" "$v" "$gobin" >&2 || log "$v: TestSynctestDump failed"
	fi

	# Check every dump that prints all goroutines against its truth file.
	pairs=()
	for f in "$out"/*.txt; do
		n=$(basename "$f" .txt)
		case $n in
		*.debug1 | crash.panic.single | crash.repanic.single | crash.segv.single | \
			crash.gotest-synctest-deadlock.*) continue ;;
		esac
		t=$out/$n.truth.json
		[ -f "$t" ] && pairs+=("$f" "$t")
	done
	"$bindir/check" -mode check "${pairs[@]}" >&2 || log "$v: CHECK FAILED"
done

# No path of this machine may leak into the corpus: only /tmp/dumpgen and
# the toolchains' neutral GOROOT copies.
if { grep -rhoaE '(^|[[:space:]])/[^[:space:]]+\.(go|s):[0-9]+' "$corpus" --include='*.txt'
	for f in "$corpus"/*/*.pb.gz; do gzip -dc "$f" | grep -aoE '/(home|root|Users|usr|opt|var|tmp|work|mnt|srv)/[[:alnum:]._@/+-]+' || true; done; } |
	sed -E 's/^[[:space:]]+//' | grep -vE "^(/tmp/dumpgen|/tmp/goroot/|/(proc|sys|dev)/|\[)" |
	sort -u | head -20 | grep .; then
	log "unexpected paths in the corpus (above)"
fi
rm -rf "$work" "$bindir"
if [ ${#skipped[@]} -gt 0 ]; then
	printf 'skipped: %s\n' "${skipped[@]}" >&2
fi
