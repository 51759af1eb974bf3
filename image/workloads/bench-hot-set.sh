#!/bin/sh
# Benchmark scenario "hot-set": a 128 MiB working set re-read every 20 s,
# 640 MiB of other files read once (cold); CPU mostly idle.  Each re-read
# prints how long it took, and the disk reads it caused.
. /etc/workloads/bench-lib.sh
start
vrload read /data/hot
vrload read /data/cold
finish
while :; do
	sleep 20
	before=$(disk_read_kib)
	t=$(vrload read /data/hot | sed -n 's/.* in \([0-9]*\) ms/\1/p')
	after=$(disk_read_kib)
	echo "vmreclaim-metric: hot_reread_ms=$t hot_reread_disk_kib=$((after - before))"
done
