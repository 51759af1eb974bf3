#!/bin/sh
# Benchmark scenario "busy": a CPU-bound job that also reads 512 MiB of
# files once; how much work it gets done in a fixed time is its speed.
. /etc/workloads/bench-lib.sh
start
vrload read /data/cold >/dev/null &
vrload burn "$BURN_SEC" | sed -n 's/vrload: burned \([0-9]*\) rounds/vmreclaim-metric: burn_rounds=\1/p'
finish
