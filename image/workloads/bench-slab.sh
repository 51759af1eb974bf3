#!/bin/sh
# Benchmark scenario "slab": look up a million names that do not exist on
# the data disk (about 280 MiB of negative dentries and their names, all
# reclaimable slab, next to no page cache), then go idle.  It stands for
# what package managers, compilers searching include paths, `find` and
# builds walking source trees leave in every VM: dentries and inodes that
# are not on the file LRU lists.  The walk's time is printed, so that a
# later walk can be compared with it.
. /etc/workloads/bench-lib.sh
N=$((1000000 * size))
walk() {
	seq 1 "$N" | sed 's|^|/data/absent-0123456789-0123456789-0123456789-0123456789-0123456789-|' |
		xargs stat -c '' 2>/dev/null
}
sreclaim_kib() { awk '/^SReclaimable:/ { print $2 }' /proc/meminfo; }
start
s0=$(sreclaim_kib)
t0=$(awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime)
walk
t1=$(awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime)
echo "vmreclaim-metric: slab_walk_ms=$((t1 - t0)) slab_grown_kib=$(($(sreclaim_kib) - s0))"
finish
