#!/bin/sh
# Benchmark scenario "build": a stand-in for a compile (the image has no
# compiler): three rounds of allocating, reading sources, and CPU work.
. /etc/workloads/bench-lib.sh
start
for i in 1 2 3; do
	vrload anon "$(mib 256)M" 1 >/dev/null &
	anon=$!
	vrload read /data/hot >/dev/null
	vrload burn 5 >/dev/null
	# Only this round's allocation: a bare "wait" would also wait for
	# start's metrics printer, which never ends.
	wait "$anon"
done
finish
