#!/bin/sh
# Benchmark scenario "busy": a CPU-bound job while another task reads
# the cold files once (640 MiB).  The job reports the rounds it did, its
# wall time and its own CPU time: rounds per CPU second are the host's
# speed (other VMs share its cores), CPU time / wall time is the share of
# a CPU the guest gave it (what the reclaim service and the kernel took).
. /etc/workloads/bench-lib.sh
start
vrload read /data/cold >/dev/null &
vrload burn "$BURN_SEC" |
	sed -n 's/vrload: burned \([0-9]*\) rounds in \([0-9]*\) ms, \([0-9]*\) ms CPU/vmreclaim-metric: burn_rounds=\1 burn_wall_ms=\2 burn_cpu_ms=\3/p'
finish
