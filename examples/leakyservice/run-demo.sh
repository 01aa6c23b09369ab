#!/bin/sh
# run-demo.sh LEAKSCAN SERVICE [leakscan watch flags...]
#
# Starts the leaky service on a free loopback port with its periods
# scaled by 0.1 (the 30 s leak comes every 3 s), watches it with leakscan
# for 20 seconds (unless the flags say otherwise), and stops the service
# whatever happens. make demo and make demo-dumps run it.
set -eu
leakscan=$1
service=$2
shift 2
dir=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$service" -addr 127.0.0.1:0 -scale 0.1 -addr-file "$dir/addr" >/dev/null &
pid=$!
i=0
while [ ! -s "$dir/addr" ]; do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "run-demo.sh: the service did not start" >&2
		exit 1
	fi
	sleep 0.05
done
addr=$(cat "$dir/addr")
echo "\$ leakscan watch $addr --interval 1s --duration 20s $*" >&2
status=0
"$leakscan" watch "$addr" --interval 1s --duration 20s "$@" || status=$?
exit "$status"
